// svipc shm-list-writer [VALUES...]: the lecture's shm-list-writer. Builds a linked list
// whose links are offsets from the segment base (not addresses) in the segment of key
// SHM_KEY (0x1234; --key), room for 1000 elements as list_init(1000), default values
// 13 17 42, and prints what the C program prints. The segment is left for the reader.
// The list_init/append rules: src/cli/shm-list.ts; the layout: src/protocols/shm-list.ts.
import type { CommandContext } from '../src/cli/context.js';
import { CommandError, UsageError } from '../src/cli/exit.js';
import { LIST_KEY_OPTION, listKey, visitListed, writeList } from '../src/cli/shm-list.js';
import { defineTracedCommand, type TraceOpts, tracerOf } from '../src/cli/trace-option.js';
import { parseCount, parseInteger } from '../src/cli/values.js';
import { DEFAULT_LENGTH, DEFAULT_VALUES, INT_MAX, INT_MIN } from '../src/protocols/shm-list.js';

interface Opts extends TraceOpts {
  key?: string;
  length?: string;
  quiet?: boolean;
}

function writerAction(ctx: CommandContext, valueTexts: string[], opts: Opts): number {
  const key = listKey(opts.key, 'the reader could not find the list');
  const len = opts.length === undefined ? DEFAULT_LENGTH : parseCount(opts.length, 'length', 1 << 26);
  if (len < 1) throw new UsageError('invalid length: at least 1 element');
  const values = valueTexts.length === 0 ? DEFAULT_VALUES : valueTexts.map((t) => parseInteger(t, 'value'));
  for (const [i, v] of values.entries())
    if (v < INT_MIN || v > INT_MAX) throw new UsageError(`invalid value: '${valueTexts[i]}' (a C int)`);
  // Known before anything is created: a failed run leaves no segment it made.
  if (values.length > len)
    throw new CommandError(`list_append: Cannot allocate memory (room for ${len} elements)`);
  const out = (line: string) => {
    if (!opts.quiet) ctx.stdout.write(`${line}\n`);
  };
  const visited = writeList(key, len, values, out, tracerOf(ctx, opts));
  return visitListed(ctx, visited);
}

export const { spec, run } = defineTracedCommand({
  summary:
    "The lecture's shm-list-writer: build a linked list of VALUES in a shared memory segment, " +
    'each element linked to the next by its offset from the segment base (0 ends the list).',
  args: [{ name: '[values...]', description: 'the integers to store (default: 13 17 42)' }],
  options: [
    LIST_KEY_OPTION,
    {
      flags: '--length <n>',
      description: `room for this many elements (default ${DEFAULT_LENGTH}, as list_init(1000))`,
    },
    { flags: '-q, --quiet', description: 'print only the "[common] visit list:" line (no addresses)' },
  ],
  help:
    '\nOutput (as the C program; addresses vary from run to run):\n' +
    '  list attached at 0x...\n  list_init: top=0x..., len=1000\n  allocated 0x... (length: 1)   (one per value)\n' +
    '  [common] visit list: 13 17 42 \n' +
    'The segment (key 0x1234, mode 0660, 16 bytes per element) stays for shm-list-reader;\n' +
    'remove it with `svipc ipcrm -M 0x1234`. An existing segment there is written only if it is\n' +
    'a list of yours of this size; anything else is named and left alone.\nExit status: 0 ok, 1 failed, 2 usage.\n',
  examples: [
    ['svipc shm-list-writer', "the lecture's list 13 17 42 in segment 0x1234"],
    ['svipc shm-list-writer --key 0x4242 -q 1 2 3', 'another list at another key; only the visit line'],
    ['svipc shm-list-writer --trace', 'shmget, shmat, each element stored (offsets, not addresses), shmdt'],
    ['svipc ipcrm -M 0x1234', 'remove the list when done'],
  ],
  action: writerAction,
});
