// src/ipc in-process: each wrapper against the real kernel, on private objects this test
// creates and removes (never anything else), plus the errno → IpcError mapping.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WaitTimeoutError } from '../../src/ipc/blocking.js';
import {
  IPC as C,
  formatKey,
  ftok,
  IpcArgumentError,
  IpcError,
  MessageQueue,
  SEMVMX,
  SemaphoreSet,
  SharedMemory,
  Tracer,
  userName,
} from '../../src/ipc/index.js';
import { mayRead } from '../../src/ipc/removal.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) {
    try {
      cleanups.pop()!();
    } catch {
      // already removed by the test
    }
  }
});

function queue(): MessageQueue {
  const q = MessageQueue.create();
  cleanups.push(() => q.remove());
  return q;
}
function semset(n: number): SemaphoreSet {
  const s = SemaphoreSet.create(n);
  cleanups.push(() => s.remove());
  return s;
}
function segment(size: number): SharedMemory {
  const m = SharedMemory.create(size);
  cleanups.push(() => m.remove());
  return m;
}

function expectIpcError(f: () => unknown, code: string, syscall: string) {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(IpcError);
    const err = e as IpcError;
    expect(err.code).toBe(code);
    expect(err.syscall).toBe(syscall);
    expect(err.errno).toBeGreaterThan(0);
    expect(err.message).toMatch(new RegExp(`^${syscall} ${code} \\(`));
    return;
  }
  throw new Error(`expected ${syscall} to fail with ${code}`);
}

describe('MessageQueue', () => {
  it('sends and receives with every msgtyp rule', () => {
    const q = queue();
    for (const t of [3, 1, 2, 1]) q.send(t, Buffer.from(`m${t}`));
    expect(q.stat().qnum).toBe(4);
    expect(q.receive({ type: 2, nowait: true })?.data.toString()).toBe('m2');
    expect(q.receive({ type: 1, except: true, nowait: true })?.type).toBe(3);
    expect(q.receive({ type: -5, nowait: true })?.type).toBe(1);
    expect(q.receive({ type: 0, nowait: true })?.type).toBe(1);
    expect(q.receive({ nowait: true })).toBeNull();
  });

  it('stat reports counts, bytes and pids; set changes mode and qbytes', () => {
    const q = queue();
    q.send(1, Buffer.from('hello'));
    const ds = q.stat();
    expect(ds).toMatchObject({ qnum: 1, cbytes: 5, lspid: process.pid, lrpid: 0 });
    expect(ds.perm.mode & 0o777).toBe(0o600);
    expect(ds.perm.uid).toBe(process.getuid!());
    q.set({ mode: 0o640, qbytes: 1000 });
    expect(q.stat().perm.mode & 0o777).toBe(0o640);
    expect(q.stat().qbytes).toBe(1000);
  });

  it('E2BIG for a message longer than maxSize; MSG_NOERROR truncates', () => {
    const q = queue();
    q.send(1, Buffer.from('0123456789'));
    expectIpcError(() => q.receive({ maxSize: 4, nowait: true }), 'E2BIG', 'msgrcv');
    expect(q.receive({ maxSize: 4, noerror: true, nowait: true })?.data.toString()).toBe('0123');
  });

  it('peek copies by position (MSG_COPY) and leaves the queue as it was', () => {
    const q = queue();
    for (const t of [4, 2, 9]) q.send(t, Buffer.from(`m${t}`));
    const before = q.stat();
    expect([0, 1, 2].map((i) => q.peek(i)?.type)).toEqual([4, 2, 9]);
    expect(q.peek(1)?.data.toString()).toBe('m2');
    expect(q.peek(3)).toBeNull();
    expectIpcError(() => q.peek(0, { maxSize: 1 }), 'E2BIG', 'msgrcv');
    expect(() => q.peek(-1)).toThrow(IpcArgumentError);
    const after = q.stat();
    expect([after.qnum, after.cbytes, after.lrpid]).toEqual([before.qnum, before.cbytes, before.lrpid]);
    expect([0, 1, 2].map(() => q.receive({ nowait: true })?.type)).toEqual([4, 2, 9]);
  });

  it('EAGAIN when a nowait send finds the queue full', () => {
    const q = queue();
    q.set({ qbytes: 8 });
    q.send(1, Buffer.alloc(8));
    expectIpcError(() => q.send(1, Buffer.alloc(1), { nowait: true }), 'EAGAIN', 'msgsnd');
  });

  it('ENOENT, EEXIST, EINVAL map to IpcError with code, errno and syscall', () => {
    const q = queue();
    expectIpcError(() => MessageQueue.get(0x7e57_0001, {}), 'ENOENT', 'msgget');
    const keyed = MessageQueue.create({ key: 0x7e57_0002 });
    cleanups.push(() => keyed.remove());
    expectIpcError(() => MessageQueue.create({ key: 0x7e57_0002 }), 'EEXIST', 'msgget');
    q.remove();
    expectIpcError(() => q.stat(), 'EINVAL', 'msgctl');
  });

  it('receiveAsync waits without blocking the event loop', async () => {
    const q = queue();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    setTimeout(() => q.send(9, Buffer.from('late')), 60);
    const m = await q.receiveAsync({ type: 9 });
    clearInterval(timer);
    expect(m.data.toString()).toBe('late');
    expect(ticks).toBeGreaterThan(3);
  });

  it('a blocked receiveAsync fails with EIDRM when its queue is removed', async () => {
    const q = MessageQueue.create();
    setTimeout(() => q.remove(), 50);
    await expect(q.receiveAsync()).rejects.toMatchObject({ code: 'EIDRM', syscall: 'msgrcv' });
  });

  it('a bounded receiveAsync times out and leaves the queue usable', async () => {
    const q = queue();
    const t0 = performance.now();
    await expect(q.receiveAsync({ timeout: 100 })).rejects.toBeInstanceOf(WaitTimeoutError);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    q.send(1, Buffer.from('x'));
    expect(q.receive({ nowait: true })?.data.toString()).toBe('x');
  });

  it('usage (MSG_INFO) and limits (IPC_INFO) are numbers', () => {
    const lim = MessageQueue.limits();
    expect(lim.msgmax).toBeGreaterThan(0);
    expect(lim.msgmnb).toBeGreaterThan(0);
    const q = queue();
    q.send(1, Buffer.alloc(100));
    expect(MessageQueue.usage().msgtql).toBeGreaterThanOrEqual(1);
  });

  it('checks arguments before calling libc', () => {
    expect(() => new MessageQueue(-1)).toThrow(IpcArgumentError);
    const q = queue();
    expect(() => q.send(0, Buffer.alloc(1))).toThrow(IpcArgumentError);
  });
});

