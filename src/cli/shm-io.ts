// What `svipc shm write` and `read` check and do: [offset, offset + length) against the
// segment's size before anything moves, stdin copied into the attached segment in place, and
// the attach-run-detach that leaves a segment attached while an I/O call on it still runs;
// what read writes (raw, --json, --hex, never binary to a terminal); the System V actions.
import { fstatSync } from 'node:fs';
import { type Attachment, formatKey, MAX_VIEW, SharedMemory } from '../ipc/index.js';
import { type FdIo, readInto, writeAll } from '../protocols/shmseg-io.js';
import type { CommandContext } from './context.js';
import { CommandError, UsageError } from './exit.js';
import { explained, type Situation } from './explain.js';
import { announceCreated, failure, written } from './output.js';
import { jsonText, noMore, plural, stdinChunks, utf8OrNull } from './primitives.js';
import { sizeArg } from './size.js';
import { keyOf, type TargetOptions, takeTarget } from './target.js';
import { parseMode } from './values.js';

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

/** How messages name a segment: its id (System V), or a label ("POSIX shared memory object /m"). */
export function segmentLabel(target: number | string): string {
  return typeof target === 'number' ? `shared memory segment ${target}` : target;
}

/** Check [offset, offset + length) against a segment (an id, or a POSIX label) of `size` bytes. */
export function checkRange(
  target: number | string,
  size: number,
  offset: number,
  length: number | undefined,
  verb: string,
): number {
  const what = segmentLabel(target);
  if (offset > size) {
    throw new CommandError(`offset ${offset} is beyond the end of ${what} (${size} bytes)`);
  }
  const len = length ?? size - offset;
  if (offset + len > size) {
    throw new CommandError(
      `cannot ${verb} ${len} bytes at offset ${offset}: ${what} has ${size} bytes ` +
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
  for await (const chunk of stdinChunks(ctx, 'the data')) {
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

/**
 * Bytes a terminal should not be sent raw: NUL and other control characters (tab, newline,
 * carriage return, form feed aside), DEL, and what is not UTF-8.
 */
export function isBinary(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    if ((b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12) || b === 0x7f) return true;
  }
  return utf8OrNull(bytes) === null;
}

/** `hexdump -C`'s canonical lines for `bytes`, offsets counted from `base`; repeated lines as one "*". */
export function* hexDump(bytes: Uint8Array, base: number): Generator<string, void, void> {
  let prev = '';
  let starred = false;
  let out = '';
  for (let i = 0; i < bytes.length; i += 16) {
    const row = bytes.subarray(i, i + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0'));
    const key = hex.join(' ');
    if (key === prev && row.length === 16) {
      if (!starred) out += '*\n';
      starred = true;
      continue;
    }
    prev = key;
    starred = false;
    const left = hex.slice(0, 8).join(' ').padEnd(23);
    const right = hex.slice(8).join(' ').padEnd(23);
    const text = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out += `${(base + i).toString(16).padStart(8, '0')}  ${left}  ${right}  |${text}|\n`;
    if (out.length >= 1 << 16) {
      yield out;
      out = '';
    }
  }
  if (bytes.length > 0) out += `${(base + bytes.length).toString(16).padStart(8, '0')}\n`;
  if (out) yield out;
}

export interface ReadOutput {
  json?: boolean;
  hex?: boolean;
}

/**
 * Write a segment's bytes as `shm read` does: --json, --hex (a hex dump), or raw; raw binary to
 * a terminal is refused with one line (nothing written). `what` names the segment for messages
 * and `doc` is the JSON document's naming fields ({id} or {name}).
 */
export async function emitView(
  ctx: CommandContext,
  view: Buffer,
  offset: number,
  opts: ReadOutput,
  what: string,
  doc: Record<string, unknown>,
  io: FdIo,
): Promise<void> {
  if (opts.json && opts.hex) throw new UsageError('--json and --hex are exclusive');
  if (opts.json) {
    ctx.stdout.write(
      jsonText({
        ...doc,
        offset,
        length: view.length,
        text: utf8OrNull(view),
        base64: view.toString('base64'),
      }),
    );
    return;
  }
  if (opts.hex) {
    for (const chunk of hexDump(view, offset)) await written(ctx.stdout, chunk);
    return;
  }
  if (ctx.stdout.isTTY && isBinary(view)) {
    throw new CommandError(
      `not writing binary data to a terminal (${view.length} bytes of ${what}): use --hex, or redirect stdout`,
    );
  }
  try {
    await writeAll((ctx.stdout as { fd?: number }).fd ?? 1, view, { signal: ctx.signal, io });
  } catch (e) {
    // write(2) on the descriptor itself: its failure is stdout's, said as util-linux says it.
    if ((e as NodeJS.ErrnoException).syscall === 'write')
      throw await failure(ctx.stdout, e as NodeJS.ErrnoException);
    throw e;
  }
}

// The System V subcommands' actions (the POSIX ones are in posix-shm.ts).

/** shm create (System V): a segment of SIZE bytes, IPC_PRIVATE or a new key. */
export async function createAction(
  ctx: CommandContext,
  sizeText: string,
  opts: TargetOptions & { json?: boolean; mode: string },
): Promise<number> {
  const size = sizeArg(sizeText);
  const key = keyOf(opts);
  const mode = parseMode(opts.mode);
  const s: Situation = { kind: 'shm', op: 'create', size, ...(key !== undefined ? { key } : {}) };
  const shm = explained(s, () => SharedMemory.create(size, { mode, ...(key !== undefined ? { key } : {}) }));
  const text = opts.json
    ? jsonText({ id: shm.id, key: key ?? 0, keyHex: formatKey(key ?? 0), size })
    : `${shm.id}\n`;
  await announceCreated(ctx, text, `shared memory segment ${shm.id}`, () => shm.remove());
  return 0;
}

/** shm write (System V): DATA or stdin into the attached segment, in place. */
export function writeAction(
  ctx: CommandContext,
  args: string[],
  opts: TargetOptions & { offset: string },
): Promise<number> {
  const { target, rest } = takeTarget('shm', opts, args);
  const [data, ...extra] = rest;
  noMore(extra);
  const offset = parseOffset(opts.offset, 'offset')!;
  const shm = new SharedMemory(target.id);
  const s: Situation = { kind: 'shm', op: 'attach', id: target.id, access: 'read and write' };
  return withAttachment(shm, s, false, async (a, io) => {
    await writeInput(ctx, a, io, { id: target.id, offset, data });
    return 0;
  });
}

/** shm read (System V): the attached segment's bytes, raw, --json or --hex. */
export function readAction(
  ctx: CommandContext,
  args: string[],
  opts: TargetOptions & ReadOutput & { offset: string; length?: string },
): Promise<number> {
  const { target, rest } = takeTarget('shm', opts, args);
  noMore(rest);
  const offset = parseOffset(opts.offset, 'offset')!;
  const length = parseOffset(opts.length, 'length');
  const shm = new SharedMemory(target.id);
  const s: Situation = { kind: 'shm', op: 'attach', id: target.id, access: 'read' };
  return withAttachment(shm, s, true, async (a, io) => {
    const len = checkRange(target.id, a.size, offset, length, 'read');
    await emitView(ctx, a.view(offset, len), offset, opts, segmentLabel(target.id), { id: target.id }, io);
    return 0;
  });
}

/** After IPC_RMID: a segment still attached stays until its last process detaches; say so (stderr). */
export function removalDeferred(ctx: CommandContext, id: number): void {
  let nattch = 0;
  try {
    nattch = new SharedMemory(id).stat().nattch;
  } catch {
    return; // gone at once: nothing to say
  }
  if (nattch > 0)
    ctx.stderr.write(
      `${ctx.prog}: shared memory segment ${id} is marked for removal; it goes when the last of its ` +
        `${plural(nattch, 'attached process', 'attached processes')} detaches\n`,
    );
}
