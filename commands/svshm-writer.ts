// svipc svshm-writer: the lecture's svshm-writer (copies stdin into the shared memory segment
// 0x1234, taking turns with the reader through the semaphore set 0x5678), then removes both.
// The protocol and its waits are in src/protocols/svshm*.ts (--fast: svshm-fast.ts); this parses
// options and reports.
import type { CommandContext } from '../src/cli/context.js';
import { shmgetInvalid } from '../src/cli/explain.js';
import { refuseDirectoryStdin } from '../src/cli/primitives.js';
import { parseBufferSize, parseKeys, transfer } from '../src/cli/svshm.js';
import { defineTracedCommand, type TraceOpts } from '../src/cli/trace-option.js';
import { parseSeconds } from '../src/cli/values.js';
import { isIpcError } from '../src/ipc/index.js';
import { BUF_SIZE, hexKey, runWriter, SEM_KEY, SHM_KEY, segmentSize } from '../src/protocols/svshm.js';
import { runFastWriter } from '../src/protocols/svshm-fast.js';
import {
  FAST_SLOT_SIZE,
  FAST_SLOTS,
  fastSegmentSize,
  fastSlotSize,
} from '../src/protocols/svshm-fast-layout.js';

interface Opts extends TraceOpts {
  shmKey: string;
  semKey: string;
  bufferSize?: string;
  timeout?: string;
  progress?: boolean;
  fast?: boolean;
}

function writerAction(ctx: CommandContext, opts: Opts): Promise<number> {
  const { shmKey, semKey } = parseKeys(opts);
  const bufferSize =
    opts.bufferSize === undefined
      ? opts.fast
        ? FAST_SLOT_SIZE
        : BUF_SIZE
      : parseBufferSize(opts.bufferSize);
  const timeoutMs = opts.timeout === undefined ? undefined : parseSeconds(opts.timeout);
  refuseDirectoryStdin(0);
  const size = opts.fast ? fastSegmentSize(FAST_SLOTS, fastSlotSize(bufferSize)) : segmentSize(bufferSize);
  const side = opts.fast ? runFastWriter : runWriter;
  return transfer(ctx, opts, 'sent', (hooks) =>
    side({ shmKey, semKey, bufferSize, timeoutMs, ...hooks }).catch((e: unknown) => {
      // Created exclusively: EINVAL is a kernel limit (shmmax), never an existing segment.
      if (isIpcError(e, 'EINVAL') && e.syscall === 'shmget') throw shmgetInvalid(shmKey, size);
      throw e;
    }),
  );
}

export const { spec, run } = defineTracedCommand({
  summary:
    "The lecture's svshm-writer: copy standard input through a System V shared memory segment to " +
    'svshm-reader, the two taking turns through a set of 2 semaphores. Creates both objects and ' +
    'removes them at the end (or when interrupted, or when the reader dies).',
  options: [
    { flags: '--shm-key <key>', description: 'key of the segment it creates', default: hexKey(SHM_KEY) },
    {
      flags: '--sem-key <key>',
      description: 'key of the semaphore set it creates',
      default: hexKey(SEM_KEY),
    },
    {
      flags: '--buffer-size <bytes>',
      description: `data bytes per turn (the C reader copes with any; default ${BUF_SIZE}, with --fast ${FAST_SLOT_SIZE} per slot, rounded up to pages)`,
    },
    {
      flags: '--fast',
      description: `svipc's own faster layout (not the lecture's): a ring of ${FAST_SLOTS} page-aligned slots, both sides at work at once; needs svshm-reader --fast`,
    },
    {
      flags: '--timeout <seconds>',
      description: 'give up when no reader has come within this long (default: wait)',
    },
    { flags: '--progress', description: 'show bytes sent and the rate on stderr (only on a terminal)' },
  ],
  help:
    '\nOutput: "sent N bytes (M xfrs)" on stderr, as the C program.\n' +
    "A dead writer's leftovers are removed only when provably its own (size, 2 semaphores,\n" +
    'mode 0660, your uid); anything else at the keys is named, not removed.\n' +
    '--fast: header with magic and version; a lecture-mode or other-version peer fails\n' +
    'with one line. The lecture C reader cannot read it (it sees an empty transfer).\n' +
    'Exit status: 0 ok, 1 failed (objects exist already, the reader died...), 2 usage,\n' +
    '124 no reader within --timeout, 129/130/143 interrupted (objects removed).\n',
  examples: [
    [
      'svipc svshm-writer < /etc/services',
      'terminal 1: send a file; waits for the reader, then removes both objects',
    ],
    ['svipc svshm-reader > copy.txt', 'terminal 2: receive it (may start first)'],
    ['svipc svshm-writer --trace < /etc/hostname', "each P and V as the lecture's semop, with the bytes"],
    [
      'svipc svshm-writer --fast --timeout 10 < /etc/services',
      "svipc's ring layout (reader: --fast); give up without a reader in 10 s",
    ],
  ],
  action: writerAction,
});
