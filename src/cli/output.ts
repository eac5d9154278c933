// The one output path: every byte a command writes reaches its reader before the process
// exits, and a write that fails is an error, never a silent exit 0.
//
// Node queues what the kernel does not take at once (a pipe holds 64 KiB): the launcher
// waits for stdout and stderr to drain (`drained`) before it exits. A command that must know
// its output arrived before it goes on (msg recv: only then is the message really consumed;
// create: only then has someone seen the new id) writes with `written`, which settles when
// the kernel has the bytes and throws `OutputError` when it refused them.
// A failure is util-linux's close_stdout(): "PROG: write error: <strerror>", exit 1.
// EPIPE (the reader left) is not an OutputError: the launcher exits 141 quietly, as C would.
//
// process.stdout and process.stderr are streams whose modules (node:stream and the ~20 it
// loads) cost more start-up than the rest of `svipc ipcs` (test/e2e/startup.test.ts): they are
// made only when something uses them (`onFirstUse`), and while stdout is not made and is a
// file or a pipe, writeOrReport and writeChunksOrReport write to fd 1 themselves
// (`directStdout`), as Node's own stream would there (write(2) at once, blocking on a pipe).
import { fstatSync, readlinkSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { ERRNO } from '../ipc/errno.js';
import type { CommandContext, Output } from './context.js';
import { EXIT } from './exit.js';

/** stdout could not be written (not EPIPE): the message is util-linux's "write error: ...". */
export class OutputError extends Error {
  constructor(
    readonly writeFailure: NodeJS.ErrnoException,
    readonly reason: string,
    /** What became of the command's work, after the reason ("queue 5 was removed again"). */
    readonly outcome = '',
  ) {
    super(`write error: ${reason}${outcome ? `; ${outcome}` : ''}`);
    this.name = 'OutputError';
  }

  /** 1, or 141 for EPIPE (which is an OutputError only when something is left to say). */
  get exitCode(): number {
    return isEpipe(this.writeFailure) ? EXIT.SIGPIPE : EXIT.FAILED;
  }

  /** The same failure, saying what the command did about it. */
  withOutcome(outcome: string): OutputError {
    return new OutputError(this.writeFailure, this.reason, outcome);
  }
}

/**
 * glibc's strerror() for a Node error (ENOSPC -> "No space left on device"), the words
 * util-linux prints. libc is loaded only here, on the error path: most commands never need it.
 */
export async function reasonOf(err: NodeJS.ErrnoException): Promise<string> {
  const errno = err.code ? (ERRNO as Record<string, number>)[err.code] : undefined;
  if (errno === undefined) return err.message ?? String(err);
  const { strerror } = await import('../ipc/errors.js');
  return strerror(errno);
}

export function isEpipe(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'EPIPE';
}

/** What went wrong on a stream, and whether someone already said so (a command, or finish()). */
interface Failure {
  error: NodeJS.ErrnoException;
  reported: boolean;
}
const failures = new WeakMap<object, Failure>();

function record(stream: Output, error: NodeJS.ErrnoException, reported: boolean): void {
  const f = failures.get(stream);
  if (!f) failures.set(stream, { error, reported });
  else if (reported) f.reported = true;
}

/** A Node stream (not a unit test's stand-in), told without loading node:stream. */
function isStream(stream: Output): stream is Writable & Output {
  const s = stream as Partial<Writable>;
  return typeof s.on === 'function' && typeof s.writableLength === 'number';
}

/**
 * Remember the first error of `stream` (its 'error' event) for `drained`. The launcher
 * watches stdout and stderr from their first use; without a listener, the event would crash.
 */
export function watch(stream: Output): void {
  if (isStream(stream)) stream.on('error', (e) => record(stream, e, false));
}

/** Which of process.stdout and process.stderr have been made (`onFirstUse`). */
const made = { stdout: false, stderr: false };

/**
 * Run `setup` on process[name] when something first uses it (the launcher's error listeners),
 * instead of making the stream now; `made(name)` says whether it was.
 */
export function onFirstUse(name: 'stdout' | 'stderr', setup: (stream: NodeJS.WriteStream) => void): void {
  const d = Object.getOwnPropertyDescriptor(process, name);
  const done = (stream: NodeJS.WriteStream) => {
    if (!made[name]) {
      made[name] = true;
      setup(stream);
    }
    return stream;
  };
  if (!d?.get || !d.configurable) {
    done(process[name]);
    return;
  }
  const get = d.get;
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: d.enumerable,
    get: () => done(get.call(process)),
  });
}

