// Tracing, per object or per call (never a global): a Tracer is given to an object
// (`MessageQueue.create({ trace })`, `new SemaphoreSet(id, { trace })`) or to one call
// (`set.opAsync(ops, { trace })`), and every call made through it prints one line:
//
//   [4711 svshm-writer] semop(semid=3, {0,-1,0}) -> 0
//   [4711 stat-client] msgsnd(msqid=0, {mtype=1, cli_id=5, pathname="/etc/passwd"}, msgsz=4104) -> 0
//   [4712 stat-client] msgctl(msqid=5, cmd=IPC_SET) -> -1 EPERM (expected: ...)
//
// The lines show the calls of the lecture's protocol as its slides write them: a P is one
// `semop(semid, {0,-1,0})` however svipc waits for it. How it waits (a try with IPC_NOWAIT,
// semtimedop slices, spins, IPC_STAT polls) goes to the tracer's `detail` view, printed only
// by a tracer made with `all: true` (`--trace=all`). Formatting is skipped unless a line prints.
import { basename } from 'node:path';
import { errnoAfterWait } from './blocking.js';
import { errnoName, ipcError } from './errors.js';
import { lastErrno } from './libc.js';

export interface TracerOptions {
  /** The process shown in each line (default: this process). */
  pid?: number;
  /** The program shown in each line (default: the script's name). */
  prog?: string;
  /** Also print how each call waits: tries, slices, spins, polls (`--trace=all`). */
  all?: boolean;
}

/** Given to an object or to one call: where its calls are traced. */
export interface Traced {
  trace?: Tracer | undefined;
}

interface Shared {
  expected: string | undefined;
}

/**
 * Prints one line per call to `write`: `[PID PROG] call(args) -> result`. `detail` is the
 * same tracer for the calls that only wait or poll: silent unless made with `all`.
 */
export class Tracer {
  readonly pid: number;
  readonly prog: string;
  readonly all: boolean;
  readonly #write: (line: string) => void;
  #quiet: boolean;
  #shared: Shared;
  #detail: Tracer | undefined;

  constructor(write: (line: string) => void, opts: TracerOptions = {}) {
    this.#write = write;
    this.pid = opts.pid ?? process.pid;
    this.prog = opts.prog ?? (process.argv[1] ? basename(process.argv[1]).replace(/\.[cm]?js$/, '') : 'node');
    this.all = opts.all ?? false;
    this.#quiet = false;
    this.#shared = { expected: undefined };
  }

  /** The tracer for how a call waits (IPC_NOWAIT tries, slices, polls): prints only with `all`. */
  get detail(): Tracer {
    if (this.#quiet) return this;
    if (!this.#detail) {
      // Same process, program, output and `expecting`; quiet unless `all`.
      const d = new Tracer(this.#write, { pid: this.pid, prog: this.prog, all: this.all });
      d.#quiet = true;
      d.#shared = this.#shared;
      this.#detail = d;
    }
    return this.#detail;
  }

  /** Whether this tracer prints (a `detail` view prints only with `all`). */
  get shows(): boolean {
    return !this.#quiet || this.all;
  }

  /** One line: `[pid prog] name(args) -> result`. */
  call(name: string, args: string, result: string | number): void {
    if (this.shows) this.#write(`[${this.pid} ${this.prog}] ${name}(${args}) -> ${result}`);
  }

  /**
   * Run `fn`, marking a call that fails in it as expected: `-> -1 EPERM (expected: why)`.
   * For a call made knowing it may fail (a privilege tried, a best effort).
   */
  expecting<T>(why: string, fn: () => T): T {
    const before = this.#shared.expected;
    this.#shared.expected = why;
    try {
      return fn();
    } finally {
      this.#shared.expected = before;
    }
  }

  /** The note of a failure inside `expecting`, or ''. */
  get failureNote(): string {
    return this.#shared.expected === undefined ? '' : ` (expected: ${this.#shared.expected})`;
  }
}

/** Report one call through `t` (when it prints). `args` is built only then. */
export function trace(syscall: string, args: () => string, result: string | number, t?: Tracer): void {
  if (t?.shows) t.call(syscall, args(), result);
}

/** Report a failed call: -1, the errno's name, and the note of an expected failure. */
export function traceFail(syscall: string, args: () => string, errno: number, t?: Tracer): void {
  if (t?.shows) t.call(syscall, args(), `-1 ${errnoName(errno)}${t.failureNote}`);
}

/**
 * A call that returned -1: its IpcError, with the errno read now (and EINVAL after a wait
 * taken as the kernel's EIDRM), reported through `t` as -1 ERRNO first.
 */
export function fail(syscall: string, args?: () => string, waited = false, t?: Tracer): never {
  const errno = errnoAfterWait(lastErrno(), waited);
  if (args) traceFail(syscall, args, errno, t);
  throw ipcError(syscall, errno);
}

/** An int-returning call's result: reported through `t`, or the IpcError of its -1 (see fail). */
export function checked(syscall: string, args: () => string, ret: number, t?: Tracer): number {
  if (ret < 0) fail(syscall, args, false, t);
  trace(syscall, args, ret, t);
  return ret;
}

/**
 * The end of a wait made of several calls, as the one call the program asked for: `result`
 * (0, a count...) or the error that ended it (-1 ERRNO, or svipc's timeout/abort as the
 * errno semtimedop would give: EAGAIN, EINTR).
 */
export function traceOutcome(syscall: string, args: () => string, t: Tracer | undefined, e: unknown): void {
  if (!t?.shows) return;
  const err = e as { name?: string; errno?: number; message?: string };
  if (err?.name === 'WaitTimeoutError') t.call(syscall, args(), `-1 EAGAIN (${err.message})`);
  else if (err?.name === 'WaitAbortedError') t.call(syscall, args(), `-1 EINTR (${err.message})`);
  else if (typeof err?.errno === 'number')
    t.call(syscall, args(), `-1 ${errnoName(err.errno)}${t.failureNote}`);
}

/** Up to `max` bytes of `data` as a C string literal ("a\n\x00"), `...` when cut. */
export function escapeBytes(data: Uint8Array, max = 32): string {
  let s = '';
  const n = Math.min(data.length, max);
  for (let i = 0; i < n; i++) {
    const c = data[i]!;
    if (c === 0x22) s += '\\"';
    else if (c === 0x5c) s += '\\\\';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x09) s += '\\t';
    else if (c === 0x0d) s += '\\r';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `"${s}"${data.length > max ? '...' : ''}`;
}

/** The bytes of a string up to its NUL (a C string in a fixed-size field). */
export function cString(data: Uint8Array): Uint8Array {
  const end = data.indexOf(0);
  return end < 0 ? data : data.subarray(0, end);
}

const FLAG_NAMES: [number, string][] = [
  [0o1000, 'IPC_CREAT'],
  [0o2000, 'IPC_EXCL'],
  [0o4000, 'IPC_NOWAIT'],
];

/** flags of the *get calls: IPC_CREAT|IPC_EXCL|0600. */
export function getFlags(flags: number): string {
  const parts = FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n);
  const perms = flags & 0o777;
  parts.push(perms === 0 ? '0' : `0${perms.toString(8)}`);
  return parts.join('|');
}

export function hexKey(key: number): string {
  return key === 0 ? 'IPC_PRIVATE' : `0x${(key >>> 0).toString(16).padStart(8, '0')}`;
}
