// Reading a snapshot: a file, a FIFO (or /dev/fd/N of a process substitution) or stdin, with
// a size limit and stopped at once by SIGINT/SIGTERM (ctx.signal). A FIFO is opened without
// blocking and read through the event loop, so a silent writer never holds the process: the
// signal ends the wait. Regular files and devices are read chunk by chunk, and the limit stops
// an endless one (/dev/zero) with a clear error instead of an abort.
import { constants, openSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import type { Readable } from 'node:stream';
import type { CommandContext } from '../cli/context.js';
import { CommandError } from '../cli/exit.js';
import { stdinChunks } from '../cli/primitives.js';
import { WaitAbortedError } from '../ipc/blocking.js';
import { strerror } from '../ipc/errors.js';
import { asSnapshot, type Snapshot, SnapshotFormatError } from './snapshot.js';

/** The largest snapshot svipc reads: far above any real one (a full host is a few MiB). */
export const MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024;

/** The exit codes of diff and leaks, diff(1)'s: 0 nothing found, 1 found, 2 trouble (failure or usage). */
export const VERDICT_EXIT = { CLEAN: 0, FOUND: 1, TROUBLE: 2 } as const;

function tooLarge(name: string, limit: number): CommandError {
  return new CommandError(
    `${name}: larger than ${limit / (1024 * 1024)} MiB, the most a snapshot may be`,
    VERDICT_EXIT.TROUBLE,
  );
}

/** `NAME: strerror(errno)` (src/ipc's one strerror), from Node's error code; its message otherwise. */
function failed(name: string, e: unknown): CommandError {
  const err = e as NodeJS.ErrnoException;
  const errno = err.code === undefined ? undefined : (osConstants.errno as Record<string, number>)[err.code];
  const why = errno !== undefined ? strerror(errno) : (err.message ?? String(e));
  return new CommandError(`${name}: ${why}`, VERDICT_EXIT.TROUBLE);
}

/** Collect chunks until the end, more than `limit` bytes (error), or a signal (WaitAbortedError). */
async function collect(
  chunks: AsyncIterable<Buffer>,
  name: string,
  limit: number,
  signal: AbortSignal,
): Promise<Buffer> {
  const out: Buffer[] = [];
  let size = 0;
  for await (const c of chunks) {
    if (signal.aborted) throw new WaitAbortedError('read');
    size += c.length;
    if (size > limit) throw tooLarge(name, limit);
    out.push(c);
  }
  if (signal.aborted) throw new WaitAbortedError('read');
  return Buffer.concat(out, size);
}

/** A pipe's chunks through the event loop; a signal destroys the stream and ends the wait. */
async function* streamChunks(stream: Readable, signal: AbortSignal): AsyncGenerator<Buffer> {
  const aborted = new Promise<never>((_, reject) => {
    const stop = () => {
      stream.destroy();
      reject(new WaitAbortedError('read'));
    };
    if (signal.aborted) stop();
    signal.addEventListener('abort', stop, { once: true });
  });
  aborted.catch(() => {});
  const it = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      const r = (await Promise.race([it.next(), aborted])) as IteratorResult<Buffer | string>;
      if (r.done) return;
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
  } finally {
    stream.destroy();
  }
}

/** A regular file or a device, chunk by chunk (each read returns at once). */
async function* fileChunks(path: string, limit: number): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    const chunk = Math.min(1024 * 1024, limit + 1);
    for (;;) {
      const buf = Buffer.allocUnsafe(chunk);
      const { bytesRead } = await fh.read(buf, 0, chunk, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/**
 * All of `file` ('-' for stdin), at most `limit` bytes. Errors are one-line CommandErrors
 * (exit VERDICT_EXIT.TROUBLE) naming the file; a signal throws WaitAbortedError.
 */
export async function readInput(
  ctx: CommandContext,
  file: string,
  limit = MAX_SNAPSHOT_BYTES,
): Promise<Buffer> {
  try {
    if (file === '-') return await collect(stdinChunks(ctx), 'standard input', limit, ctx.signal);
    const st = statSync(file);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (st.isFIFO() || st.isSocket()) {
      // O_NONBLOCK: open does not wait for a writer; the event loop then waits for data.
      const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
      const pipe = new Socket({ fd, readable: true, writable: false });
      return await collect(streamChunks(pipe, ctx.signal), file, limit, ctx.signal);
    }
    if (st.isFile() && st.size > limit) throw tooLarge(file, limit);
    return await collect(fileChunks(file, limit), file, limit, ctx.signal);
  } catch (e) {
    if (e instanceof CommandError || e instanceof WaitAbortedError) throw e;
    throw failed(file, e);
  }
}

/**
 * Run a verdict command (diff, leaks) so that exit 1 means only "found": every failure it
 * throws (bad input, an IPC call refused, anything unexpected) becomes one line and exit 2.
 * Signals and a closed stdout pass through to the launcher (130/143, 141).
 */
export async function verdictCommand(run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (e) {
    const err = e as Error & { code?: string };
    if (e instanceof WaitAbortedError || err?.name === 'AbortError' || err?.code === 'EPIPE') throw e;
    if (e instanceof CommandError && e.exitCode === VERDICT_EXIT.TROUBLE) throw e;
    throw new CommandError(err?.message ?? String(e), VERDICT_EXIT.TROUBLE);
  }
}

/** FILE read and checked as a snapshot (v1 or v2); every failure is one line naming FILE, exit 2. */
export async function readSnapshot(ctx: CommandContext, file: string): Promise<Snapshot> {
  const text = (await readInput(ctx, file)).toString('utf8');
  const trouble = (why: string) => new CommandError(`${file}: ${why}`, VERDICT_EXIT.TROUBLE);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw trouble(`not JSON (${(e as Error).message.replace(/\s+/g, ' ')}): make it with 'svipc snapshot'`);
  }
  try {
    return asSnapshot(raw);
  } catch (e) {
    if (e instanceof SnapshotFormatError) throw trouble(`not a svipc snapshot: ${e.message}`);
    throw e;
  }
}
