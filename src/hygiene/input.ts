// Reading a snapshot: a file, a FIFO (or /dev/fd/N of a process substitution) or stdin, with
// a size limit and stopped at once by SIGINT/SIGTERM (ctx.signal). A FIFO is opened without
// blocking and read through the event loop, so a silent writer never holds the process: the
// signal ends the wait. Regular files and devices are read chunk by chunk, and the limit stops
// an endless one (/dev/zero) with a clear error instead of an abort.

import { closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { CommandContext } from '../cli/context.js';
import { CommandError } from '../cli/exit.js';
import { stdinChunks } from '../cli/primitives.js';
import { WaitAbortedError } from '../ipc/blocking.js';
import { ERRNO } from '../ipc/errno.js';
import { strerror } from '../ipc/errors.js';
import { asSnapshot, type Snapshot, SnapshotFormatError } from './snapshot.js';
import { type ScanSink, scanDocument, Unscanned } from './snapshot-scan.js';

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
  const errno = err.code === undefined ? undefined : (ERRNO as Record<string, number>)[err.code];
  const why = errno !== undefined ? strerror(errno) : (err.message ?? String(e));
  return new CommandError(`${name}: ${why}`, VERDICT_EXIT.TROUBLE);
}

/** The chunks until the end; more than `limit` bytes is an error, a signal WaitAbortedError. */
async function* bounded(
  chunks: AsyncIterable<Buffer>,
  name: string,
  limit: number,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const c of chunks) {
    if (signal.aborted) throw new WaitAbortedError('read');
    size += c.length;
    if (size > limit) throw tooLarge(name, limit);
    yield c;
  }
  if (signal.aborted) throw new WaitAbortedError('read');
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
  for await (const c of bounded(chunks, name, limit, signal)) {
    size += c.length;
    out.push(c);
  }
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

/**
 * A regular file or a device, chunk by chunk (each read returns at once). With `reuse` (a
 * regular file), every chunk is read into the same buffer, the reader must be done with one
 * before the next, and the reads are synchronous (a hop through the thread pool per chunk
 * costs more than the copy), with a turn of the event loop every few chunks so that a signal
 * still ends the read.
 */
async function* fileChunks(path: string, limit: number, reuse = false): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    const chunk = Math.min(1024 * 1024, limit + 1);
    const one = reuse ? Buffer.allocUnsafe(chunk) : null;
    for (let n = 1; ; n++) {
      const buf = one ?? Buffer.allocUnsafe(chunk);
      if (one !== null && n % 8 === 0) await new Promise((turned) => setImmediate(turned));
      const bytesRead =
        one !== null ? readSync(fh.fd, buf, 0, chunk, null) : (await fh.read(buf, 0, chunk, null)).bytesRead;
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
  const input = openInput(ctx, file, limit);
  return troubleNaming(file, () => collect(input.chunks, input.name, limit, ctx.signal));
}

/** Errors of reading `file` as readInput says them. */
async function troubleNaming<T>(file: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof CommandError || e instanceof WaitAbortedError || isUnscanned(e)) throw e;
    throw failed(file, e);
  }
}

/** Where `file`'s chunks come from (opened on the first read), and whether it can be read twice. */
function openInput(
  ctx: CommandContext,
  file: string,
  limit: number,
  reuse = false,
): { name: string; chunks: AsyncIterable<Buffer>; again: boolean } {
  if (file === '-') return { name: 'standard input', chunks: stdinChunks(ctx), again: false };
  let again = false;
  async function* chunks(): AsyncGenerator<Buffer> {
    const st = statSync(file);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (st.isFIFO() || st.isSocket()) {
      // O_NONBLOCK: open does not wait for a writer; the event loop then waits for data.
      const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
      const pipe = new Socket({ fd, readable: true, writable: false });
      yield* streamChunks(pipe, ctx.signal);
      return;
    }
    if (st.isFile() && st.size > limit) throw tooLarge(file, limit);
    yield* fileChunks(file, limit, reuse);
  }
  try {
    const st = statSync(file);
    again = st.isFile() || st.isBlockDevice();
  } catch {
    // the read says why
  }
  return { name: file, chunks: chunks(), again };
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
  return snapshotOf(file, await readInput(ctx, file));
}

/**
 * FILE scanned as it is read (src/hygiene/snapshot-scan.ts) into `sink`, never held whole.
 * A pipe or stdin, which cannot be read twice, is held as bytes (not parsed): `held`. null
 * when the scan cannot follow the document: it has then been read whole, and checked, as
 * readSnapshot reads it (its errors, in its words); `whole` receives it.
 */
export async function scanSnapshot(
  ctx: CommandContext,
  file: string,
  sink: ScanSink,
  whole: (s: Snapshot) => void,
): Promise<{ held: Buffer | null } | null> {
  // A file is read into one buffer, chunk after chunk (the scan copies each at once).
  const reusable = (() => {
    try {
      return statSync(file).isFile();
    } catch {
      return false;
    }
  })();
  const input = openInput(ctx, file, MAX_SNAPSHOT_BYTES, reusable);
  const bytes = input.again
    ? null
    : await troubleNaming(file, () => collect(input.chunks, input.name, MAX_SNAPSHOT_BYTES, ctx.signal));
  const chunks = bytes === null ? bounded(input.chunks, input.name, MAX_SNAPSHOT_BYTES, ctx.signal) : [bytes];
  try {
    await troubleNaming(file, () => scanDocument(asAsync(chunks), sink));
    return { held: bytes };
  } catch (e) {
    if (!isUnscanned(e)) throw e;
  }
  whole(snapshotOf(file, bytes ?? (await readInput(ctx, file))));
  return null;
}

/**
 * The text at byte offsets `from`..`to` of FILE (a regular file), or of `held`: a record the
 * scan passed, read again. Its errors are one line naming FILE, exit 2.
 */
export function readSpan(file: string, held: Buffer | null, from: number, to: number): string {
  if (held !== null) return held.toString('utf8', from, to);
  try {
    const fd = openSync(file, constants.O_RDONLY);
    try {
      const buf = Buffer.allocUnsafe(to - from);
      let n = 0;
      while (n < buf.length) {
        const got = readSync(fd, buf, n, buf.length - n, from + n);
        if (got === 0) break;
        n += got;
      }
      return buf.toString('utf8', 0, n);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw failed(file, e);
  }
}

/** The scan gave up (or JSON.parse, on a value it passed, disagreed): read the document whole. */
const isUnscanned = (e: unknown): boolean => e instanceof Unscanned || e instanceof SyntaxError;

async function* asAsync(chunks: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<Buffer> {
  yield* chunks;
}

/** Bytes checked as a snapshot: not JSON, or not a snapshot, is one line naming FILE, exit 2. */
function snapshotOf(file: string, bytes: Buffer): Snapshot {
  const text = bytes.toString('utf8');
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
    if (e instanceof SnapshotFormatError) throw notSnapshot(file, e);
    throw e;
  }
}

/** FILE is JSON but not a snapshot: one line, exit 2. */
export function notSnapshot(file: string, e: SnapshotFormatError): CommandError {
  return new CommandError(`${file}: not a svipc snapshot: ${e.message}`, VERDICT_EXIT.TROUBLE);
}
