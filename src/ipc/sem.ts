// System V semaphore sets: semget, semop, semtimedop, semctl.
import {
  blockUntil,
  deadlineOf,
  errnoAfterWait,
  WaitAbortedError,
  WaitTimeoutError,
  WOULD_BLOCK,
} from './blocking.js';
import { ctlStruct, IdStruct, SysvObject } from './ctl.js';
import { ERRNO } from './errno.js';
import { ipcError } from './errors.js';
import {
  C,
  callAsync,
  encode,
  fn,
  lastErrno,
  sembuf,
  semctlVariadic,
  semid_ds,
  seminfo,
  sizeOf,
  timespec,
} from './libc.js';
import { markCreated } from './owned.js';
import { applyPermChange, creation, dsFromRaw, type GetOptions, getId, type RawPerm } from './perm.js';
import { checked, fail, type Traced, type Tracer, trace, traceFail, traceOutcome } from './trace.js';
import type { PermChange, SemInfo, SemidDs, WaitOptions } from './types.js';
import { checkInt } from './validate.js';

const { EAGAIN, EINTR } = ERRNO;

/** SEMVMX: the largest value a semaphore can hold on Linux. */
export const SEMVMX = 32767;

// The machine's byte order, as os.endianness() says it (without loading node:os at start-up).
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface SemOp {
  /** Index in the set. */
  num: number;
  /** > 0 adds (V), < 0 subtracts and may wait (P), 0 waits for zero. */
  op: number;
  /** SEM_UNDO: the kernel reverts it when the process exits. */
  undo?: boolean;
}

interface RawSemid {
  sem_perm: RawPerm;
  sem_otime: number;
  sem_ctime: number;
  sem_nsems: number | bigint;
}

const CMD_NAMES: Record<number, string> = {
  0: 'IPC_RMID',
  1: 'IPC_SET',
  2: 'IPC_STAT',
  3: 'IPC_INFO',
  11: 'GETPID',
  12: 'GETVAL',
  13: 'GETALL',
  14: 'GETNCNT',
  15: 'GETZCNT',
  16: 'SETVAL',
  17: 'SETALL',
  18: 'SEM_STAT',
  19: 'SEM_INFO',
  20: 'SEM_STAT_ANY',
};

function ctl(
  id: number,
  num: number,
  cmd: number,
  arg?: Parameters<typeof semctlVariadic>[3],
  t?: Tracer,
  values?: () => string,
): number {
  const args = () =>
    `semid=${id}, semnum=${num}, cmd=${CMD_NAMES[cmd] ?? cmd}${arg?.type === 'int' ? `, val=${arg.value}` : ''}` +
    (values ? `, ${values()}` : '');
  return checked('semctl', args, semctlVariadic(id, num, cmd, arg), t);
}

/**
 * A sembuf array as the lecture's slides write it: {sem_num,sem_op,sem_flg}, e.g. `{0,-1,0}`
 * for one operation, `[{0,-1,0}, {1,1,SEM_UNDO}]` for several.
 */
export function formatOps(ops: readonly SemOp[], nowait = false): string {
  const flg = (o: SemOp) =>
    [o.undo ? 'SEM_UNDO' : '', nowait ? 'IPC_NOWAIT' : ''].filter(Boolean).join('|') || '0';
  const one = ops.map((o) => `{${o.num},${o.op},${flg(o)}}`);
  return one.length === 1 ? one[0]! : `[${one.join(', ')}]`;
}

/** Semaphore values as --trace shows them: {1, 0}. */
const formatValues = (values: readonly number[]) => `{${values.join(', ')}}`;

/**
 * A real call inside a wait failed: its own line on the `detail` view, and the line of the
 * call the program asked for (`semop`) when only those print. Throws the IpcError.
 */
function failWait(
  syscall: string,
  real: () => string,
  asked: () => string,
  t: Tracer | undefined,
  waited = false,
): never {
  const errno = errnoAfterWait(lastErrno(), waited);
  traceFail(syscall, real, errno, t?.detail);
  if (t && !t.all) traceFail('semop', asked, errno, t);
  throw ipcError(syscall, errno);
}

const fromRaw = dsFromRaw<RawSemid, SemidDs>('sem_', ['otime', 'ctime', 'nsems']);

