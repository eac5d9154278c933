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
import { constants as osConstants } from 'node:os';
import { Writable } from 'node:stream';
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
  const errno = err.code ? (osConstants.errno as Record<string, number>)[err.code] : undefined;
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

/**
 * Remember the first error of `stream` (its 'error' event) for `drained`. The launcher
 * watches stdout and stderr from the start; without a listener, the event would crash.
 */
export function watch(stream: Output): void {
  if (stream instanceof Writable) stream.on('error', (e) => record(stream, e, false));
}

/**
 * Write `chunk` and settle once the kernel has it (everything written before it included).
 * Rejects with the stream's error: EPIPE as it is, anything else as an OutputError.
 * A stand-in stream without callbacks (unit tests) is written and taken as written.
 */
export function written(stream: Output, chunk: string | Uint8Array): Promise<void> {
  if (!(stream instanceof Writable)) {
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
  if (stream instanceof Writable && stream.writableLength > 0 && !stream.destroyed) {
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
    await written(ctx.stdout, text);
    return code;
  } catch (e) {
    return reported(ctx, e, code);
  }
}

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
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    try {
      await written(ctx.stdout, chunk);
    } catch (e) {
      // Stopped at once, even when `code` is 1 already (leaks found): said once.
      return reported(ctx, e, code);
    }
    if (ctx.stdout.destroyed === true) return code;
  }
  return code;
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
