// What `svipc shm write` and `read` check and do: [offset, offset + length) against the
// segment's size before anything moves, stdin copied into the attached segment in place, and
// the attach-run-detach that leaves a segment attached while an I/O call on it still runs.
import { fstatSync } from 'node:fs';
import { type Attachment, MAX_VIEW, type SharedMemory } from '../ipc/index.js';
import { type FdIo, readInto } from '../protocols/shmseg-io.js';
import type { CommandContext } from './context.js';
import { CommandError } from './exit.js';
import { explained, type Situation } from './explain.js';
import { stdinChunks } from './primitives.js';
import { sizeArg } from './size.js';

/**
 * Run `fn` on an attached segment, then detach it, unless a read or write on the pool still
 * uses the segment after an abort (`io.pending`): then it stays attached until exit.
 */
export async function usingAttachment<T>(a: Attachment, fn: (io: FdIo) => Promise<T>): Promise<T> {
  const io: FdIo = { pending: false };
  try {
    return await fn(io);
  } finally {
    if (!io.pending) a.detach();
  }
}

export function parseOffset(s: string | undefined, what: string): number | undefined {
  return s === undefined ? undefined : sizeArg(s, what);
}

/** Check [offset, offset + length) against a segment of `size` bytes. */
export function checkRange(
  id: number,
  size: number,
  offset: number,
  length: number | undefined,
  verb: string,
): number {
  if (offset > size) {
    throw new CommandError(
      `offset ${offset} is beyond the end of shared memory segment ${id} (${size} bytes)`,
    );
  }
  const len = length ?? size - offset;
  if (offset + len > size) {
    throw new CommandError(
      `cannot ${verb} ${len} bytes at offset ${offset}: shared memory segment ${id} has ${size} bytes ` +
        `(${size - offset} from offset ${offset} to its end)`,
    );
  }
  return len;
}

/**
 * Copy stdin into `room` as it arrives; stop at the first byte that does not fit.
 * Returns the bytes copied, or room.length + 1 when the input was longer.
 */
async function copyStream(ctx: CommandContext, room: Buffer): Promise<number> {
  let n = 0;
  for await (const chunk of stdinChunks(ctx)) {
    if (n + chunk.length > room.length) {
      room.set(chunk.subarray(0, room.length - n), n);
      ctx.stdin.destroy();
      return room.length + 1;
    }
    room.set(chunk, n);
    n += chunk.length;
  }
  return n;
}

/** Attach, run, detach (unless an I/O call on the view is still pending after an abort). */
export function withAttachment<T>(
  shm: SharedMemory,
  s: Situation,
  readonly: boolean,
  fn: (a: Attachment, io: FdIo) => Promise<T>,
): Promise<T> {
  const a = explained(s, () => shm.attach({ readonly }));
  return usingAttachment(a, (io) => fn(a, io));
}

/**
 * Write DATA, or stdin (DATA absent or -), into segment `id` at `offset`: refused before
 * anything is written when it does not fit (DATA, a regular file); a pipe is copied until the
 * room is full, and the error says how much was written.
 */
export async function writeInput(
  ctx: CommandContext,
  a: Attachment,
  io: FdIo,
  { id, offset, data }: { id: number; offset: number; data: string | undefined },
): Promise<void> {
  const size = a.size;
  if (data !== undefined && data !== '-') {
    const bytes = Buffer.from(data);
    checkRange(id, size, offset, bytes.length, 'write');
    a.view(offset, bytes.length).set(bytes);
    return;
  }
  checkRange(id, size, offset, 0, 'write');
  const fd = ctx.stdin.fd ?? 0;
  let known: number | undefined;
  try {
    const st = fstatSync(fd);
    if (st.isFile()) known = st.size;
  } catch {
    // Not a file: find out by reading.
  }
  if (known !== undefined) checkRange(id, size, offset, known, 'write');
  // At most one view's worth (MAX_VIEW) at a time: a larger segment is written in parts.
  const room = a.view(offset, Math.min(size - offset, MAX_VIEW));
  if (known !== undefined && known > room.length)
    throw new CommandError(`input too long: svipc writes at most ${MAX_VIEW} bytes at once (use --offset)`);
  if (known !== undefined) {
    // A regular file: read(2) straight into the segment, no copy.
    await readInto(fd, room, { signal: ctx.signal, io });
    return;
  }
  // A pipe or terminal: the stream's chunks, each copied once into the segment. (A read(2)
  // blocked on a pool thread would hold the process's exit until the writer writes.)
  const n = await copyStream(ctx, room);
  if (n > room.length) {
    throw new CommandError(
      (room.length < size - offset
        ? `input too long: svipc writes at most ${MAX_VIEW} bytes at once (use --offset for the rest); `
        : `input does not fit: shared memory segment ${id} has ${size} bytes, ${room.length} from offset ` +
          `${offset} to its end; `) +
        `those ${room.length} bytes were written, the rest of the input was not`,
    );
  }
}
