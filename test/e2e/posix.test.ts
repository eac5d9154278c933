// POSIX IPC from the library (PosixMessageQueue, PosixSemaphore, PosixSharedMemory, the POSIX
// inventory) against a C peer (test/peers/posix-peer.c) and util-linux 2.42.2's lsipc. Every
// case runs as a node script in its own IPC + mount namespace with a private /dev/shm and
// /dev/mqueue (test/helpers/posix-ns.ts): nothing reaches the host's.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { canPosixNamespace, inPosixNamespace, POSIX_NS_SKIP_REASON } from '../helpers/posix-ns.js';
import { CC_SKIP_REASON, hasCompiler, PEERS_BIN, PEERS_SRC, publicRoot, ROOT } from '../helpers/run.js';

const LSIPC_242 = '/work/shared/reference/util-linux-2.42.2/lsipc';
const INDEX = join(ROOT, 'dist/src/index.js');
const work = mkdtempSync(join(tmpdir(), 'svipc-posix-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The C peer, built with what POSIX IPC needs on any glibc (librt, pthread). */
function peer(): string {
  const src = join(PEERS_SRC, 'posix-peer.c');
  const bin = join(PEERS_BIN, 'posix-peer');
  mkdirSync(PEERS_BIN, { recursive: true });
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    const tmp = `${bin}.${process.pid}`;
    const r = spawnSync('cc', ['-O2', '-Wall', '-o', tmp, src, '-lrt', '-pthread'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cc posix-peer.c failed:\n${r.stderr}`);
    spawnSync('mv', [tmp, bin]);
  }
  return bin;
}

// Shared by every script: svipc, the peer, and a JSON line out.
const PRELUDE = `
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import * as svipc from ${JSON.stringify(INDEX)};
const PEER = process.env.PEER;
const peer = (...a) => execFileSync(PEER, a, { encoding: 'utf8' }).trim();
const peerLater = (ms, ...a) => new Promise((res, rej) => setTimeout(() => {
  const c = spawn(PEER, a, { stdio: 'inherit' }); c.on('exit', (code) => code === 0 ? res() : rej(new Error('peer ' + code)));
}, ms));
const errName = async (p) => { try { await p; return 'resolved'; } catch (e) { return e.name + ' ' + (e.code ?? ''); } };
const errSync = (f) => { try { f(); return 'returned'; } catch (e) { return e.name + ' ' + (e.code ?? ''); } };
const dev = () => ({ shm: readdirSync('/dev/shm').sort(), mqueue: readdirSync('/dev/mqueue').sort() });
const out = {};
`;

let n = 0;
async function script(body: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const file = join(work, `case-${++n}.mjs`);
  writeFileSync(file, `${PRELUDE}\n${body}\nconsole.log(JSON.stringify(out));\n`);
  const r = await inPosixNamespace(process.execPath, [file], { env: { PEER: peer() }, timeoutMs });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const usable = hasCompiler() && canPosixNamespace();
const reason = !hasCompiler() ? CC_SKIP_REASON : POSIX_NS_SKIP_REASON;

describe.skipIf(!usable)(`POSIX IPC with a C peer${usable ? '' : ` (${reason})`}`, () => {
  test('objects made in C are seen and used by svipc: priorities highest first, values, bytes', async () => {
    const o = await script(`
      peer('mq-create', '/q', '8', '64');
      for (const [p, t] of [[1, 'low'], [9, 'high'], [5, 'mid'], [9, 'high2']]) peer('mq-send', '/q', String(p), t);
      peer('sem-create', '/s', '3');
      peer('shm-create', '/m', '4096', 'from C');
      const q = svipc.PosixMessageQueue.open('/q');
      out.attr = q.attributes();
      out.order = [];
      for (let i = 0; i < 4; i++) { const m = await q.receiveAsync(); out.order.push(m.priority + ':' + m.data); }
      q.send(Buffer.from('to C'), { priority: 7 });
      out.peerGot = peer('mq-recv', '/q');
      q.close();
      const s = svipc.PosixSemaphore.open('/s');
      out.value = s.value();
      s.post();
      out.peerValue = peer('sem-value', '/s');
      s.close();
      const m = svipc.PosixSharedMemory.open('/m');
      const map = m.map();
      out.size = m.size;
      out.text = map.buffer.toString('latin1', 0, 6);
      map.buffer.write('from JS');
      map.unmap();
      m.close();
      out.peerText = peer('shm-read', '/m', '7');
      // Opened, not created: disposing of them leaves the objects alone.
      for (const x of [svipc.PosixMessageQueue.open('/q'), svipc.PosixSemaphore.open('/s'), svipc.PosixSharedMemory.open('/m')]) x[Symbol.dispose]();
      out.left = dev();
    `);
    expect(o.attr).toEqual({ nonblocking: false, maxMessages: 8, messageSize: 64, currentMessages: 4 });
    expect(o.order).toEqual(['9:high', '9:high2', '5:mid', '1:low']);
    expect(o.peerGot).toBe('7 to C');
    expect(o.value).toBe(3);
    expect(o.peerValue).toBe('4');
    expect(o.size).toBe(4096);
    expect(o.text).toBe('from C');
    expect(o.peerText).toBe('from JS');
    expect(o.left).toEqual({ shm: ['m', 'sem.s'], mqueue: ['q'] });
  });

  test('objects svipc creates are used by C, and `using` (dispose) unlinks exactly those', async () => {
    const o = await script(`
      const q = svipc.PosixMessageQueue.create('/q', { maxMessages: 2, messageSize: 16, mode: 0o640 });
      const s = svipc.PosixSemaphore.create('/s', { value: 1 });
      const m = svipc.PosixSharedMemory.create('/m', 100);
      out.made = dev();
      q.send(Buffer.from('x'), { priority: 2 });
      out.peerGot = peer('mq-recv', '/q');
      out.peerAttr = peer('mq-attr', '/q');
      peer('sem-post', '/s');
      out.value = s.value();
      const map = m.map(); map.buffer.write('shared'); 
      out.peerText = peer('shm-read', '/m', '6');
      map[Symbol.dispose]();
      out.unmapped = errSync(() => map.buffer);
      const oldMqd = q.mqd;
      q[Symbol.dispose](); s[Symbol.dispose](); m[Symbol.dispose]();
      q[Symbol.dispose](); // once only
      out.after = dev();
      out.closed = await errName(q.receiveAsync({ timeout: 10 }));
      out.closedSync = [() => q.send(Buffer.from('x')), () => q.receive({ nowait: true }), () => q.attributes(), () => s.post(), () => s.value(), () => m.map()].map(errSync);
      // The lowest free descriptor: the closed queue's number now belongs to another queue.
      const q2 = svipc.PosixMessageQueue.create('/q2');
      out.reused = q2.mqd === oldMqd;
      out.sentToOther = errSync(() => q.send(Buffer.from('lost?')));
      out.otherMsgs = q2.attributes().currentMessages;
      q2[Symbol.dispose]();
    `);
    expect(o.made).toEqual({ shm: ['m', 'sem.s'], mqueue: ['q'] });
    expect(o.peerGot).toBe('2 x');
    expect(o.peerAttr).toBe('2 16 0');
    expect(o.value).toBe(2);
    expect(o.peerText).toBe('shared');
    expect(o.unmapped).toMatch(/^Error/);
    expect(o.after).toEqual({ shm: [], mqueue: [] });
    expect(o.closed).toBe('IpcError EBADF');
    // After close, never a call on a descriptor number that may be another file's by now.
    expect(o.closedSync).toEqual(Array(6).fill('IpcError EBADF'));
    expect(o.reused).toBe(true);
    expect(o.sentToOther).toBe('IpcError EBADF');
    expect(o.otherMsgs).toBe(0);
  });

  test('dispose never unlinks an object someone else made under the same name since', async () => {
    const o = await script(`
      const q = svipc.PosixMessageQueue.create('/q');
      const s = svipc.PosixSemaphore.create('/s');
      const m = svipc.PosixSharedMemory.create('/m', 10);
      for (const k of ['mq', 'sem', 'shm']) peer('unlink', k, k === 'mq' ? '/q' : k === 'sem' ? '/s' : '/m');
      peer('mq-create', '/q', '1', '8'); peer('sem-create', '/s', '0'); peer('shm-create', '/m', '10', 'C');
      q[Symbol.dispose](); s[Symbol.dispose](); m[Symbol.dispose]();
      out.after = dev();
    `);
    expect(o.after).toEqual({ shm: ['m', 'sem.s'], mqueue: ['q'] });
  });

  test('waits: timeout, AbortSignal, woken by the peer, nowait, full queue', async () => {
    const o = await script(`
      const q = svipc.PosixMessageQueue.create('/q', { maxMessages: 1, messageSize: 8 });
      const s = svipc.PosixSemaphore.create('/s');
      let t = performance.now();
      out.recvTimeout = await errName(q.receiveAsync({ timeout: 300 }));
      out.recvWaited = performance.now() - t;
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 200);
      t = performance.now();
      out.recvAbort = await errName(q.receiveAsync({ signal: ac.signal }));
      out.abortWaited = performance.now() - t;
      out.preAborted = await errName(q.receiveAsync({ signal: AbortSignal.abort() }));
      const [m] = await Promise.all([q.receiveAsync({ timeout: 20000 }), peerLater(200, 'mq-send', '/q', '4', 'late')]);
      out.late = m.priority + ':' + m.data;
      out.nowait = await errName(q.receiveAsync({ nowait: true }));
      out.nowaitSync = q.receive({ nowait: true });
      q.send(Buffer.from('full'));
      out.sendFull = await errName(q.sendAsync(Buffer.from('more'), { timeout: 200 }));
      out.sendNowait = errSync(() => q.send(Buffer.from('more'), { nowait: true }));
      const sent = q.sendAsync(Buffer.from('room'), { priority: 1, timeout: 20000 });
      out.peerGot = peer('mq-recv', '/q');
      await sent;
      out.peerGot2 = peer('mq-recv', '/q');
      out.semTimeout = await errName(s.wait({ timeout: 200 }));
      out.tryWait = s.tryWait();
      await Promise.all([s.wait({ timeout: 20000 }), peerLater(200, 'sem-post', '/s')]);
      out.semAfter = s.value();
      const ac2 = new AbortController();
      setTimeout(() => ac2.abort(), 100);
      out.semAbort = await errName(s.wait({ signal: ac2.signal }));
      out.semNowait = await errName(s.wait({ nowait: true }));
      // close() while a wait runs on the pool: the wait ends (EBADF), then the close happens.
      const pending = errName(s.wait());
      setTimeout(() => s.close(), 100);
      out.closedWhileWaiting = await pending;
      q[Symbol.dispose](); s[Symbol.dispose]();
      out.after = dev();
    `);
    expect(o.recvTimeout).toBe('WaitTimeoutError ETIMEDOUT');
    expect(o.recvWaited as number).toBeGreaterThanOrEqual(290);
    expect(o.recvAbort).toBe('WaitAbortedError ABORT_ERR');
    expect(o.abortWaited as number).toBeGreaterThanOrEqual(190);
    expect(o.preAborted).toBe('WaitAbortedError ABORT_ERR');
    expect(o.late).toBe('4:late');
    expect(o.nowait).toBe('BusyError EAGAIN');
    expect(o.nowaitSync).toBeNull();
    expect(o.sendFull).toBe('WaitTimeoutError ETIMEDOUT');
    expect(o.sendNowait).toBe('BusyError EAGAIN');
    expect(o.peerGot).toBe('0 full');
    expect(o.peerGot2).toBe('1 room');
    expect(o.semTimeout).toBe('WaitTimeoutError ETIMEDOUT');
    expect(o.tryWait).toBe(false);
    expect(o.semAfter).toBe(0);
    expect(o.semAbort).toBe('WaitAbortedError ABORT_ERR');
    expect(o.semNowait).toBe('BusyError EAGAIN');
    expect(o.closedWhileWaiting).toBe('IpcError EBADF');
    expect(o.after).toEqual({ shm: [], mqueue: [] });
  });

  test('an abort racing a message loses nothing: the wait returns it or it stays queued', async () => {
    const o = await script(`
      const q = svipc.PosixMessageQueue.create('/q', { maxMessages: 10, messageSize: 8 });
      const s = svipc.PosixSemaphore.create('/s');
      let got = 0, aborted = 0, taken = 0;
      for (let i = 0; i < 20; i++) {
        const ac = new AbortController();
        const rp = q.receiveAsync({ signal: ac.signal }).then(() => got++, (e) => { if (e.name !== 'WaitAbortedError') throw e; aborted++; });
        const sp = s.wait({ signal: ac.signal }).then(() => taken++, (e) => { if (e.name !== 'WaitAbortedError') throw e; });
        await new Promise((r) => setTimeout(r, 5 + (i % 4) * 10)); // a wait is on the pool now
        q.send(Buffer.from(String(i)));
        s.post();
        ac.abort();
        await Promise.all([rp, sp]);
      }
      let left = 0;
      while (q.receive({ nowait: true })) left++;
      out.messages = got + left;
      out.posts = taken + s.value();
      out.someAborted = aborted > 0 || got === 20;
      q[Symbol.dispose](); s[Symbol.dispose]();
    `);
    expect(o.messages).toBe(20);
    expect(o.posts).toBe(20);
    expect(o.someAborted).toBe(true);
  });

  test('errors: missing, taken, bad names and arguments', async () => {
    const o = await script(`
      out.missing = ['PosixMessageQueue', 'PosixSemaphore', 'PosixSharedMemory'].map((c) => errSync(() => svipc[c].open('/nope')));
      const q = svipc.PosixMessageQueue.create('/q');
      out.taken = errSync(() => svipc.PosixMessageQueue.create('/q'));
      out.badName = errSync(() => svipc.PosixSemaphore.create('no-slash'));
      out.badPrio = errSync(() => q.send(Buffer.from('x'), { priority: 32768 }));
      out.tooBig = errSync(() => q.send(Buffer.alloc(q.attributes().messageSize + 1)));
      out.unlinkMissing = errSync(() => svipc.PosixSharedMemory.unlink('/nope'));
      q[Symbol.dispose]();
      out.after = dev();
    `);
    expect(o.missing).toEqual([
      'ExistentialError ENOENT',
      'ExistentialError ENOENT',
      'ExistentialError ENOENT',
    ]);
    expect(o.taken).toBe('ExistentialError EEXIST');
    expect(o.badName).toBe('RangeError ERR_IPC_ARGUMENT');
    expect(o.badPrio).toBe('RangeError ERR_IPC_ARGUMENT');
    expect(o.tooBig).toBe('IpcError EMSGSIZE');
    expect(o.unlinkMissing).toBe('ExistentialError ENOENT');
    expect(o.after).toEqual({ shm: [], mqueue: [] });
  });

  test('a mapping larger than one Buffer: views in parts, the whole refused in one line', async () => {
    const o = await script(`
      const { constants } = await import('node:buffer');
      const big = constants.MAX_LENGTH + 8192; // sparse on tmpfs: no memory used
      const m = svipc.PosixSharedMemory.create('/big', big);
      const map = m.map();
      out.size = map.size === big;
      out.whole = errSync(() => map.buffer);
      out.message = (() => { try { map.buffer; } catch (e) { return e.message; } })();
      const tail = map.view(big - 4, 4);
      tail.write('end!');
      out.tail = map.view(big - 8, 8).toString('latin1');
      out.outside = errSync(() => map.view(big - 2, 4));
      map.unmap(); m[Symbol.dispose]();
      out.after = dev();
    `);
    expect(o.size).toBe(true);
    expect(o.whole).toBe('IpcError EFBIG');
    expect(o.message).toMatch(/^POSIX shared memory \/big is mapped with \d+ bytes: .* take it in parts$/);
    expect(o.tail).toBe('\0\0\0\0end!');
    expect(o.outside).toBe('RangeError ');
    expect(o.after).toEqual({ shm: [], mqueue: [] });
  });

  test('a user who may not open an object still sees it, with null (unknown) values, not a guess', async () => {
    // Made by root (0600), listed by uid 65534 on the world-readable copy of the build.
    const dir = mkdtempSync(join(tmpdir(), 'svipc-posix-nobody-'));
    try {
      chmodSync(dir, 0o755);
      const file = join(dir, 'list.mjs');
      writeFileSync(
        file,
        `import { listPosix } from ${JSON.stringify(join(publicRoot(), 'dist/src/index.js'))};
         console.log(JSON.stringify(listPosix().map((r) => [r.kind, r.name, r.kind === 'pmsg' ? [r.qsize, r.msgs] : r.kind === 'psem' ? r.value : r.size])));`,
      );
      chmodSync(file, 0o644);
      const P = peer();
      const r = await inPosixNamespace('sh', [
        '-c',
        `set -e; "$0" mq-create /q 2 8; "$0" mq-send /q 1 hi; "$0" sem-create /s 5; "$0" shm-create /m 10 x
         exec setpriv --reuid=65534 --regid=65534 --clear-groups "${process.execPath}" "${file}"`,
        P,
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([
        ['pmsg', '/q', [null, null]],
        ['psem', '/s', null],
        ['pshm', '/m', 10],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('nothing made in the namespace shows in the host /dev/shm', async () => {
    const name = `svipc-posix-${process.pid}-${Date.now()}`;
    await script(
      `svipc.PosixSharedMemory.create('/${name}', 1).close(); peer('sem-create', '/${name}', '0');`,
    );
    expect(readdirSync('/dev/shm').filter((f) => f.includes(name))).toEqual([]);
  });
});

describe.skipIf(!usable)(`the POSIX inventory${usable ? '' : ` (${reason})`}`, () => {
  test('records: kind, name, size, mode, owner, times, qsize/msgs, value; limits', async () => {
    const o = await script(`
      peer('mq-create', '/q1', '5', '100'); peer('mq-send', '/q1', '3', 'hello'); peer('mq-send', '/q1', '1', 'hi');
      peer('sem-create', '/s1', '2');
      peer('shm-create', '/m1', '8192', 'x');
      const q2 = svipc.PosixMessageQueue.create('/q2', { mode: 0o644 });
      const before = Math.floor(Date.now() / 1000);
      out.records = svipc.listPosix();
      out.limits = svipc.posixQueueLimits();
      out.mounted = svipc.mqueueMounted();
      out.now = before;
      q2[Symbol.dispose]();
      out.unmountedDir = svipc.listPosixQueues({ mqueueDir: '/nonexistent' });
    `);
    const recs = o.records as Record<string, unknown>[];
    expect(recs.map((r) => `${r.kind} ${r.name} ${r.path}`)).toEqual([
      'pmsg /q1 /dev/mqueue/q1',
      'pmsg /q2 /dev/mqueue/q2',
      'psem /s1 /dev/shm/sem.s1',
      'pshm /m1 /dev/shm/m1',
    ]);
    expect(recs[0]).toMatchObject({
      qsize: 7,
      msgs: 2,
      mode: 0o600,
      uid: process.getuid?.(),
      gid: process.getgid?.(),
    });
    expect(recs[1]).toMatchObject({ qsize: 0, msgs: 0, mode: 0o644 });
    expect(recs[2]).toMatchObject({ value: 2, mode: 0o600 });
    expect(recs[3]).toMatchObject({ size: 8192, mode: 0o600 });
    for (const r of recs) expect(Math.abs((r.mtime as number) - (o.now as number))).toBeLessThan(120);
    const limits = o.limits as Record<string, number>;
    for (const k of ['queuesMax', 'msgMax', 'msgsizeMax', 'msgDefault', 'msgsizeDefault'])
      expect(limits[k]).toBe(
        Number(
          spawnSync('cat', [`/proc/sys/fs/mqueue/${k.replace(/([A-Z])/g, '_$1').toLowerCase()}`], {
            encoding: 'utf8',
          }).stdout.trim(),
        ),
      );
    expect(o.mounted).toBe(true);
    expect(o.unmountedDir).toEqual([]);
  });

  const haveLsipc = existsSync(LSIPC_242);
  test.skipIf(!haveLsipc)(
    `the same objects as util-linux 2.42.2's lsipc -Q/-S/-M${haveLsipc ? '' : ` (${LSIPC_242} absent)`}`,
    async () => {
      const o = await script(`
        peer('mq-create', '/q1', '5', '100'); peer('mq-send', '/q1', '3', 'hello');
        peer('sem-create', '/s1', '2'); peer('sem-create', '/s2', '0');
        const m = svipc.PosixSharedMemory.create('/m1', 12345, { mode: 0o640 });
        const q = svipc.PosixMessageQueue.create('/q2'); q.send(Buffer.from('abc'), { priority: 1 }); q.send(Buffer.from('de'));
        const lsipc = (opt) => JSON.parse(execFileSync(${JSON.stringify(LSIPC_242)}, [opt, '--json', '-b', '--time-format=iso'], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } }));
        out.lsipc = { Q: lsipc('-Q'), S: lsipc('-S'), M: lsipc('-M') };
        out.svipc = svipc.listPosix();
        m[Symbol.dispose](); q[Symbol.dispose]();
      `);
      const ours = o.svipc as Record<string, unknown>[];
      const theirs = o.lsipc as Record<string, Record<string, Record<string, string>[]>>;
      const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', '+00:00');
      // lsipc 2.42.2's -P leaves PERMS of -Q empty: compare the symbolic form.
      const perms = (m: number) =>
        [6, 3, 0]
          .map((sh) => ['r', 'w', 'x'].map((c, i) => ((m >> sh) & (4 >> i) ? c : '-')).join(''))
          .join('');
      // lsipc lists in readdir order: compare by name.
      const byName = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
      const mine = (kind: string) => ours.filter((r) => r.kind === kind);
      const sorted = <T extends unknown[]>(rows: T[]) => rows.sort(byName);
      // Each -Q/-S/-M section against our records of that kind: name, perms, mtime, then its own
      // columns (theirs, ours). lsipc names semaphores and shared memory without the leading "/".
      const sections: [string, string, string, string[], string[], boolean][] = [
        ['Q', 'posix-messages', 'pmsg', ['usedbytes', 'msgs'], ['qsize', 'msgs'], true],
        ['S', 'posix-semaphores', 'psem', ['sval'], ['value'], false],
        ['M', 'posix-sharedmemory', 'pshm', ['size'], ['size'], false],
      ];
      for (const [opt, section, kind, theirCols, ourCols, slash] of sections) {
        const theirRows = theirs[opt]![section]!.map((r) => [
          r.name,
          r.perms,
          r.mtime,
          ...theirCols.map((c) => r[c]),
        ]);
        expect(sorted(theirRows)).toEqual(
          mine(kind).map((r) => [
            slash ? r.name : (r.name as string).slice(1),
            perms(r.mode as number),
            iso(r.mtime as number),
            ...ourCols.map((c) => String(r[c])),
          ]),
        );
      }
      expect(mine('pmsg').length + mine('psem').length + mine('pshm').length).toBe(5);
    },
  );
});