describe('SemaphoreSet', () => {
  it('SETALL/GETALL, SETVAL/GETVAL, GETPID, stat', () => {
    const s = semset(3);
    s.setAll([1, 2, 3]);
    expect(s.getAll()).toEqual([1, 2, 3]);
    s.setValue(1, 7);
    expect(s.getValue(1)).toBe(7);
    expect(s.stat().nsems).toBe(3);
    expect(s.stat().otime).toBe(0);
    s.op([{ num: 0, op: -1 }]);
    expect(s.getPid(0)).toBe(process.pid);
    expect(s.stat().otime).toBeGreaterThan(0);
  });

  it('a two-semaphore op is atomic: all or nothing', () => {
    const s = semset(2);
    s.setAll([1, 0]);
    expect(
      s.op(
        [
          { num: 0, op: -1 },
          { num: 1, op: -1 },
        ],
        { nowait: true },
      ),
    ).toBe(false);
    expect(s.getAll()).toEqual([1, 0]);
    s.op([
      { num: 0, op: -1 },
      { num: 1, op: 1 },
    ]);
    expect(s.getAll()).toEqual([0, 1]);
  });

  it('errors: ERANGE above SEMVMX, EFBIG past the set, EINVAL after removal', () => {
    const s = semset(1);
    s.setValue(0, SEMVMX);
    expectIpcError(() => s.op([{ num: 0, op: 1 }]), 'ERANGE', 'semop');
    expectIpcError(() => s.op([{ num: 5, op: 1 }]), 'EFBIG', 'semop');
    expect(() => s.setValue(0, SEMVMX + 1)).toThrow(IpcArgumentError);
    s.remove();
    expectIpcError(() => s.getValue(0), 'EINVAL', 'semctl');
  });

  it('opAsync waits off the event loop; GETNCNT sees the waiter', async () => {
    const s = semset(1);
    const wait = s.opAsync([{ num: 0, op: -1 }]);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.getNcnt(0)).toBe(1);
    s.setValue(0, 1);
    await wait;
    expect(s.getValue(0)).toBe(0);
  });

  it('opAsync times out within its bound and changes nothing', async () => {
    const s = semset(1);
    const t0 = performance.now();
    await expect(s.opAsync([{ num: 0, op: -1 }], { timeout: 150 })).rejects.toBeInstanceOf(WaitTimeoutError);
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(145);
    expect(ms).toBeLessThan(1000);
    expect(s.getValue(0)).toBe(0);
    expect(s.getNcnt(0)).toBe(0);
  });

  it('opAsync fails with EIDRM when the set is removed during the wait', async () => {
    const s = SemaphoreSet.create(1);
    setTimeout(() => s.remove(), 50);
    await expect(s.opAsync([{ num: 0, op: -1 }])).rejects.toMatchObject({ code: 'EIDRM' });
  });

  it('opAsync with an aborted signal stops waiting', async () => {
    const s = semset(1);
    const ac = new AbortController();
    setTimeout(() => ac.abort('SIGINT'), 50);
    await expect(s.opAsync([{ num: 0, op: -1 }], { signal: ac.signal })).rejects.toMatchObject({
      code: 'ABORT_ERR',
    });
    expect(s.getValue(0)).toBe(0);
  });

  it('IPC_SET changes the mode; limits come back as numbers', () => {
    const s = semset(1);
    s.set({ mode: 0o644 });
    expect(s.stat().perm.mode & 0o777).toBe(0o644);
    expect(SemaphoreSet.limits().semvmx).toBe(SEMVMX);
    expect(SemaphoreSet.usage().semusz).toBeGreaterThanOrEqual(1);
  });
});

