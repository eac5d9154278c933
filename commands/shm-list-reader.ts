// svipc shm-list-reader: the lecture's shm-list-reader. Attaches the segment of key
// SHM_KEY (0x1234; --key) wherever the kernel chooses and walks the offset-linked list
// shm-list-writer built, printing what the C program prints. Beyond the C program: every
// offset is checked (inside the segment, on an element boundary, no cycle) before anything
// is printed, so a corrupt segment is a clear error, never a crash or an endless loop.
import type { CommandContext } from '../src/cli/context.js';
import { LIST_KEY_OPTION, listKey, readList, visitListed } from '../src/cli/shm-list.js';
import { defineTracedCommand, type TraceOpts, tracerOf } from '../src/cli/trace-option.js';

interface Opts extends TraceOpts {
  key?: string;
  quiet?: boolean;
}

function readerAction(ctx: CommandContext, opts: Opts): number {
  const key = listKey(opts.key, 'no list can be found there');
  const attached = (address: bigint) => {
    if (!opts.quiet) ctx.stdout.write(`list attached at 0x${address.toString(16)}\n`);
  };
  const values = readList(key, attached, tracerOf(ctx, opts));
  return visitListed(ctx, values);
}

export const { spec, run } = defineTracedCommand({
  summary:
    "The lecture's shm-list-reader: walk the linked list shm-list-writer left in a shared memory " +
    'segment (links are offsets from the segment base) and print its values.',
  options: [
    LIST_KEY_OPTION,
    { flags: '-q, --quiet', description: 'print only the "[common] visit list:" line (no address)' },
  ],
  help:
    '\nOutput (as the C program):\n  list attached at 0x...\n  [common] visit list: 13 17 42 \n' +
    'Exit status: 0 ok, 1 failed (no segment, permission, corrupt list), 2 usage.\n',
  examples: [
    ['svipc shm-list-reader', 'walk the list shm-list-writer left at 0x1234 (another address, same list)'],
    ['svipc shm-list-reader --key 0x4242 -q', 'the list at another key; only the visit line'],
    ['svipc shm-list-reader --trace', 'shmget, shmat (read-only) and shmdt, each with its process'],
  ],
  action: readerAction,
});
