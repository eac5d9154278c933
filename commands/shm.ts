// svipc shm create|write|read|stat|rm: System V shared memory from the shell.
// write and read work in place: stdin is read straight into the attached segment and the
// segment is written straight to stdout (src/protocols/shmseg-io.ts), with no copy in between.
// Every offset and length is checked against the segment's size before anything moves.
import { fstatSync } from 'node:fs';
import type { CommandContext } from '../src/cli/context.js';
import { CommandError } from '../src/cli/exit.js';
import { explained, type Situation } from '../src/cli/explain.js';
import { announceCreated, CREATED_HELP, failure } from '../src/cli/output.js';
import {
  EXIT_HELP,
  jsonText,
  noMore,
  rmSubcommand,
  statSubcommand,
  stdinChunks,
  targetSubcommand,
  utf8OrNull,
  writeJson,
} from '../src/cli/primitives.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { sizeArg } from '../src/cli/size.js';
import { keyOf, TARGET_HELP, TARGET_USAGE, type TargetOptions, takeTarget } from '../src/cli/target.js';
import { parseMode } from '../src/cli/values.js';
import { type Attachment, formatKey, MAX_VIEW, SharedMemory } from '../src/ipc/index.js';
import { type FdIo, readInto, writeAll } from '../src/protocols/shmseg-io.js';

interface Json {
  json?: boolean;
}

