// What the POSIX classes (posix-mq.ts, posix-sem.ts, posix-shm.ts) share: names, open flags,
// ownership checks, and how a wait runs without blocking the event loop.
//
// Waits follow src/ipc/blocking.ts: koffi's `.async` runs on libuv's pool, where errno is lost.
// So every wait is a loop of (1) the call made synchronously so it cannot block (sem_trywait, or
// mq_timed* with an absolute timeout already past): exact result or exact errno; (2) when it
// would block, the blocking call on the pool with a SHORT absolute timeout (a slice), after which
// (1) says what happened. The signal and the deadline are checked between slices, so an abort
// takes effect within one slice and no pool thread outlives the wait. A slice that succeeded
// after the signal fired still counts (its message or decrement is returned, never dropped).

import { type BigIntStats, constants as fsc, fstatSync, statSync } from 'node:fs';
import { deadlineOf, sleep, stepWithin, WaitAbortedError, WOULD_BLOCK } from './blocking.js';
import { ERRNO } from './errno.js';
import { ipcError, isIpcError } from './errors.js';
import { encode, sizeOf, timespec } from './libc.js';
import { wasCreated } from './owned.js';
import type { Tracer } from './trace.js';
import { checkMode, IpcArgumentError } from './validate.js';

export const { EBADF, EAGAIN, ETIMEDOUT, ENOENT } = ERRNO;

/** How long one blocking call on the pool may wait before the loop looks at signal and deadline. */
export const SLICE_MS = 50;

/** open(2) flags from Node's table for this platform. */
export const O = {
  RDONLY: fsc.O_RDONLY,
  WRONLY: fsc.O_WRONLY,
  RDWR: fsc.O_RDWR,
  CREAT: fsc.O_CREAT,
  EXCL: fsc.O_EXCL,
  NONBLOCK: fsc.O_NONBLOCK,
} as const;

/** How a POSIX object is opened: like GetOptions, plus the access this process needs. */
export interface PosixOpenOptions {
  /** O_CREAT: make it when it does not exist. */
  create?: boolean;
  /** O_EXCL (with create): fail with EEXIST when it exists. */
  exclusive?: boolean;
  /** Permission bits for a new object (default 0600). */
  mode?: number;
  /** 'read', 'write' or 'readwrite' (default): open with no more access than needed. */
  access?: 'read' | 'write' | 'readwrite';
  /** Where this object's calls are traced (see Tracer); none by default. */
  trace?: Tracer | undefined;
}

/** Wait options of every POSIX wait: `timeout` in ms, `signal` to give up early. */
export interface PosixWaitOptions {
  timeout?: number;
  signal?: AbortSignal;
}

/** A POSIX IPC name: "/name", one slash, at most NAME_MAX (255) bytes after it. */
export function checkName(name: string): string {
  if (
    typeof name !== 'string' ||
    !/^\/[^/\0]+$/.test(name) ||
    name === '/.' ||
    name === '/..' ||
    Buffer.byteLength(name) > 256
  )
    throw new IpcArgumentError(
      `a POSIX IPC name is "/" and 1 to 255 bytes without "/" or NUL, got ${JSON.stringify(String(name))}`,
    );
  return name;
}

export function openFlags(opts: PosixOpenOptions): number {
  const access = opts.access ?? 'readwrite';
  if (access !== 'read' && access !== 'write' && access !== 'readwrite')
    throw new IpcArgumentError(`access must be 'read', 'write' or 'readwrite', got ${String(access)}`);
  const acc = access === 'read' ? O.RDONLY : access === 'write' ? O.WRONLY : O.RDWR;
  return acc | (opts.create ? O.CREAT : 0) | (opts.create && opts.exclusive ? O.EXCL : 0);
}

export function openFlagNames(flags: number): string {
  const acc = ['O_RDONLY', 'O_WRONLY', 'O_RDWR'][flags & 3] ?? String(flags & 3);
  return [acc, flags & O.CREAT ? 'O_CREAT' : '', flags & O.EXCL ? 'O_EXCL' : ''].filter(Boolean).join('|');
}

/** ipcmk's flags: made read-write, exclusively (an existing object is never opened). */
export const CREATE_EXCLUSIVE = O.RDWR | O.CREAT | O.EXCL;

/** A *_open's first arguments as a trace line shows them: `"/q", O_RDWR|O_CREAT, 0600`. */
export function openArgs(name: string, flags: number, mode: number): string {
  return `"${name}", ${openFlagNames(flags)}, 0${mode.toString(8)}`;
}

/**
 * What every class's *_open starts with: the name checked (checkName), `opts` as open flags,
 * the mode (default 0600) checked, and the call's first arguments for its trace line.
 */