describe('SharedMemory', () => {
  it('attach gives a zero-copy view: two attachments see the same bytes', () => {
    const m = segment(8192);
    const a = m.attach();
    const b = m.attach();
    a.buffer.write('hello', 100);
    expect(b.buffer.toString('utf8', 100, 105)).toBe('hello');
    expect(a.buffer.length).toBe(8192);
    expect(m.stat().nattch).toBe(2);
    expect(a.address).not.toBe(b.address);
    a.detach();
    b.detach();
    expect(m.stat().nattch).toBe(0);
    expect(() => a.buffer).toThrow(/detached/);
    a.detach(); // idempotent
  });

  it('removal while attached marks SHM_DEST and keeps the memory until detach', () => {
    const m = SharedMemory.create(4096, { key: 0x7e57_0003 });
    const a = m.attach();
    try {
      m.remove();
      const ds = m.stat();
      expect(ds.perm.mode & C.SHM_DEST).toBeTruthy();
      expect(ds.perm.key).toBe(0);
      a.buffer[0] = 42;
      expect(a.buffer[0]).toBe(42);
    } finally {
      a.detach();
    }
    expect(() => m.stat()).toThrow(IpcError);
  });

  it('stat: size, creator pid, times', () => {
    const m = segment(5000);
    const ds = m.stat();
    expect(ds).toMatchObject({ segsz: 5000, cpid: process.pid, nattch: 0, atime: 0, dtime: 0 });
    expect(ds.ctime).toBeGreaterThan(1_600_000_000);
  });

  it.skipIf(process.getuid!() !== 0)('SHM_LOCK / SHM_UNLOCK set and clear SHM_LOCKED (root)', () => {
    const m = segment(4096);
    m.lock();
    expect(m.stat().perm.mode & C.SHM_LOCKED).toBeTruthy();
    m.unlock();
    expect(m.stat().perm.mode & C.SHM_LOCKED).toBeFalsy();
  });

  it('EINVAL for a size above shmmax or a bad id; usage is numbers', () => {
    expectIpcError(() => SharedMemory.create(0), 'EINVAL', 'shmget');
    expectIpcError(() => new SharedMemory(0x7ffffff0).attach(), 'EINVAL', 'shmctl');
    expect(SharedMemory.usage().usedIds).toBeGreaterThanOrEqual(0);
  });
});