function parseOffset(s: string | undefined, what: string): number | undefined {
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
async function withAttachment<T>(
  shm: SharedMemory,
  s: Situation,
  readonly: boolean,
  fn: (a: Attachment, io: FdIo) => Promise<T>,
): Promise<T> {
  const a = explained(s, () => shm.attach({ readonly }));
  const io: FdIo = { pending: false };
  try {
    return await fn(a, io);
  } finally {
    if (!io.pending) a.detach();
  }
}

export async function run(ctx: CommandContext): Promise<number> {
  const program = newProgram(
    ctx,
    'System V shared memory from the shell: create, write, read, stat, rm.',
  ).addHelpText('after', TARGET_HELP + EXIT_HELP);

  // create
  program
    .command('create')
    .description('create a segment of SIZE bytes and print its id')
    .argument('<size>', "bytes, with util-linux's suffixes: K, M, G... (1024^n), KB, MB... (1000^n), 1.5K")
    .option('-k, --key <key>', 'create it with this key (fails if the key is taken)')
    .option('--path <path>', 'create it with the key ftok(PATH, PROJ)')
    .option('--proj <n>', 'project number for --path (default 1)')
    .option('-m, --mode <mode>', 'permission bits, octal', '600')
    .option('--json', 'print {"id", "key", "keyHex", "size"}')
    .addHelpText('after', CREATED_HELP + EXIT_HELP)
    .action(
      action(program, async (sizeText: string, opts: TargetOptions & Json & { mode: string }) => {
        const size = sizeArg(sizeText);
        const key = keyOf(opts);
        const mode = parseMode(opts.mode);
        const s: Situation = { kind: 'shm', op: 'create', size, ...(key !== undefined ? { key } : {}) };
        const shm = explained(s, () =>
          SharedMemory.create(size, { mode, ...(key !== undefined ? { key } : {}) }),
        );
        const text = opts.json
          ? jsonText({ id: shm.id, key: key ?? 0, keyHex: formatKey(key ?? 0), size })
          : `${shm.id}\n`;
        await announceCreated(ctx, text, `shared memory segment ${shm.id}`, () => shm.remove());
        return 0;
      }),
    );

  // write
  targetSubcommand(program, 'write', 'write DATA (or stdin, by default) into a segment at --offset')
    .usage(`${TARGET_USAGE} [--offset N] [DATA]`)
    .argument('[args...]', 'TARGET id (unless -k/--path), then DATA (- or absent: stdin)')
    .option('-o, --offset <n>', 'where to start, in bytes (suffixes as for sizes)', '0')
    .addHelpText(
      'after',
      '\nInput that does not fit between --offset and the end of the segment is refused: DATA, or a\n' +
        'regular file on stdin, before anything is written; a pipe, once the room is full (what fit\n' +
        'stays written, and the message says how much).\n',
    )
    .action(
      action(program, async (args: string[], opts: TargetOptions & { offset: string }) => {
        const { target, rest } = takeTarget('shm', opts, args);
        const [data, ...extra] = rest;
        noMore(extra);
        const offset = parseOffset(opts.offset, 'offset')!;
        const shm = new SharedMemory(target.id);
        const s: Situation = { kind: 'shm', op: 'write', id: target.id, access: 'read and write' };
        return withAttachment(shm, { ...s, op: 'attach' }, false, async (a, io) => {
          const size = a.size;
          if (data !== undefined && data !== '-') {
            const bytes = Buffer.from(data);
            checkRange(target.id, size, offset, bytes.length, 'write');
            a.view(offset, bytes.length).set(bytes);
            return 0;
          }
          checkRange(target.id, size, offset, 0, 'write');
          const fd = ctx.stdin.fd ?? 0;
          let known: number | undefined;
          try {
            const st = fstatSync(fd);
            if (st.isFile()) known = st.size;
          } catch {
            // Not a file: find out by reading.
          }
          if (known !== undefined) checkRange(target.id, size, offset, known, 'write');
          // At most one view's worth (MAX_VIEW) at a time: a larger segment is written in parts.
          const room = a.view(offset, Math.min(size - offset, MAX_VIEW));
          if (known !== undefined && known > room.length)
            throw new CommandError(
              `input too long: svipc writes at most ${MAX_VIEW} bytes at once (use --offset)`,
            );
          if (known !== undefined) {
            // A regular file: read(2) straight into the segment, no copy.
            await readInto(fd, room, { signal: ctx.signal, io });
            return 0;
          }
          // A pipe or terminal: the stream's chunks, each copied once into the segment. (A read(2)
          // blocked on a pool thread would hold the process's exit until the writer writes.)
          const n = await copyStream(ctx, room);
          if (n > room.length) {
            throw new CommandError(
              (room.length < size - offset
                ? `input too long: svipc writes at most ${MAX_VIEW} bytes at once (use --offset for the rest); `
                : `input does not fit: shared memory segment ${target.id} has ${size} bytes, ${room.length} from offset ` +
                  `${offset} to its end; `) +
                `those ${room.length} bytes were written, the rest of the input was not`,
            );
          }
          return 0;
        });
      }),
    );

  // read
  targetSubcommand(program, 'read', 'write a segment (or --length bytes at --offset) to stdout')
    .usage(`${TARGET_USAGE} [--offset N] [--length N] [--json]`)
    .argument('[args...]', 'TARGET id (unless -k/--path)')
    .option('-o, --offset <n>', 'where to start, in bytes (suffixes as for sizes)', '0')
    .option('-l, --length <n>', 'how many bytes (default: to the end of the segment)')
    .option('--json', 'print {"id", "offset", "length", "text", "base64"} instead of the raw bytes')
    .action(
      action(
        program,
        async (args: string[], opts: TargetOptions & Json & { offset: string; length?: string }) => {
          const { target, rest } = takeTarget('shm', opts, args);
          noMore(rest);
          const offset = parseOffset(opts.offset, 'offset')!;
          const length = parseOffset(opts.length, 'length');
          const shm = new SharedMemory(target.id);
          const s: Situation = { kind: 'shm', op: 'attach', id: target.id, access: 'read' };
          return withAttachment(shm, s, true, async (a, io) => {
            const len = checkRange(target.id, a.size, offset, length, 'read');
            const view = a.view(offset, len);
            if (opts.json) {
              writeJson(ctx, {
                id: target.id,
                offset,
                length: len,
                text: utf8OrNull(view),
                base64: view.toString('base64'),
              });
              return 0;
            }
            try {
              await writeAll((ctx.stdout as { fd?: number }).fd ?? 1, view, { signal: ctx.signal, io });
            } catch (e) {
              // write(2) on the descriptor itself: its failure is stdout's, said as util-linux says it.
              if ((e as NodeJS.ErrnoException).syscall === 'write')
                throw await failure(ctx.stdout, e as NodeJS.ErrnoException);
              throw e;
            }
            return 0;
          });
        },
      ),
    );

  // stat
  statSubcommand(
    program,
    ctx,
    'shm',
    "print a segment's status (size, attach count, pids, times)",
    `${TARGET_USAGE} [--json]`,
  );

  // rm
  rmSubcommand(program, 'shm', 'remove a segment (IPC_RMID): it goes once the last process detaches', (id) =>
    new SharedMemory(id).remove(),
  );

  return runProgram(program, ctx);
}