const DS = new IdStruct<RawSemid, SemidDs>(
  semid_ds,
  (id, cmd, buf: Buffer, t) => ctl(id, 0, cmd, { type: 'void *', value: buf }, t),
  fromRaw,
  { checked: C.SEM_STAT, any: C.SEM_STAT_ANY },
);

function infoCall(cmd: number): SemInfo {
  const { raw, ret } = ctlStruct<Omit<SemInfo, 'maxIndex'>>(seminfo, (buf) =>
    ctl(0, 0, cmd, { type: 'void *', value: buf }),
  );
  return { ...raw, maxIndex: ret };
}

/** Milliseconds as a struct timespec; whole nanoseconds first, so tv_nsec never reaches 1e9. */
export function timespecOf(ms: number): { tv_sec: number; tv_nsec: number } {
  const ns = Math.max(0, Math.round(ms * 1e6));
  return { tv_sec: Math.floor(ns / 1e9), tv_nsec: ns % 1e9 };
}

/** struct sembuf[] for semop. */
export function packOps(ops: readonly SemOp[], nowait = false): Buffer {
  if (ops.length === 0) throw new RangeError('semop needs at least one operation');
  const size = sizeOf(sembuf);
  // allocUnsafe: every byte is written below, and a slice of the shared pool is off-heap
  // already (a small Buffer.alloc is an on-heap array V8 must move before koffi can pass it).
  const buf = Buffer.allocUnsafe(size * ops.length);
  ops.forEach((o, i) => {
    checkInt('sem_num', o.num, 0, 0xffff);
    checkInt('sem_op', o.op, -SEMVMX, SEMVMX);
    const flg = (o.undo ? C.SEM_UNDO : 0) | (nowait ? C.IPC_NOWAIT : 0);
    // struct sembuf { unsigned short sem_num; short sem_op; short sem_flg; }: offsets 0, 2, 4
    // (test/unit/layout.test.ts checks them against C), written directly in the machine's byte
    // order: koffi's encode() costs about a microsecond a call, most of an uncontended semop.
    const at = i * size;
    if (LITTLE_ENDIAN) {
      buf.writeUInt16LE(o.num, at);
      buf.writeInt16LE(o.op, at + 2);
      buf.writeInt16LE(flg, at + 4);
    } else {
      buf.writeUInt16BE(o.num, at);
      buf.writeInt16BE(o.op, at + 2);
      buf.writeInt16BE(flg, at + 4);
    }
  });
  return buf;
}

/**
 * One semop packed once and made many times: the hot loop of a transfer (svshm) pays for
 * the system call only. `try` never waits; `wait` waits on the calling thread, bounded.
 */
export class PreparedSemOp {
  readonly #id: number;
  readonly #n: number;
  readonly #tryBuf: Buffer;
  readonly #waitBuf: Buffer;
  readonly #ts = Buffer.alloc(sizeOf(timespec));
  #tsMs = -1;
  readonly #args: () => string;
  readonly #waitArgs: () => string;
  readonly #postArgs: () => string;
  readonly #positive: boolean;
  /** Where its calls are traced: the set's tracer. */
  readonly trace: Tracer | undefined;

  constructor(set: SemaphoreSet, ops: readonly SemOp[]) {
    this.trace = set.trace;
    this.#id = set.id;
    this.#n = ops.length;
    this.#tryBuf = packOps(ops, true);
    this.#waitBuf = packOps(ops, false);
    this.#args = () => `semid=${set.id}, ${formatOps(ops, true)}`;
    this.#waitArgs = () => `semid=${set.id}, ${formatOps(ops)}, timeout=${this.#tsMs / 1000}`;
    this.#postArgs = () => `semid=${set.id}, ${formatOps(ops)}`;
    this.#positive = ops.every((o) => o.op > 0);
  }