describe('ftok, keys, names, trace', () => {
  it('ftok gives the same key for the same file and proj, ENOENT for a missing one', () => {
    expect(ftok('/', 1)).toBe(ftok('/', 1));
    expect(ftok('/', 1)).not.toBe(ftok('/', 2));
    expectIpcError(() => ftok('/no/such/file', 1), 'ENOENT', 'ftok');
  });

  it('formatKey prints 0x%08x of the 32-bit value', () => {
    expect(formatKey(0x1234)).toBe('0x00001234');
    expect(formatKey(-1)).toBe('0xffffffff');
  });

  it('userName resolves root and returns null for an unknown uid', () => {
    expect(userName(0)).toBe('root');
    expect(userName(3_999_999_999)).toBeNull();
  });

  it('the tracer sees each call with its result', () => {
    const lines: string[] = [];
    const trace = new Tracer((l) => lines.push(l), { pid: 7, prog: 'test' });
    const s = SemaphoreSet.create(1, { trace });
    s.setValue(0, 1);
    s.op([{ num: 0, op: -1 }]);
    expect(() => MessageQueue.get(0x7e57_0004, { trace })).toThrow();
    s.remove();
    expect(lines).toContainEqual(
      expect.stringMatching(/^\[7 test\] semget\(key=IPC_PRIVATE, nsems=1, flags=IPC_CREAT\|0600\) -> \d+$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^\[7 test\] semop\(semid=\d+, \{0,-1,0\}\) -> 0$/));
    expect(lines).toContain('[7 test] msgget(key=0x7e570004, flags=0) -> -1 ENOENT');
  });
});

describe('removal: the kernel read check ipcrm -a honours', () => {
  it('mayRead: the owner or creator bits, else the group bits, else the others; root reads all', () => {
    const perm = (uid: number, gid: number, mode: number) => ({
      key: 0,
      uid,
      gid,
      cuid: 0,
      cgid: 0,
      mode,
      seq: 0,
    });
    const euid = vi.spyOn(process, 'geteuid').mockReturnValue(1000);
    const egid = vi.spyOn(process, 'getegid').mockReturnValue(1000);
    const groups = vi.spyOn(process, 'getgroups').mockReturnValue([1000, 27]);
    try {
      expect(mayRead(perm(1000, 5, 0o400))).toBe(true);
      expect(mayRead(perm(1000, 1000, 0o044))).toBe(false); // the owner's bits decide, not the group's
      expect(mayRead(perm(5, 27, 0o040))).toBe(true); // a supplementary group
      expect(mayRead(perm(5, 6, 0o440))).toBe(false);
      expect(mayRead(perm(5, 6, 0o004))).toBe(true);
      euid.mockReturnValue(0);
      expect(mayRead(perm(5, 6, 0o000))).toBe(true);
    } finally {
      euid.mockRestore();
      egid.mockRestore();
      groups.mockRestore();
    }
  });
});

describe('packOps', () => {
  it('lays out struct sembuf exactly as koffi encodes it (C field order, this machine’s byte order)', async () => {
    const { packOps } = await import('../../src/ipc/sem.js');
    const { encode, sembuf, sizeOf } = await import('../../src/ipc/libc.js');
    const ops = [
      { num: 0, op: -1 },
      { num: 65535, op: 32767, undo: true },
      { num: 3, op: -32767 },
      { num: 1, op: 0, undo: true },
    ];
    for (const nowait of [false, true]) {
      const want = Buffer.alloc(sizeOf(sembuf) * ops.length);
      ops.forEach((o, i) => {
        const flg = (o.undo ? 0x1000 : 0) | (nowait ? 0o4000 : 0);
        encode(want, sembuf, { sem_num: o.num, sem_op: o.op, sem_flg: flg }, i * sizeOf(sembuf));
      });
      expect(packOps(ops, nowait)).toEqual(want);
    }
  });
});
