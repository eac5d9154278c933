// svipc shm create|write|read|stat|rm: System V shared memory from the shell.
// write and read work in place: stdin is read straight into the attached segment and the
// segment is written straight to stdout (src/protocols/shmseg-io.ts), with no copy in between.
// Every offset and length is checked against the segment's size before anything moves.
import type { CommandContext } from '../src/cli/context.js';
import { explained, type Situation } from '../src/cli/explain.js';
import { announceCreated, CREATED_HELP, failure } from '../src/cli/output.js';
import {
  EXIT_HELP,
  jsonText,
  noMore,
  rmSubcommand,
  statSubcommand,
  targetSubcommand,
  utf8OrNull,
  writeJson,
} from '../src/cli/primitives.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { checkRange, parseOffset, withAttachment, writeInput } from '../src/cli/shm-io.js';
import { sizeArg } from '../src/cli/size.js';
import { keyOf, TARGET_HELP, TARGET_USAGE, type TargetOptions, takeTarget } from '../src/cli/target.js';
import { parseMode } from '../src/cli/values.js';
import { formatKey, SharedMemory } from '../src/ipc/index.js';
import { writeAll } from '../src/protocols/shmseg-io.js';

interface Json {
  json?: boolean;
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
          await writeInput(ctx, a, io, { id: target.id, offset, data });
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
  rmSubcommand(program, 'shm', 'remove a segment (IPC_RMID): it goes once the last process detaches');

  return runProgram(program, ctx);
}
