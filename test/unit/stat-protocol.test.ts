// The stat protocol (src/protocols/stat.ts) against the C compiler's layout, request
// validation, --root confinement (src/server/stat-paths.ts), and an in-process server with
// in-process clients on a key of a private temp file (IPC_EXCL: never anyone else's queue).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ftok, IpcError, MessageQueue, sleep } from '../../src/ipc/index.js';
import {
  decodeRequest,
  decodeSize,
  encodeRequest,
  encodeSize,
  PATH_MAX,
  PATH_OFFSET,
  REQ_CONTENT,
  REQ_SIZ,
  REQ_STAT,
  RES_SIZ,
  showPath,
} from '../../src/protocols/stat.js';
import { statRequest } from '../../src/protocols/stat-client.js';
import {
  ActAs,
  type Creds,
  credsOf,
  mayWrite,
  readableByOthers,
  SenderTracker,
  STATUS_FDS,
  statusFdCount,
} from '../../src/server/stat-identity.js';
import { type Client, PathError, PathPolicy } from '../../src/server/stat-paths.js';
import { StatServer } from '../../src/server/stat-server.js';
import { MAX_US, QueueLook, replyQueueState, Spin } from '../../src/server/stat-spin.js';
import { hasCompiler } from '../helpers/run.js';
import { scratchDir } from '../helpers/scratch.js';

const tmp = scratchDir('svipc-stat-unit-');