export function isMade(name: 'stdout' | 'stderr'): boolean {
  return made[name];
}

/**
 * fd 1, when ctx.stdout is the process's stdout, not made yet, and a file, a pipe or one of
 * the kernel's memory devices (char major 1: /dev/null, /dev/full; never a terminal): where
 * Node's stream would write(2) at once too (a SyncWriteStream; a pipe, written synchronously
 * on Linux); else null (a terminal, a socket: the stream).
 */
function directStdout(ctx: CommandContext): number | null {
  if (ctx.stdoutFd !== 1 || made.stdout) return null;
  stdoutDirect ??= writableDirectly(1);
  return stdoutDirect ? 1 : null;
}
let stdoutDirect: boolean | undefined;

function writableDirectly(fd: number): boolean {
  const kind = kindByLink(fd);
  if (kind !== undefined) return kind;
  try {
    const st = fstatSync(fd);
    // glibc's major(): bits 8-19 and 32-43 of the device number.
    const major = (Math.floor(st.rdev / 2 ** 8) & 0xfff) | (Math.floor(st.rdev / 2 ** 32) & ~0xfff);
    return st.isFile() || st.isFIFO() || (st.isCharacterDevice() && major === 1);
  } catch {
    return false;
  }
}

/**
 * What fd's /proc/self/fd link settles without fstat: a pipe (`pipe:[INO]`), /dev/null and a
 * file's path outside /dev (a file, or a FIFO by name) are written directly; a socket or
 * another anonymous inode is not. undefined for the rest (another device under /dev: a
 * terminal, /dev/full; no /proc), which fstat settles. (Node's first fstatSync builds its
 * Stats machinery: ~1M instructions of a listing's start-up, a readlink ~0.07M.)
 */
function kindByLink(fd: number): boolean | undefined {
  let target: string;
  try {
    target = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
  if (target.startsWith('pipe:') || target === '/dev/null') return true;
  if (!target.startsWith('/')) return false;
  return target.startsWith('/dev/') ? undefined : true;
}

/** Told when a direct write finds stdout's reader gone (EPIPE), as the stream's 'error' would tell. */
let onClosed: (() => void) | undefined;
export function onStdoutClosed(listener: () => void): void {
  onClosed = listener;
}

/**
 * Every byte of `chunk` to fd 1, written directly (write(2) blocks until a pipe's reader takes
 * it); what a non-blocking pipe does not take now (EAGAIN) goes through the stream, which waits
 * for the reader, and so does everything after it. Rejects as written() does.
 */
async function writeDirect(ctx: CommandContext, fd: number, chunk: string | Uint8Array): Promise<void> {
  if (made.stdout) return written(ctx.stdout, chunk);
  const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(fd, bytes, done);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EAGAIN') return written(ctx.stdout, bytes.subarray(done));
    if (isEpipe(err)) onClosed?.();
    throw await failure(DIRECT, err);
  }
}

/**
 * Write `chunk` and settle once the kernel has it (everything written before it included).
 * Rejects with the stream's error: EPIPE as it is, anything else as an OutputError.
 * A stand-in stream without callbacks (unit tests) is written and taken as written.
 */
export function written(stream: Output, chunk: string | Uint8Array): Promise<void> {
  if (!isStream(stream)) {
    stream.write(chunk);
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    stream.write(chunk, (err) => (err ? failure(stream, err).then(reject, reject) : resolve()));
  });
}

/** The error a write got, for its caller to report: from now on it is theirs to say. */
export async function failure(stream: Output, err: NodeJS.ErrnoException): Promise<Error> {
  record(stream, err, true);
  if (isEpipe(err)) return err;
  return new OutputError(err, await reasonOf(err));
}

/**
 * Wait until everything queued on `stream` has been written (an empty write's callback runs
 * after all the writes queued before it; a file or terminal is written synchronously and has
 * nothing queued), then return the error that stopped it if nobody reported it yet, and
 * count it as reported. EPIPE is returned even when reported: it decides the exit code.
 */
export async function drained(stream: Output): Promise<NodeJS.ErrnoException | null> {
  if (isStream(stream) && stream.writableLength > 0 && !stream.destroyed) {
    await new Promise<void>((resolve) => stream.write('', () => resolve()));
  }
  // A failed write emits its 'error' on a later tick: let it arrive.
  await new Promise((resolve) => setImmediate(resolve));
  const f = failures.get(stream);
  if (!f || (f.reported && !isEpipe(f.error))) return null;
  f.reported = true;
  return f.error;
}

