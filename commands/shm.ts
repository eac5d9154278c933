// svipc shm create|write|read|stat|rm: shared memory from the shell, System V segments (ID,
// -k KEY, --path P) or POSIX objects (/NAME). System V's write and read work in place on the
// attached segment (src/cli/shm-io.ts); the POSIX forms are in src/cli/posix-shm.ts. Every
// offset and length is checked against the size before anything moves.
import type { CommandContext } from '../src/cli/context.js';
import { UsageError } from '../src/cli/exit.js';
import { CREATED_HELP } from '../src/cli/output.js';
import { posixName, refuseOptions, rmSpec, statSpec } from '../src/cli/posix-primitives.js';
import * as posix from '../src/cli/posix-shm.js';
import { EXIT_HELP, MODE_OPTION, noMore, targetSpec } from '../src/cli/primitives.js';
import * as sysv from '../src/cli/shm-io.js';
import { defineCommand } from '../src/cli/spec.js';
import { createKeyOptions, TARGET_HELP, TARGET_USAGE, type TargetOptions } from '../src/cli/target.js';

type CreateFlags = TargetOptions & { json?: boolean; mode: string };
type ReadFlags = TargetOptions & sysv.ReadOutput & { offset: string; length?: string };

/** create [/NAME] SIZE: one positional is SIZE (System V), two are /NAME SIZE. */
function create(ctx: CommandContext, first: string, second: string | undefined, opts: CreateFlags) {
  if (second === undefined) {
    if (first.startsWith('/')) throw new UsageError(`missing SIZE after ${first}`);
    return sysv.createAction(ctx, first, opts);
  }
  if (!first.startsWith('/'))
    throw new UsageError(`unexpected argument: '${second}' (give SIZE, or /NAME SIZE for a POSIX object)`);
  refuseOptions(opts, { key: '-k/--key', path: '--path', proj: '--proj' }, 'pshm', 'posix');
  return posix.createObject(ctx, posixName({}, [first])!, second, opts);
}

function write(ctx: CommandContext, args: string[], opts: TargetOptions & { offset: string }) {
  const name = posixName(opts, args);
  if (name === null) return sysv.writeAction(ctx, args, opts);
  const [data, ...extra] = args.slice(1);
  noMore(extra);
  return posix.writeObject(ctx, name, sysv.parseOffset(opts.offset, 'offset')!, data);
}

function read(ctx: CommandContext, args: string[], opts: ReadFlags) {
  const name = posixName(opts, args);
  if (name === null) return sysv.readAction(ctx, args, opts);
  noMore(args.slice(1));
  const offset = sysv.parseOffset(opts.offset, 'offset')!;
  return posix.readObject(ctx, name, offset, sysv.parseOffset(opts.length, 'length'), opts);
}

const OFFSET = {
  flags: '-o, --offset <n>',
  description: 'where to start, in bytes (suffixes as for sizes)',
  default: '0',
};

export const { spec, run } = defineCommand({
  summary:
    'Shared memory from the shell, System V (ID, -k KEY) or POSIX (/NAME): create, write, read, stat, rm.',
  help: TARGET_HELP + EXIT_HELP,
  examples: [
    [
      'm=$(svipc shm create 4K); svipc shm write "$m" hello',
      'a System V segment of 4 KiB, "hello" at offset 0',
    ],
    ['svipc shm read "$m" --length 5', 'the first 5 bytes, to stdout'],
    [
      'svipc shm create /frame 1M && date | svipc shm write /frame',
      'a POSIX object of 1 MiB, the date at its start',
    ],
    ['svipc shm read /frame --hex --length 64', 'its first 64 bytes as a hex dump'],
  ],
  subcommands: [
    {
      name: 'create',
      summary: 'create a segment (or POSIX object /NAME) of SIZE bytes and print its id (or name)',
      usage: '[-k KEY | --path P [--proj N]] SIZE  |  /NAME SIZE',
      args: [
        {
          name: '<size|/name>',
          description:
            "SIZE in bytes, util-linux's suffixes: K, M, G (1024^n), KB, MB (1000^n), 1.5K; or /NAME",
        },
        { name: '[size]', description: 'SIZE after /NAME' },
      ],
      options: [
        ...createKeyOptions(),
        MODE_OPTION,
        {
          flags: '--json',
          description: 'print {"id", "key", "keyHex", "size"}; POSIX: {"name", "size", "mode"}',
        },
      ],
      help: CREATED_HELP + EXIT_HELP,
      action: create,
    },
    targetSpec({
      name: 'write',
      summary: 'write DATA (or stdin, by default) at --offset',
      usage: `${TARGET_USAGE} [--offset N] [DATA]`,
      options: [OFFSET],
      help:
        '\nInput that does not fit between --offset and the end of the segment is refused: DATA, or a\n' +
        'regular file on stdin, before anything is written; a pipe, once the room is full (what fit\n' +
        'stays written, and the message says how much). Without DATA on a terminal, it says it reads\n' +
        'stdin (end with Ctrl-D). A POSIX object is written with pwrite(2): /dev/shm full is an error.\n',
      action: write,
    }),
    targetSpec({
      name: 'read',
      summary: 'write the bytes (or --length bytes at --offset) to stdout',
      usage: `${TARGET_USAGE} [--offset N] [--length N] [--json | --hex]`,
      options: [
        OFFSET,
        { flags: '-l, --length <n>', description: 'how many bytes (default: to the end)' },
        { flags: '--json', description: 'print {"id" or "name", "offset", "length", "text", "base64"}' },
        {
          flags: '--hex',
          description: "a hex dump, as hexdump -C prints it (offsets from the segment's start)",
        },
      ],
      help: '\nTo a terminal, binary bytes (NUL, control characters, not UTF-8) are refused: use --hex, or redirect.\n',
      examples: [['svipc shm read 3 > seg.bin', 'segment 3, byte for byte, into a file']],
      action: read,
    }),
    statSpec('shm', "print a segment's status (size, attach count, pids, times), or a POSIX object's"),
    rmSpec(
      'shm',
      'remove a segment (IPC_RMID: it goes once the last process detaches, and says so), or shm_unlink /NAME',
      sysv.removalDeferred,
    ),
  ],
});
