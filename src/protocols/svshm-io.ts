// fd I/O of the svshm transfer: stdin straight into the attached segment, the segment
// straight to stdout, synchronously while the fd answers (the hot loop pays no promise), and
// waiting (cancellably) when it answers EAGAIN. shmseg-io.ts does the same for stdin2shm and
// shm2stdout on libuv's pool (one call per segment, where a promise per call costs nothing).
import { writeSync as fsWriteSync, readSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { sleep, WaitAbortedError } from '../ipc/index.js';
import { checkAbort, errCode, yieldToLoop } from './svshm-turns.js';
import { TransferError } from './svshm-xfr.js';

/** Wait (briefly, cancellably) until `fd` is readable again after EAGAIN. */
async function readRetry(tries: number, signal: AbortSignal | undefined): Promise<void> {
  // A short burst of event-loop turns first (the producer is usually right behind us),
  // then sleeps of 1..10 ms so a slow producer does not cost a core.
  if (tries < 50) await yieldToLoop();
  else await sleep(Math.min(1 << Math.min(tries - 50, 3), 10), signal);
  checkAbort(signal, 'read');
}

/** One read, now: the byte count (0 at EOF), or -1 when the caller must await readInput. */
export function readNow(fd: number, buf: Buffer, offset: number, length: number): number {
  try {
    return readSync(fd, buf, offset, length, null);
  } catch {
    return -1; // readInput makes the call again and sorts out what happened
  }
}

export async function readInput(
  fd: number,
  buf: Buffer,
  offset: number,
  length: number,
  signal?: AbortSignal,
) {
  for (let tries = 0; ; tries++) {
    try {
      return readSync(fd, buf, offset, length, null);
    } catch (e) {
      const code = errCode(e);
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') await readRetry(tries, signal);
      else if (code === 'EINTR') checkAbort(signal, 'read');
      else if (code === 'EOF') return 0;
      else throw new TransferError(`cannot read standard input: ${(e as Error).message}`);
    }
  }
}

/** Writes `length` bytes of `buf` at `offset` to the output; waits for room when it must. */
export class Output {
  /** A write handed to the stream and not finished: the segment must stay attached. */
  pending = false;
  constructor(
    readonly fd: number,
    readonly stream: Writable | undefined,
    readonly signal: AbortSignal | undefined,
  ) {}

  /** One write, now: the bytes written; the caller awaits write() for the rest, if any. */
  writeNow(buf: Buffer, offset: number, length: number): number {
    try {
      return fsWriteSync(this.fd, buf, offset, length);
    } catch {
      return 0; // write() makes the call again and sorts out what happened
    }
  }

  async write(buf: Buffer, offset: number, length: number): Promise<void> {
    let off = offset;
    let left = length;
    for (let tries = 0; left > 0; tries++) {
      let n: number;
      try {
        n = fsWriteSync(this.fd, buf, off, left);
      } catch (e) {
        const code = errCode(e);
        if (code === 'EINTR') {
          checkAbort(this.signal, 'write');
          continue;
        }
        if (code === 'EPIPE') throw e; // the launcher's 141, as a pipeline expects
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') {
          throw new TransferError(`cannot write standard output: ${(e as Error).message}`);
        }
        // A full non-blocking pipe: the stream waits for room (epoll), no copy.
        if (this.stream) return this.viaStream(buf.subarray(off, off + left));
        await readRetry(tries, this.signal);
        continue;
      }
      off += n;
      left -= n;
    }
  }

  async viaStream(chunk: Buffer): Promise<void> {
    const stream = this.stream!;
    this.pending = true;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new WaitAbortedError('write'));
      this.signal?.addEventListener('abort', onAbort, { once: true });
      stream.write(chunk, (err) => {
        this.signal?.removeEventListener('abort', onAbort);
        this.pending = false;
        if (err) reject(err);
        else resolve();
      });
    });
  }
}
