// A stat request whose sender the server cannot tell (several arrived between two looks at
// the request queue: stat-identity.ts) is served as the process waiting on its reply queue.
// The first place looked at is that queue's msg_lrpid (the client, once it had an answer),
// before the recent senders and a scan of all of /proc. An in-process server on a key of a
// private temp file (IPC_EXCL) and an IPC_PRIVATE reply queue: never anyone else's queue.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ftok, IpcError, MessageQueue, sleep } from '../../src/ipc/index.js';
import { encodeRequest, REQ_STAT, RES_OK } from '../../src/protocols/stat.js';
import { blockedReaders } from '../../src/server/stat-identity.js';
import { StatServer } from '../../src/server/stat-server.js';
import { replyQueueState } from '../../src/server/stat-spin.js';
import { ROOT } from '../helpers/run.js';
import { scratchDir } from '../helpers/scratch.js';

const tmp = scratchDir('svipc-stat-sender-');

describe('a request whose sender is not known', () => {
  it("is served as the process waiting on its reply queue, found through the queue's msg_lrpid without a scan of /proc", async () => {
    const logs: string[] = [];
    let server: StatServer | undefined;
    for (let i = 0; server === undefined; i++) {
      const keyFile = join(tmp, `key${i}`);
      writeFileSync(keyFile, '');
      try {
        server = StatServer.open({ key: ftok(keyFile, 1), log: (l) => logs.push(l) });
      } catch (e) {
        if (!(e instanceof IpcError && e.code === 'EEXIST') || i > 20) throw e;
      }
    }
    const reply = MessageQueue.create();
    const file = join(tmp, 'asked');
    writeFileSync(file, Buffer.alloc(4321));
    // A client that received from its reply queue once (msg_lrpid) and waits there again.
    const lib = join(ROOT, 'dist/src/ipc/index.js');
    const client = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { MessageQueue } = await import(${JSON.stringify(lib)});
         const q = new MessageQueue(${reply.id});
         q.receive();
         const m = q.receive();
         process.stdout.write(m.type + ' ' + m.data.readBigUInt64LE(0));`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    client.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    const exited = new Promise((r) => client.on('exit', r));
    try {
      reply.send(1, Buffer.from('first'));
      const deadline = performance.now() + 10_000;
      while (
        !(replyQueueState(reply.id).lrpid === client.pid && blockedReaders([client.pid!]).has(reply.id)) &&
        performance.now() < deadline
      )
        await sleep(20);
      server.handle({ type: REQ_STAT, data: encodeRequest(reply.id, file) }, null);
      await exited;
      expect(out).toBe(`${RES_OK} 4321`);
      expect(server.counters).toMatchObject({ requests: 1, refused: 0, malformed: 0, scans: 0 });
      expect(logs).toEqual([]);
    } finally {
      client.kill('SIGKILL');
      reply.remove();
      server.stop();
    }
  });
});
