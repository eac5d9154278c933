// System V semaphore sets: semget, semop, semtimedop, semctl.
import { constants, endianness } from 'node:os';
import { blockUntil, deadlineOf, WaitAbortedError, WaitTimeoutError, WOULD_BLOCK } from './blocking.js';
import {
  C,
  callAsync,
  decode,
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
import { disposeCreated, markCreated } from './owned.js';
import {
  applyPermChange,
  creation,
  flagsOf,
  type GetOptions,
  num,
  permFromRaw,
  type RawPerm,
} from './perm.js';
import { checked, fail, getFlags, hexKey, trace } from './trace.js';
import type { PermChange, SemInfo, SemidDs, WaitOptions } from './types.js';
import { checkId, checkInt, checkKey } from './validate.js';

// errno values from Node's table for this platform, not typed in by hand.
const { EAGAIN, EINTR } = constants.errno;

/** SEMVMX: the largest value a semaphore can hold on Linux. */
export const SEMVMX = 32767;

const LITTLE_ENDIAN = endianness() === 'LE';

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

function ctl(id: number, num: number, cmd: number, arg?: Parameters<typeof semctlVariadic>[3]): number {
  const args = () =>
    `semid=${id}, semnum=${num}, cmd=${CMD_NAMES[cmd] ?? cmd}${arg?.type === 'int' ? `, val=${arg.value}` : ''}`;
  return checked('semctl', args, semctlVariadic(id, num, cmd, arg));
}

/** [{num:0, op:-1, flg:0}], as --trace shows a sembuf array. */
export function formatOps(ops: readonly SemOp[], nowait = false): string {
  const flg = (o: SemOp) =>
    [o.undo ? 'SEM_UNDO' : '', nowait ? 'IPC_NOWAIT' : ''].filter(Boolean).join('|') || '0';
  return `[${ops.map((o) => `{num:${o.num}, op:${o.op}, flg:${flg(o)}}`).join(', ')}]`;
}

function fromRaw(r: RawSemid): SemidDs {
  return {
    perm: permFromRaw(r.sem_perm),
    otime: num(r.sem_otime),
    ctime: num(r.sem_ctime),
    nsems: num(r.sem_nsems),
  };
}

function statRaw(id: number, cmd: number = C.IPC_STAT): { raw: RawSemid; buf: Buffer; ret: number } {
  const buf = Buffer.alloc(sizeOf(semid_ds));
  const ret = ctl(id, 0, cmd, { type: 'void *', value: buf });
  return { raw: decode<RawSemid>(buf, semid_ds), buf, ret };
}

function infoCall(cmd: number): SemInfo {
  const buf = Buffer.alloc(sizeOf(seminfo));
  const ret = ctl(0, 0, cmd, { type: 'void *', value: buf });
  return { ...decode<Omit<SemInfo, 'maxIndex'>>(buf, seminfo), maxIndex: ret };
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

  constructor(set: SemaphoreSet, ops: readonly SemOp[]) {
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
   * semop as packed, without IPC_NOWAIT, on the calling thread: only for operations that
   * never wait (every op > 0, a V), so that --trace shows them as the C programs make them.
   */
  post(): void {
    if (!this.#positive) throw new RangeError('post() is for operations that never wait (op > 0)');
    if ((fn.semop(this.#id, this.#waitBuf, this.#n) as number) === 0) {
      trace('semop', this.#postArgs, 0);
      return;
    }
    fail('semop', this.#postArgs);
  }

  /** semop with IPC_NOWAIT: true when done, false when it would block (EAGAIN). */
  try(): boolean {
    if ((fn.semop(this.#id, this.#tryBuf, this.#n) as number) === 0) {
      trace('semop', this.#args, 0);
      return true;
    }
    if (lastErrno() === EAGAIN) {
      trace('semop', this.#args, '-1 EAGAIN');
      return false;
    }
    return fail('semop', this.#args);
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
      trace('semtimedop', this.#waitArgs, 0);
      return true;
    }
    const errno = lastErrno();
    if (errno === EAGAIN || errno === EINTR) {
      trace('semtimedop', this.#waitArgs, `-1 ${errno === EAGAIN ? 'EAGAIN' : 'EINTR'}`);
      return false;
    }
    return fail('semtimedop', this.#waitArgs);
  }
}

export class SemaphoreSet {
  constructor(readonly id: number) {
    checkId('semid', id);
  }

  static get(key: number, nsems: number, opts: GetOptions = {}): SemaphoreSet {
    const flags = flagsOf(opts);
    const args = () => `key=${hexKey(key)}, nsems=${nsems}, flags=${getFlags(flags)}`;
    const id = fn.semget(checkKey(key), checkInt('nsems', nsems, 0, 0x7fffffff), flags) as number;
    return new SemaphoreSet(checked('semget', args, id));
  }

  /** A new set: IPC_PRIVATE, or `key` created exclusively (EEXIST when taken). */
  static create(nsems: number, opts: { key?: number; mode?: number } = {}): SemaphoreSet {
    const { key, get } = creation(opts);
    return markCreated(SemaphoreSet.get(key, nsems, get));
  }

  static usage(): SemInfo {
    return infoCall(C.SEM_INFO);
  }

  static limits(): SemInfo {
    return infoCall(C.IPC_INFO);
  }

  /**
   * SEM_STAT_ANY on a kernel index (any object, read permission or not); with `checked`,
   * SEM_STAT, which fails with EACCES where the caller may not read (util-linux's fallback).
   */
  static statIndex(index: number, opts: { checked?: boolean } = {}): { id: number; ds: SemidDs } {
    const { raw, ret } = statRaw(index, opts.checked ? C.SEM_STAT : C.SEM_STAT_ANY);
    return { id: ret, ds: fromRaw(raw) };
  }

  stat(): SemidDs {
    return fromRaw(statRaw(this.id).raw);
  }

  set(change: PermChange): void {
    const { raw, buf } = statRaw(this.id);
    applyPermChange(raw.sem_perm, change);
    encode(buf, semid_ds, raw);
    ctl(this.id, 0, C.IPC_SET, { type: 'void *', value: buf });
  }

  remove(): void {
    ctl(this.id, 0, C.IPC_RMID);
  }

  /** `using x = X.create(...)`: removed at the end of the scope (one opened with `get` is not). */
  [Symbol.dispose](): void {
    disposeCreated(this);
  }

  getValue(num: number): number {
    return ctl(this.id, num, C.GETVAL);
  }

  setValue(num: number, value: number): void {
    ctl(this.id, num, C.SETVAL, { type: 'int', value: checkInt('value', value, 0, SEMVMX) });
  }

  getAll(): number[] {
    const n = this.stat().nsems;
    const buf = Buffer.alloc(2 * Math.max(n, 1));
    ctl(this.id, 0, C.GETALL, { type: 'void *', value: buf });
    return Array.from({ length: n }, (_, i) => buf.readUInt16LE(2 * i));
  }

  setAll(values: readonly number[]): void {
    const buf = Buffer.alloc(2 * Math.max(values.length, 1));
    for (const [i, v] of values.entries()) buf.writeUInt16LE(checkInt('value', v, 0, SEMVMX), 2 * i);
    ctl(this.id, 0, C.SETALL, { type: 'void *', value: buf });
  }

  /** Processes waiting for semaphore `num` to grow. */
  getNcnt(num: number): number {
    return ctl(this.id, num, C.GETNCNT);
  }

  /** Processes waiting for semaphore `num` to become zero. */
  getZcnt(num: number): number {
    return ctl(this.id, num, C.GETZCNT);
  }

  /** The pid of the last process that did a semop on `num`. */
  getPid(num: number): number {
    return ctl(this.id, num, C.GETPID);
  }

  /** `ops` packed once, for a loop that makes the same semop many times. */
  prepare(ops: readonly SemOp[]): PreparedSemOp {
    return new PreparedSemOp(this, ops);
  }

  /** One atomic semop, synchronous. Returns false when `nowait` and it would block (EAGAIN). */
  op(ops: readonly SemOp[], opts: { nowait?: boolean } = {}): boolean {
    const buf = packOps(ops, opts.nowait);
    const args = () => `semid=${this.id}, ${formatOps(ops, opts.nowait)}`;
    if ((fn.semop(this.id, buf, ops.length) as number) === 0) {
      trace('semop', args, 0);
      return true;
    }
    if (opts.nowait && lastErrno() === EAGAIN) {
      trace('semop', args, '-1 EAGAIN');
      return false;
    }
    return fail('semop', args);
  }

  /**
   * One atomic semop that may wait, off the event loop: semtimedop on a pool thread with
   * the time left, re-asked synchronously after every wake-up (see blocking.ts).
   * With `timeout` (ms), throws WaitTimeoutError; with `signal`, WaitAbortedError (polled
   * every 100 ms: the op itself is never left pending after we give up, bar exit).
   */
  async opAsync(ops: readonly SemOp[], opts: WaitOptions = {}): Promise<void> {
    const tryBuf = packOps(ops, true);
    const waitBuf = packOps(ops, false);
    const deadline = deadlineOf(opts.timeout);
    const slice = opts.signal ? 100 : undefined;
    const tryArgs = () => `semid=${this.id}, ${formatOps(ops, true)}`;
    const attempt = (waited: boolean) => {
      if ((fn.semop(this.id, tryBuf, ops.length) as number) === 0) {
        trace('semop', tryArgs, 0);
        return true;
      }
      if (lastErrno() !== EAGAIN || opts.nowait) return fail('semop', tryArgs, waited);
      if (opts.signal?.aborted) throw new WaitAbortedError('semop');
      if (deadline !== undefined && performance.now() >= deadline)
        throw new WaitTimeoutError('semop', opts.timeout!);
      return WOULD_BLOCK;
    };
    await blockUntil(attempt, async () => {
      let ms = deadline === undefined ? slice : Math.max(0, deadline - performance.now());
      if (slice !== undefined && ms !== undefined) ms = Math.min(ms, slice);
      let ts: Buffer | null = null;
      if (ms !== undefined) {
        ts = Buffer.alloc(sizeOf(timespec));
        encode(ts, timespec, timespecOf(ms));
      }
      const r = await callAsync('semtimedop', this.id, waitBuf, ops.length, ts);
      if (r !== 0) return null;
      trace('semop', () => `semid=${this.id}, ${formatOps(ops)}`, 0);
      return true;
    });
  }
}