  /**
   * Trace the semop this stands for as done (`semop(semid=3, {0,-1,0}) -> 0`) once `try` or
   * `wait` got it: those calls are only the way it waited (shown with `all`, and then this
   * line is not).
   */
  traceDone(): void {
    if (this.trace && !this.trace.all) trace('semop', this.#postArgs, 0, this.trace);
  }

  /**
   * semop as packed, without IPC_NOWAIT, on the calling thread: only for operations that
   * never wait (every op > 0, a V), so that --trace shows them as the C programs make them.
   */
  post(): void {
    if (!this.#positive) throw new RangeError('post() is for operations that never wait (op > 0)');
    if ((fn.semop(this.#id, this.#waitBuf, this.#n) as number) === 0) {
      trace('semop', this.#postArgs, 0, this.trace);
      return;
    }
    fail('semop', this.#postArgs, false, this.trace);
  }

  /** semop with IPC_NOWAIT: true when done, false when it would block (EAGAIN). */
  try(): boolean {
    if ((fn.semop(this.#id, this.#tryBuf, this.#n) as number) === 0) {
      trace('semop', this.#args, 0, this.trace?.detail);
      return true;
    }
    if (lastErrno() === EAGAIN) {
      trace('semop', this.#args, '-1 EAGAIN', this.trace?.detail);
      return false;
    }
    return failWait('semop', this.#args, this.#postArgs, this.trace);
  }

  /**
   * semtimedop on the calling thread, at most `timeoutMs`: the event loop waits meanwhile,
   * so keep it short (tens of ms). A signal cuts it short (semtimedop is never restarted).
   * true when done; false when it timed out or was interrupted (EAGAIN, EINTR).
   */
  wait(timeoutMs: number): boolean {
    if (timeoutMs !== this.#tsMs) {
      const ms = Math.max(0, timeoutMs);
      encode(this.#ts, timespec, timespecOf(ms));
      this.#tsMs = timeoutMs;
    }
    if ((fn.semtimedop(this.#id, this.#waitBuf, this.#n, this.#ts) as number) === 0) {
      trace('semtimedop', this.#waitArgs, 0, this.trace?.detail);
      return true;
    }
    const errno = lastErrno();
    if (errno === EAGAIN || errno === EINTR) {
      trace('semtimedop', this.#waitArgs, `-1 ${errno === EAGAIN ? 'EAGAIN' : 'EINTR'}`, this.trace?.detail);
      return false;
    }
    return failWait('semtimedop', this.#waitArgs, this.#postArgs, this.trace);
  }
}

export class SemaphoreSet extends SysvObject('semid', DS, (id, t) => ctl(id, 0, C.IPC_RMID, undefined, t)) {
  static get(key: number, nsems: number, opts: GetOptions & Traced = {}): SemaphoreSet {
    const get = (k: number, flags: number) =>
      fn.semget(k, checkInt('nsems', nsems, 0, 0x7fffffff), flags) as number;
    return new SemaphoreSet(getId('semget', key, opts, get, `, nsems=${nsems}`), opts);
  }

  /** A new set: IPC_PRIVATE, or `key` created exclusively (EEXIST when taken). */
  static create(nsems: number, opts: { key?: number; mode?: number } & Traced = {}): SemaphoreSet {
    const { key, get } = creation(opts);
    return markCreated(SemaphoreSet.get(key, nsems, { ...get, trace: opts.trace }));
  }

  static usage(): SemInfo {
    return infoCall(C.SEM_INFO);
  }

  static limits(): SemInfo {
    return infoCall(C.IPC_INFO);
  }

  set(change: PermChange): void {
    DS.set(this.id, this.trace, (raw) => applyPermChange(raw.sem_perm, change));
  }

  getValue(num: number): number {
    return ctl(this.id, num, C.GETVAL, undefined, this.trace);
  }

  setValue(num: number, value: number): void {
    ctl(this.id, num, C.SETVAL, { type: 'int', value: checkInt('value', value, 0, SEMVMX) }, this.trace);
  }

  getAll(): number[] {
    // The count without a traced IPC_STAT: GETALL is the call the program asked for.
    const n = new SemaphoreSet(this.id, { trace: this.trace?.detail }).stat().nsems;
    const buf = Buffer.alloc(2 * Math.max(n, 1));
    const read = () => Array.from({ length: n }, (_, i) => buf.readUInt16LE(2 * i));
    // semctl's GETALL returns 0; the values it filled in are shown after it.
    const r = semctlVariadic(this.id, 0, C.GETALL, { type: 'void *', value: buf });
    const args = () => `semid=${this.id}, semnum=0, cmd=GETALL`;
    if (r < 0) fail('semctl', args, false, this.trace);
    trace('semctl', args, `${r} ${formatValues(read())}`, this.trace);
    return read();
  }

  setAll(values: readonly number[]): void {
    const buf = Buffer.alloc(2 * Math.max(values.length, 1));
    for (const [i, v] of values.entries()) buf.writeUInt16LE(checkInt('value', v, 0, SEMVMX), 2 * i);
    ctl(this.id, 0, C.SETALL, { type: 'void *', value: buf }, this.trace, () => formatValues(values));
  }

  /** Processes waiting for semaphore `num` to grow. */
  getNcnt(num: number): number {
    return ctl(this.id, num, C.GETNCNT, undefined, this.trace);
  }

  /** Processes waiting for semaphore `num` to become zero. */
  getZcnt(num: number): number {
    return ctl(this.id, num, C.GETZCNT, undefined, this.trace);
  }

  /** The pid of the last process that did a semop on `num`. */
  getPid(num: number): number {
    return ctl(this.id, num, C.GETPID, undefined, this.trace);
  }

  /** `ops` packed once, for a loop that makes the same semop many times. */
  prepare(ops: readonly SemOp[]): PreparedSemOp {
    return new PreparedSemOp(this, ops);
  }

  /** One atomic semop, synchronous. Returns false when `nowait` and it would block (EAGAIN). */
  op(ops: readonly SemOp[], opts: { nowait?: boolean } & Traced = {}): boolean {
    const t = opts.trace ?? this.trace;
    const buf = packOps(ops, opts.nowait);
    const args = () => `semid=${this.id}, ${formatOps(ops, opts.nowait)}`;
    if ((fn.semop(this.id, buf, ops.length) as number) === 0) {
      trace('semop', args, 0, t);
      return true;
    }
    if (opts.nowait && lastErrno() === EAGAIN) {
      trace('semop', args, '-1 EAGAIN', t);
      return false;
    }
    return fail('semop', args, false, t);
  }

  /**
   * One atomic semop that may wait, off the event loop: semtimedop on a pool thread with
   * the time left, re-asked synchronously after every wake-up (see blocking.ts).
   * With `timeout` (ms), throws WaitTimeoutError; with `signal`, WaitAbortedError (polled
   * every 100 ms: the op itself is never left pending after we give up, bar exit).
   */
  async opAsync(ops: readonly SemOp[], opts: WaitOptions & Traced = {}): Promise<void> {
    const t = opts.trace ?? this.trace;
    const tryBuf = packOps(ops, true);
    const waitBuf = packOps(ops, false);
    const deadline = deadlineOf(opts.timeout);
    const slice = opts.signal ? 100 : undefined;
    // What the program asked for (one semop), and how svipc waits for it (shown with `all`).
    const asked = () => `semid=${this.id}, ${formatOps(ops, opts.nowait)}`;
    const tryArgs = () => `semid=${this.id}, ${formatOps(ops, true)}`;
    const askedOnly = t && !t.all ? t : undefined;
    const attempt = (waited: boolean) => {
      if ((fn.semop(this.id, tryBuf, ops.length) as number) === 0) {
        trace('semop', tryArgs, 0, t?.detail);
        return true;
      }
      if (lastErrno() !== EAGAIN || opts.nowait) return fail('semop', tryArgs, waited, t?.detail);
      trace('semop', tryArgs, '-1 EAGAIN', t?.detail);
      if (opts.signal?.aborted) throw new WaitAbortedError('semop');
      if (deadline !== undefined && performance.now() >= deadline)
        throw new WaitTimeoutError('semop', opts.timeout!);
      return WOULD_BLOCK;
    };
    try {
      await blockUntil(attempt, async () => {
        let ms = deadline === undefined ? slice : Math.max(0, deadline - performance.now());
        if (slice !== undefined && ms !== undefined) ms = Math.min(ms, slice);
        let ts: Buffer | null = null;
        if (ms !== undefined) {
          ts = Buffer.alloc(sizeOf(timespec));
          encode(ts, timespec, timespecOf(ms));
        }
        const r = await callAsync('semtimedop', this.id, waitBuf, ops.length, ts);
        const sliceArgs = () =>
          `semid=${this.id}, ${formatOps(ops)}, timeout=${ms === undefined ? 'NULL' : Number((ms / 1000).toFixed(3))}`;
        trace('semtimedop', sliceArgs, r === 0 ? 0 : '-1 (woken: the next try says why)', t?.detail);
        return r === 0 ? true : null;
      });
    } catch (e) {
      traceOutcome('semop', asked, askedOnly, e);
      throw e;
    }
    trace('semop', asked, 0, askedOnly);
  }
}