describe('wire format', () => {
  it.skipIf(!hasCompiler())('REQ_SIZ, RES_SIZ and the path offset are what cc computes', () => {
    const src = join(tmp, 'sizes.c');
    writeFileSync(
      src,
      `#include <stdio.h>
#include <stddef.h>
#include <limits.h>
struct request_msg { long mtype; int cli_id; char pathname[PATH_MAX]; };
struct response_msg { long mtype; size_t size; };
int main(void) {
  printf("%zu %zu %zu %d\\n", sizeof(struct request_msg) - sizeof(long),
         sizeof(struct response_msg) - sizeof(long), offsetof(struct request_msg, pathname) - sizeof(long), PATH_MAX);
  return 0;
}
`,
    );
    const exe = join(tmp, 'sizes');
    const cc = spawnSync('cc', ['-o', exe, src], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    const out = spawnSync(exe, { encoding: 'utf8' }).stdout.trim();
    expect(out).toBe(`${REQ_SIZ} ${RES_SIZ} ${PATH_OFFSET} ${PATH_MAX}`);
  });

  it('encodes compact and full requests that decode back', () => {
    const compact = encodeRequest(42, '/etc/passwd');
    expect(compact.length).toBe(4 + 11 + 1);
    const full = encodeRequest(42, '/etc/passwd', { full: true });
    expect(full.length).toBe(REQ_SIZ);
    for (const b of [compact, full]) {
      expect(decodeRequest(REQ_STAT, b)).toEqual({ kind: 'stat', cliId: 42, path: '/etc/passwd' });
      expect(decodeRequest(REQ_CONTENT, b)).toEqual({ kind: 'content', cliId: 42, path: '/etc/passwd' });
    }
    expect(() => encodeRequest(1, 'a\0b')).toThrow(/NUL/);
    expect(() => encodeRequest(1, 'x'.repeat(PATH_MAX))).toThrow(/longer/);
  });

  it('keeps every byte of a non-UTF-8 path, and logs it escaped', () => {
    const bytes = Buffer.from([0x2f, 0xff, 0x0a, 0x41]);
    const d = decodeRequest(REQ_STAT, encodeRequest(1, bytes));
    expect('path' in d && Buffer.from(d.path, 'latin1')).toEqual(bytes);
    expect('path' in d && showPath(d.path)).not.toContain('\n');
  });

  it('recognizes every malformed request', () => {
    const ok = encodeRequest(7, '/x');
    const cases: [number, Buffer, RegExp][] = [
      [3, ok, /unknown mtype 3/],
      [REQ_STAT, Buffer.alloc(0), /too short \(0 bytes/],
      [REQ_STAT, Buffer.alloc(4), /too short \(4 bytes/],
      [REQ_STAT, Buffer.alloc(REQ_SIZ + 1), /too long/],
      [REQ_STAT, encodeRequest(-1, '/x'), /negative reply queue id -1/],
      [REQ_STAT, Buffer.concat([ok.subarray(0, 4), Buffer.from('abc')]), /unterminated/],
    ];
    // A full-size request whose pathname has no NUL, only its tail padding does: unterminated.
    const noNul = Buffer.alloc(REQ_SIZ);
    noNul.fill(0x41, PATH_OFFSET, PATH_OFFSET + PATH_MAX);
    cases.push([REQ_STAT, noNul, /unterminated/]);
    for (const [type, data, why] of cases) {
      const d = decodeRequest(type, data);
      expect('error' in d && d.error, `${type} ${data.length}`).toMatch(why);
    }
    expect(decodeRequest(REQ_STAT, Buffer.from([0, 0, 0, 0, 0]))).toEqual({
      kind: 'stat',
      cliId: 0,
      path: '',
    });
  });

  it('size_t payloads', () => {
    expect(decodeSize(encodeSize(2n ** 63n))).toBe(2n ** 63n);
    expect(decodeSize(Buffer.alloc(7))).toBeNull();
  });
});

describe('--root confinement', () => {
  const root = join(tmp, 'root');
  const outside = join(tmp, 'outside');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(root, 'sub/in'), 'inside');
  writeFileSync(join(outside, 'secret'), 'secret!');
  symlinkSync(join(outside, 'secret'), join(root, 'out-link'));
  symlinkSync(outside, join(root, 'out-dir'));
  symlinkSync('sub/in', join(root, 'in-link'));
  const policy = new PathPolicy(root);
  const me: Client = { creds: credsOf(process.pid)!, act: new ActAs() };
  const errno = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof PathError ? e.errno : -1;
    }
    return 0;
  };

  it('serves paths under the root, relative or absolute, through inside links', () => {
    expect(policy.stat('sub/in', me).size).toBe(6n);
    expect(policy.stat(join(root, 'sub/in'), me).size).toBe(6n);
    expect(policy.stat('in-link', me).size).toBe(6n);
    expect(policy.stat('.', me).isDirectory()).toBe(true);
  });

  it('refuses .., absolute paths outside and symlinks out, with EACCES', () => {
    for (const p of [
      '../outside/secret',
      join(outside, 'secret'),
      'out-link',
      'out-dir/secret',
      'sub/../../outside/secret',
      '/etc/passwd',
    ]) {
      expect(
        errno(() => policy.stat(p, me)),
        p,
      ).toBe(13);
    }
    expect(errno(() => policy.stat('missing', me))).toBe(2);
  });

  it('content: regular files only; another user gets only what it could read itself', async () => {
    const p = new PathPolicy();
    const act = new ActAs();
    const self = credsOf(process.pid)!;
    const stranger: Creds = {
      ...self,
      euid: 54321,
      egid: 54321,
      fsuid: 54321,
      fsgid: 54321,
      groups: [54321],
    };
    const open = async (path: string, who: Creds) => {
      try {
        const { file, size } = p.openForContent(path, { creds: who, act });
        await file.close();
        return Number(size);
      } catch (e) {
        return e instanceof PathError ? -e.errno : -1000;
      }
    };
    const priv = join(tmp, 'private');
    writeFileSync(priv, 'x');
    chmodSync(priv, 0o600);
    const pub = join(tmp, 'public');
    writeFileSync(pub, 'xy');
    chmodSync(pub, 0o644);
    chmodSync(tmp, 0o755);
    expect(await open(priv, self)).toBe(1);
    expect(await open(priv, stranger)).toBe(-13);
    expect(await open(pub, stranger)).toBe(2);
    expect(await open(tmp, self)).toBe(-21); // EISDIR
    expect(await open('/dev/null', self)).toBe(-95); // ENOTSUP
  });
});

