// The stat server's per-request fast path (src/server/stat-spin.ts, stat-identity.ts,
// stat-paths.ts): the untraced receive and answer, the credential parser, the size of a
// stat. Queues here are IPC_PRIVATE ones this test creates (and removes). A sender found
// through its reply queue's msg_lrpid: test/e2e/stat-sender.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IpcError, MessageQueue, sleep } from '../../src/ipc/index.js';
import { encodeSize, RES_OK } from '../../src/protocols/stat.js';
import { ActAs, type Creds, credsOf, hasCapability } from '../../src/server/stat-identity.js';
import { type Client, PathError, PathPolicy } from '../../src/server/stat-paths.js';
import { RequestIn, replyQueueState, sendSize } from '../../src/server/stat-spin.js';
import { scratchDir } from '../helpers/scratch.js';

const tmp = scratchDir('svipc-stat-fast-');
const isRoot = process.geteuid?.() === 0;

/** /proc/PID/status read the plain way (regular expressions, BigInt): what credsOf must agree with. */
function credsTheSlowWay(pid: number): Omit<Creds, 'pid'> {
  const text = readFileSync(`/proc/${pid}/status`, 'latin1');
  const field = (name: string) => new RegExp(`\\n${name}:\\t([^\\n]*)`).exec(text)?.[1] ?? '';
  const ids = (name: string) => field(name).trim().split(/\s+/).filter(Boolean).map(Number);
  const [, euid, , fsuid] = ids('Uid');
  const [, egid, , fsgid] = ids('Gid');
  const cap = BigInt(`0x${field('CapEff').trim()}`);
  return {
    euid: euid!,
    egid: egid!,
    fsuid: fsuid!,
    fsgid: fsgid!,
    groups: ids('Groups'),
    ipcOwner: ((cap >> 15n) & 1n) === 1n,
  };
}

describe('credentials from /proc/PID/status', () => {
  it('hasCapability reads one bit of a hex capability set', () => {
    expect(hasCapability('0000000000008000', 15)).toBe(true);
    expect(hasCapability('0000000000007fff', 15)).toBe(false);
    expect(hasCapability('000001ffffffffff', 15)).toBe(true);
    expect(hasCapability('000001ffffff7fff', 15)).toBe(false);
    expect(hasCapability('8000', 15)).toBe(true);
    expect(hasCapability('800', 15)).toBe(false);
    expect(hasCapability('0000000000000001', 0)).toBe(true);
    expect(hasCapability('0000000000000002', 0)).toBe(false);
    expect(hasCapability('0000000000000002', 1)).toBe(true);
  });

  it('credsOf agrees with a plain parse: this process', () => {
    const c = credsOf(process.pid);
    expect(c).toEqual({ pid: process.pid, ...credsTheSlowWay(process.pid) });
  });

  it.skipIf(!isRoot)('credsOf agrees with a plain parse: a process that gave up root (setpriv)', async () => {
    const child = spawn(
      'setpriv',
      ['--reuid', '65534', '--regid', '65534', '--groups', '65534,4', 'sleep', '30'],
      { stdio: 'ignore' },
    );
    try {
      // Wait until setpriv has exec'd sleep: only then are all its credentials set (it may
      // change the uid before the groups, so euid 65534 alone is not the end of it).
      const deadline = performance.now() + 10_000;
      const comm = () => {
        try {
          return readFileSync(`/proc/${child.pid}/comm`, 'utf8');
        } catch {
          return '';
        }
      };
      while (comm() !== 'sleep\n' && performance.now() < deadline) await sleep(20);
      const c = credsOf(child.pid!);
      expect(c).toEqual({ pid: child.pid, ...credsTheSlowWay(child.pid!) });
      expect(c).toMatchObject({
        euid: 65534,
        fsuid: 65534,
        egid: 65534,
        groups: [4, 65534],
        ipcOwner: false,
      });
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('the untraced receive and answer', () => {
  it('RequestIn: null when empty, the message (type, data), longer ones cut to its size and taken', () => {
    const q = MessageQueue.create();
    try {
      const r = new RequestIn(q.id, 8);
      expect(r.take()).toBeNull();
      q.send(3, Buffer.from('abc'));
      const m = r.take();
      expect(m?.type).toBe(3);
      expect(Buffer.from(m!.data).toString()).toBe('abc');
      q.send(4, Buffer.from('0123456789abcdefghij'));
      const cut = r.take();
      expect(cut?.type).toBe(4);
      expect(Buffer.from(cut!.data).toString()).toBe('01234567');
      expect(q.stat().qnum).toBe(0);
    } finally {
      q.remove();
    }
    expect(() => new RequestIn(q.id, 8).take()).toThrow(IpcError);
  });

  it("sendSize: the lecture's answer (sent), a full queue (full), a removed one (gone)", () => {
    const q = MessageQueue.create();
    try {
      expect(sendSize(q.id, RES_OK, 12345)).toBe('sent');
      expect(sendSize(q.id, 2, 2n ** 60n + 1n)).toBe('sent');
      const a = q.receive({ nowait: true });
      expect(a?.type).toBe(RES_OK);
      expect(a?.data.equals(encodeSize(12345))).toBe(true);
      const b = q.receive({ nowait: true });
      expect(b?.type).toBe(2);
      expect(b?.data.readBigUInt64LE(0)).toBe(2n ** 60n + 1n);
      q.set({ qbytes: 8 });
      expect(sendSize(q.id, RES_OK, 1)).toBe('sent');
      expect(sendSize(q.id, RES_OK, 2)).toBe('full');
    } finally {
      q.remove();
    }
    expect(sendSize(q.id, RES_OK, 1)).toBe('gone');
  });

  it("replyQueueState's msg_lrpid: 0 until someone receives, then that process", () => {
    const q = MessageQueue.create();
    try {
      expect(replyQueueState(q.id).lrpid).toBe(0);
      q.send(1, Buffer.from('x'));
      q.receive({ nowait: true });
      expect(replyQueueState(q.id).lrpid).toBe(process.pid);
      expect(replyQueueState(q.id).lrpid).toBe(q.stat().lrpid);
    } finally {
      q.remove();
    }
  });
});

describe("PathPolicy.size: a stat request's answer", () => {
  const me: Client = { creds: credsOf(process.pid)!, act: new ActAs() };

  it('is stat().size, confined or not; a missing file is PathError ENOENT', () => {
    const f = join(tmp, 'file');
    writeFileSync(f, Buffer.alloc(12345));
    const open = new PathPolicy();
    expect(open.size(f, me)).toBe(12345);
    expect(BigInt(open.size(f, me))).toBe(open.stat(f, me).size);
    expect(BigInt(new PathPolicy(tmp).size('file', me))).toBe(12345n);
    const err = (() => {
      try {
        open.size(join(tmp, 'missing'), me);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PathError);
    expect((err as PathError).errno).toBe(2);
  });

  // tmpfs allows sparse files up to 2^63-1 bytes: past 2^53 a double would round the size.
  // The file is made inside the test, so a filtered or skipped run leaves nothing in /dev/shm.
  it('a sparse file past 2^53 bytes (tmpfs): the exact size, as a BigInt', (ctx) => {
    const sparse = `/dev/shm/svipc-test-sparse-${process.pid}`;
    try {
      const made = spawnSync('truncate', ['-s', String(2n ** 60n + 1n), sparse]).status === 0;
      if (!made) ctx.skip('truncate could not make a sparse file of 2^60+1 bytes in /dev/shm');
      expect(new PathPolicy().size(sparse, me)).toBe(2n ** 60n + 1n);
    } finally {
      rmSync(sparse, { force: true });
    }
  });
});
