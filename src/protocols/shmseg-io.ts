// Reading stdin straight into a shared memory view, and writing a view straight to stdout,
// without copying through a JS buffer and without blocking the event loop (so SIGINT is
// handled at once). fs.read/fs.write run on libuv's pool and fill/drain the view itself.
// A descriptor in non-blocking mode (Node puts pipes in it) answers EAGAIN: we back off
// and retry. Callers must not detach a view while an operation on it is pending: when the
// wait is aborted, `pending` stays true and the caller leaves the segment attached (the
// kernel detaches it at exit).

import { read, write } from 'node:fs';
import { sleep, WaitAbortedError } from '../ipc/index.js';
import { escapeBytes, type Traced, type Tracer } from '../ipc/trace.js';

export interface FdIo {
  /** An I/O call is still running on the pool (after an abort): do not detach. */
  pending: boolean;
}

function readOnce(fd: number, buf: Buffer, off: number, len: number): Promise<number> {
  return new Promise((resolve, reject) =>
    read(fd, buf, off, len, null, (err, n) => (err ? reject(err) : resolve(n))),
  );
}

function writeOnce(fd: number, buf: Buffer, off: number, len: number): Promise<number> {
  return new Promise((resolve, reject) =>
    write(fd, buf, off, len, null, (err, n) => (err ? reject(err) : resolve(n))),
  );
}

const IMMEDIATE_RETRIES = 8;

async function retrying(
  io: FdIo,
  syscall: string,
  signal: AbortSignal | undefined,
  call: () => Promise<number>,
): Promise<number> {
  let delay = 1;
  let tries = 0;
  for (;;) {
    if (signal?.aborted) throw new WaitAbortedError(syscall);
    io.pending = true;
    const p = call();
    let aborted = false;
    const onAbort = () => {
      aborted = true;
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const n = await p;
      io.pending = false;
      return n;
    } catch (e) {
      io.pending = false;
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'EINTR') throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (aborted) throw new WaitAbortedError(syscall);
    // A fast peer (cat, a pipeline) refills the pipe within microseconds: retry at once a few
    // times, then back off from 1 ms to 10 ms (a slow one: a terminal, a trickle).
    if (++tries <= IMMEDIATE_RETRIES) await new Promise((r) => setImmediate(r));
    else {
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 10);
    }
  }
}

type IoOpts = { signal?: AbortSignal; io?: FdIo } & Traced;

/**
 * Fill `area` from `fd` until it is full or EOF, calling `progress(total)` after every read.
 * Returns the byte count. A read whose completion comes after an abort is not waited for.
 */
export function readInto(
  fd: number,
  area: Buffer,
  opts: IoOpts & { progress?: (total: number) => void } = {},
): Promise<number> {
  return moveAll('read', fd, area, opts);
}

/** Write all of `data` to `fd` (partial writes continued). */
export function writeAll(fd: number, data: Buffer, opts: IoOpts = {}): Promise<number> {
  return moveAll('write', fd, data, opts);
}

/** read(2) into `buf` until it is full or EOF, or write(2) all of it; the byte count. */
async function moveAll(
  call: 'read' | 'write',
  fd: number,
  buf: Buffer,
  opts: IoOpts & { progress?: (total: number) => void },
): Promise<number> {
  const io = opts.io ?? { pending: false };
  const once = call === 'read' ? readOnce : writeOnce;
  let total = 0;
  while (total < buf.length) {
    const n = await abortable(
      retrying(io, call, opts.signal, () => once(fd, buf, total, buf.length - total)),
      opts.signal,
      call,
    );
    // The slide's read(STDIN_FILENO, shmp->buf + shmp->size, ...), with the bytes it moved.
    traceIo(opts.trace, call, fd, buf, total, buf.length - total, n);
    if (n === 0 && call === 'read') break; // EOF
    total += n;
    opts.progress?.(total);
  }
  return total;
}

/** `read(fd=0, shmp->buf + 0, 4092) -> 12 "hello..."`: the call and the segment's bytes it moved. */
function traceIo(
  t: Tracer | undefined,
  call: 'read' | 'write',
  fd: number,
  buf: Buffer,
  at: number,
  asked: number,
  n: number,
): void {
  if (t?.shows)
    t.call(
      call,
      `fd=${fd}, shmp->buf + ${at}, ${asked}`,
      n === 0 ? 0 : `${n} ${escapeBytes(buf.subarray(at, at + n))}`,
    );
}

/** Settle with `p`, or reject at once when `signal` aborts (p keeps running: see FdIo.pending). */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined, syscall: string): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(new WaitAbortedError(syscall));
    const onAbort = () => reject(new WaitAbortedError(syscall));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * A failed read(2)/write(2) as one line: "read error: EISDIR (illegal operation on a
 * directory)"; undefined for what is not one (an abort), or for EPIPE, which the launcher
 * turns into exit 141 itself.
 */
export function ioErrorMessage(e: unknown, syscall: 'read' | 'write'): string | undefined {
  const err = e as NodeJS.ErrnoException;
  if (e instanceof WaitAbortedError || typeof err?.code !== 'string' || err.code === 'EPIPE')
    return undefined;
  const detail = err.message.replace(/^[A-Z]+: /, '').replace(/, (read|write)$/, '');
  return `${syscall} error: ${err.code} (${detail})`;
}