describe('who is asking (stat-identity.ts)', () => {
  const perm = (p: Partial<{ uid: number; gid: number; cuid: number; cgid: number; mode: number }>) => ({
    key: 0,
    uid: 1000,
    gid: 1000,
    cuid: 1000,
    cgid: 1000,
    mode: 0o620,
    seq: 0,
    ...p,
  });
  const user = (euid: number, groups: number[] = []): Creds => ({
    pid: 1,
    euid,
    egid: euid,
    fsuid: euid,
    fsgid: euid,
    groups,
    ipcOwner: false,
  });

  it("mayWrite follows the kernel's ipcperms: owner or creator bits, then group, then other", () => {
    expect(mayWrite(user(1000), perm({}))).toBe(true);
    expect(mayWrite(user(2000), perm({}))).toBe(false);
    expect(mayWrite(user(2000, [1000]), perm({}))).toBe(true); // 0620: group may write
    expect(mayWrite(user(2000), perm({ mode: 0o622 }))).toBe(true);
    expect(mayWrite(user(1000), perm({ mode: 0o400 }))).toBe(false);
    expect(mayWrite(user(2000), perm({ cuid: 2000 }))).toBe(true); // the creator keeps owner bits
    expect(mayWrite({ ...user(2000), ipcOwner: true }, perm({ mode: 0 }))).toBe(true);
  });

  it('readableByOthers: content only into a queue of the sender alone', () => {
    expect(readableByOthers(user(1000), perm({}))).toBeNull();
    expect(readableByOthers(user(1000), perm({ mode: 0o600 }))).toBeNull();
    expect(readableByOthers(user(1000), perm({ mode: 0o640 }))).toMatch(/mode 0640/);
    expect(readableByOthers(user(1000), perm({ mode: 0o604 }))).toMatch(/mode 0604/);
    expect(readableByOthers(user(2000), perm({ mode: 0o666 }))).toMatch(/created by uid 1000/);
    expect(readableByOthers(user(1000), perm({ uid: 3000 }))).toMatch(/owned by uid 3000/);
  });

  it('SenderTracker: the newest arrival since the last look is msg_lspid; older ones unknown', () => {
    const t = new SenderTracker();
    t.look({ qnum: 1, lspid: 11 });
    expect(t.next()).toBe(11);
    t.look({ qnum: 3, lspid: 33 }); // three arrived at once: only the last is known
    expect(t.next()).toBeNull();
    t.look({ qnum: 3, lspid: 44 }); // one more arrived (2 left + 1)
    expect(t.next()).toBeNull();
    t.look({ qnum: 2, lspid: 44 });
    expect(t.next()).toBe(33);
    t.look({ qnum: 1, lspid: 44 });
    expect(t.next()).toBe(44);
    t.look({ qnum: 2, lspid: 55 });
    t.look({ qnum: 0, lspid: 55 }); // someone else took them: nothing known any more
    t.look({ qnum: 1, lspid: 66 });
    expect(t.next()).toBe(66);
  });
});

describe('in-process server and clients', () => {
  it('answers stats, streams content, queues and refuses streams beyond its limits, and cleans up', async () => {
    const files: string[] = [];
    for (let i = 0; i < 8; i++) {
      const f = join(tmp, `data${i}`);
      writeFileSync(f, Buffer.alloc(300_000 + i, i));
      files.push(f);
    }
    const logs: string[] = [];
    // ftok keys can collide with someone's queue: new key files (inodes) until one is free
    // (IPC_EXCL: a taken key is never touched).
    let key = 0;
    let server: StatServer | undefined;
    for (let i = 0; server === undefined; i++) {
      const keyFile = join(tmp, `key${i}`);
      writeFileSync(keyFile, '');
      key = ftok(keyFile, 1);
      try {
        server = StatServer.open({ key, log: (l) => logs.push(l), maxStreams: 2, maxPending: 3 });
      } catch (e) {
        if (!(e instanceof IpcError && e.code === 'EEXIST') || i > 20) throw e;
      }
    }
    const ac = new AbortController();
    const serving = server!.serve(ac.signal);
    const replyQueues: number[] = [];
    // The real client; its reply queue noted, to be removed at the end.
    const request = (path: string, kind: 'stat' | 'content', out?: PassThrough) =>
      statRequest({
        key,
        path,
        kind,
        timeoutMs: 5000,
        signal: new AbortController().signal,
        out,
        onQueue: (q) => replyQueues.push(q.id),
      });
    try {
      const stat = await request(files[0]!, 'stat');
      expect(stat).toEqual({ ok: true, size: 300_000n });
      // One content request through the real client...
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      const one = await request(files[7]!, 'content', out);
      expect(one).toEqual({ ok: true, size: 300_007n, bytes: 300_007n });
      expect(Buffer.concat(chunks).equals(Buffer.alloc(300_007, 7))).toBe(true);
      // ...then 8 at once, by hand: each client here polls (a blocked msgrcv per client would
      // hold one of libuv's 4 pool threads, which the server needs for its file reads).
      const server0 = MessageQueue.get(key);
      const queues = files.map(() => {
        const q = MessageQueue.create();
        replyQueues.push(q.id);
        return q;
      });
      // One at a time, each taken before the next is sent: requests arriving together have
      // no sender the server can tell (stat-identity.ts), and these clients do not wait in msgrcv.
      for (const [i, q] of queues.entries()) {
        server0.send(REQ_CONTENT, encodeRequest(q.id, files[i]!));
        while (server0.stat().qnum > 0) await sleep(1);
      }
      const results = await Promise.all(queues.map((q) => collect(q)));
      for (const q of queues) q.remove();
      const served = results.filter((r) => r.end !== null);
      expect(served).toHaveLength(5); // 2 streaming + 3 waiting
      expect(results.filter((r) => r.err !== null).map((r) => r.err)).toEqual([16n, 16n, 16n]); // EBUSY
      for (const r of served) {
        const i = results.indexOf(r);
        expect(r.size).toBe(BigInt(300_000 + i));
        expect(r.end).toBe(BigInt(300_000 + i));
        expect(r.data.equals(Buffer.alloc(300_000 + i, i))).toBe(true);
      }
      expect(logs.filter((l) => l.includes('too many content requests'))).toHaveLength(3);
    } finally {
      ac.abort('SIGINT');
      await serving;
    }
    // Every queue is gone: the server's and each client's.
    for (const id of [server!.queue.id, ...replyQueues]) {
      expect(() => new MessageQueue(id).stat(), `msqid ${id}`).toThrow(IpcError);
    }
  });
});