export function openCall(
  name: string,
  opts: PosixOpenOptions,
): { flags: number; mode: number; args: () => string } {
  checkName(name);
  const flags = openFlags(opts);
  const mode = checkMode(opts.mode ?? 0o600);
  return { flags, mode, args: () => openArgs(name, flags, mode) };
}

/** A struct timespec holding CLOCK_REALTIME now + `ms` (or the epoch: a timeout already past). */
export function absTimespec(ms: number | null): Buffer {
  const buf = Buffer.alloc(sizeOf(timespec));
  if (ms === null) {
    encode(buf, timespec, { tv_sec: 0, tv_nsec: 0 });
    return buf;
  }
  const at = Date.now() + ms;
  const sec = Math.floor(at / 1000);
  encode(buf, timespec, { tv_sec: sec, tv_nsec: Math.min(999_999_999, Math.floor((at - sec * 1000) * 1e6)) });
  return buf;
}

/** "DEV:INODE" of what `stat` finds, or null when it fails. */
function identity(stat: () => BigIntStats): string | null {
  try {
    const st = stat();
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

/** File identity (device, inode) of a path, or null when it is not there or not readable. */
export function identityOf(path: string): string | null {
  return identity(() => statSync(path, { bigint: true }));
}

/** File identity (device, inode) of an open descriptor, or null. */
export function fdIdentity(fd: number): string | null {
  return identity(() => fstatSync(fd, { bigint: true }));
}

/**
 * Counts the waits running on libuv's pool for one object, so that close() never frees what a
 * pool thread still uses (an mqd or a sem_t mapping): the real close waits for the last one.
 */
export class InFlight {
  #count = 0;
  #closing: (() => void) | null = null;

  get closed(): boolean {
    return this.#closing !== null;
  }

  async run<T>(p: () => Promise<T>): Promise<T> {
    this.#count++;
    try {
      return await p();
    } finally {
      this.#count--;
      if (this.#count === 0 && this.#closing) this.#closing();
    }
  }

  /** Close now, or when the last pool call returns (within one slice). */
  close(doClose: () => void): void {
    if (this.#closing) return;
    this.#closing = doClose;
    if (this.#count === 0) doClose();
  }
}

/**
 * The wait loop (see the top of this file). `attempt` must not block; `slice(absTimeout)` is the
 * blocking call on the pool, resolving to a value or null (it returned -1: attempt finds out why).
 * With `nowait`, the one attempt: BusyError (EAGAIN) when it would have to wait.
 */
export async function waitInSlices<T>(
  syscall: string,
  attempt: () => T | typeof WOULD_BLOCK,
  slice: (absTimeout: Buffer) => Promise<T | null>,
  opts: PosixWaitOptions & { nowait?: boolean },
  inFlight: InFlight,
): Promise<T> {
  if (opts.nowait) {
    const r = attempt();
    if (r === WOULD_BLOCK) throw ipcError(syscall, EAGAIN);
    return r;
  }
  if (opts.timeout !== undefined && !(opts.timeout >= 0))
    throw new IpcArgumentError(`timeout must be a number of milliseconds >= 0, got ${String(opts.timeout)}`);
  const deadline = deadlineOf(opts.timeout);
  let quick = 0;
  for (;;) {
    if (inFlight.closed) throw ipcError(syscall, EBADF);
    if (opts.signal?.aborted) throw new WaitAbortedError(syscall);
    const r = attempt();
    if (r !== WOULD_BLOCK) return r;
    const ms = stepWithin(syscall, SLICE_MS, deadline, opts.timeout);
    const started = performance.now();
    const got = await inFlight.run(() => slice(absTimespec(ms)));
    // Taken even when the signal fired meanwhile: the kernel already gave it to us.
    if (got !== null) return got;
    // A call that returns at once again and again (it should not) must not spin a core.
    quick = performance.now() - started < 1 ? quick + 1 : 0;
    if (quick > 3) await sleep(Math.min(2 ** quick, SLICE_MS), opts.signal);
  }
}

const disposed = new WeakSet<object>();

/**
 * Symbol.dispose of the POSIX classes: the object closed, and its name unlinked first once, only
 * for an object create() made, and only while `stillOurs()` proves the name still leads to it
 * (not to one made under the name since). Gone already (ENOENT) is fine.
 */
export function disposeNamed(obj: { remove(): void; close(): void }, stillOurs: () => boolean): void {
  try {
    if (!wasCreated(obj) || disposed.has(obj)) return;
    disposed.add(obj);
    if (!stillOurs()) return;
    try {
      obj.remove();
    } catch (e) {
      if (!isIpcError(e, 'ENOENT')) throw e;
    }
  } finally {
    obj.close();
  }
}