/**
 * Write `text` to stdout and wait for it, as util-linux's close_stdout() ends a program:
 * a failure is "PROG: write error: ..." on stderr and exit 1; EPIPE is left to the launcher
 * (exit 141, as util-linux dies of SIGPIPE) and `code` is returned.
 */
export async function writeOrReport(
  ctx: CommandContext,
  text: string | Uint8Array,
  code: number,
): Promise<number> {
  if (text.length === 0) return code;
  try {
    await writtenBy(ctx, text);
    return code;
  } catch (e) {
    return reported(ctx, e, code);
  }
}

/** written(ctx.stdout, chunk), or straight to fd 1 while the stream is not made (directStdout). */
function writtenBy(ctx: CommandContext, chunk: string | Uint8Array): Promise<void> {
  const fd = directStdout(ctx);
  return fd === null ? written(ctx.stdout, chunk) : writeDirect(ctx, fd, chunk);
}

/** Stands for fd 1 written directly, in `failures`. */
const DIRECT: Output = { write: () => false };

/** A failed stdout write, as writeOrReport reports it: EPIPE keeps `code`; anything else is said, 1. */
function reported(ctx: CommandContext, e: unknown, code: number): number {
  if (isEpipe(e)) return code;
  ctx.stderr.write(`${ctx.prog}: ${(e as Error).message}\n`);
  return 1;
}

/**
 * writeOrReport for a document made as it is written (jsonChunks): each chunk is handed to
 * the kernel before the next is made, so the whole text is never held at once; the first
 * failure stops it and is reported as writeOrReport reports it.
 */
export async function writeChunksOrReport(
  ctx: CommandContext,
  chunks: Iterable<string>,
  code: number,
): Promise<number> {
  const fd = directStdout(ctx);
  if (fd !== null) return writeChunksDirect(ctx, fd, chunks, code);
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    try {
      await writtenBy(ctx, chunk);
    } catch (e) {
      // Stopped at once, even when `code` is 1 already (leaks found): said once.
      return reported(ctx, e, code);
    }
    if (ctx.stdout.destroyed === true) return code;
  }
  return code;
}

/**
 * writeChunksOrReport to fd 1 written directly: the chunks gathered up to 64 KiB a write (what
 * a pipe takes at once; a small listing is one write, as C's stdio makes it).
 */
async function writeChunksDirect(
  ctx: CommandContext,
  fd: number,
  chunks: Iterable<string>,
  code: number,
): Promise<number> {
  let pending = '';
  /** Writes what is pending; the write's error, if it failed (the chunks' own errors go up). */
  const flush = async (): Promise<unknown> => {
    const text = pending;
    pending = '';
    try {
      await writeDirect(ctx, fd, text);
      return null;
    } catch (e) {
      return e;
    }
  };
  for (const chunk of chunks) {
    pending += chunk;
    const err = pending.length >= 65_536 ? await flush() : null;
    if (err) return reported(ctx, err, code);
  }
  const err = await flush();
  return err ? reported(ctx, err, code) : code;
}

/** --help of every create that prints a new object's id. */
export const CREATED_HELP =
  '\nIf the id cannot be printed (write error: a full disk, a closed pipe), the object is removed\n' +
  'again before the command fails: nothing is left that nobody knows of.\n';

/**
 * Print the id (or document) of an object this command has just made. When it cannot be
 * printed, nobody will know the object exists: `remove` it again before the error goes up,
 * and say so ("write error: No space left on device; message queue 5 was removed again").
 * EPIPE goes up as it is (exit 141) once the object is removed, unless removing failed.
 */
export async function announceCreated(
  ctx: CommandContext,
  text: string,
  what: string,
  remove: () => void,
): Promise<void> {
  try {
    await written(ctx.stdout, text);
  } catch (e) {
    let outcome = `${what} was removed again`;
    let removed = true;
    try {
      remove();
    } catch (r) {
      removed = false;
      outcome = `${what} could not be removed (${(r as Error).message}): remove it yourself`;
    }
    throw afterFailure(e, outcome, removed);
  }
}

/**
 * The error to throw once a command has dealt with a failed write: an OutputError saying
 * what it did; EPIPE as it is (a quiet 141) when `quiet` allows, else a 141 that says it.
 */
export function afterFailure(e: unknown, outcome: string, quiet: boolean): unknown {
  if (e instanceof OutputError) return e.withOutcome(outcome);
  if (isEpipe(e) && !quiet) return new OutputError(e as NodeJS.ErrnoException, 'Broken pipe', outcome);
  return e;
}