describe('fast path (stat-spin.ts, kept /proc descriptors)', () => {
  it('Spin: no spin before requests were served; the budget grows on hits, shrinks on misses', () => {
    const spin = new Spin();
    let looks = 0;
    const never = () => {
      looks++;
      return false;
    };
    spin.woke();
    expect(spin.run(never)).toBe(false);
    expect(looks).toBe(0); // nothing served since: an idle server never spins
    spin.served(1);
    const before = spin.budgetUs;
    expect(spin.run(() => true)).toBe(true);
    expect(spin.budgetUs).toBe(Math.min(MAX_US, before * 2));
    spin.served(1);
    const t0 = performance.now();
    expect(spin.run(never)).toBe(false);
    expect(looks).toBeGreaterThan(0);
    expect(spin.budgetUs).toBe(Math.min(MAX_US, before * 2) / 2);
    // Misses shrink it until no spin is made at all, even after requests were served.
    for (let i = 0; i < 20; i++) {
      spin.served(1);
      spin.run(never);
    }
    const n = looks;
    spin.served(1);
    expect(spin.run(never)).toBe(false);
    expect(looks).toBe(n);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(0);
    expect(spin.spins).toBeGreaterThan(2);
    expect(spin.hits).toBe(1);
  });

  it('QueueLook reads the msg_qnum and msg_lspid that IPC_STAT reports, and fails once the queue is gone', () => {
    const q = MessageQueue.create();
    try {
      const look = new QueueLook(q.id);
      expect(look.look()).toEqual({ qnum: 0, lspid: 0 });
      q.send(1, Buffer.from('a'));
      q.send(2, Buffer.from('b'));
      const ds = q.stat();
      expect(look.look()).toEqual({ qnum: ds.qnum, lspid: ds.lspid });
      expect(look.look().qnum).toBe(2);
      expect(look.look().lspid).toBe(process.pid);
      q.set({ mode: 0o640, qbytes: 4321 });
      const full = q.stat();
      expect(replyQueueState(q.id)).toEqual({ perm: full.perm, qbytes: full.qbytes, lrpid: full.lrpid });
      expect(replyQueueState(q.id).perm.mode & 0o777).toBe(0o640);
    } finally {
      q.remove();
    }
    expect(() => new QueueLook(q.id).look()).toThrow(IpcError);
  });

  it('credsOf through a kept descriptor: fresh for a live process, null once it is gone, at most STATUS_FDS kept', () => {
    const child = spawnSync('sh', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
    const pid = Number(child.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    try {
      const a = credsOf(pid);
      expect(a?.pid).toBe(pid);
      const kept = statusFdCount();
      expect(kept).toBeGreaterThan(0);
      expect(credsOf(pid)).toEqual(a); // read again through the kept descriptor
      expect(statusFdCount()).toBe(kept);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
    // Gone (a zombie of its new parent, or reaped): no credentials, through the kept descriptor or not.
    const deadline = performance.now() + 10_000;
    while (credsOf(pid) !== null && performance.now() < deadline) spawnSync('sleep', ['0.05']);
    expect(credsOf(pid)).toBeNull();
    for (let i = 0; i < STATUS_FDS + 8; i++) credsOf(process.pid);
    expect(statusFdCount()).toBeLessThanOrEqual(STATUS_FDS);
  });
});

/** A content answer read by polling (IPC_NOWAIT) until RES_END or RES_ERR. */
async function collect(q: MessageQueue) {
  const r = {
    size: null as bigint | null,
    end: null as bigint | null,
    err: null as bigint | null,
    data: Buffer.alloc(0),
  };
  const parts: Buffer[] = [];
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    const m = q.receive({ nowait: true, maxSize: 65536 });
    if (m === null) {
      await new Promise((res) => setTimeout(res, 1));
      continue;
    }
    if (m.type === 1) r.size = decodeSize(m.data);
    else if (m.type === 3) parts.push(m.data);
    else if (m.type === 4) r.end = decodeSize(m.data);
    else if (m.type === 2) r.err = decodeSize(m.data);
    if (m.type === 2 || m.type === 4) break;
  }
  r.data = Buffer.concat(parts);
  return r;
}
