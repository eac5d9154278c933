// svipc svshm-reader: the lecture's svshm-reader (copies what svshm-writer puts in the shared
// memory segment 0x1234 to stdout, taking turns through the semaphore set 0x5678). It may
// start first: it waits for the writer. It owns nothing: it only attaches and detaches.
// The protocol and its waits are in src/protocols/svshm*.ts (--fast: svshm-fast.ts); this parses
// options and reports.
import type { CommandContext } from '../src/cli/context.js';
import { parseBufferSize, parseKeys, transfer } from '../src/cli/svshm.js';
import { defineTracedCommand, type TraceOpts } from '../src/cli/trace-option.js';
import { parseSeconds } from '../src/cli/values.js';
import { DEFAULT_READER_TIMEOUT_MS, hexKey, runReader, SEM_KEY, SHM_KEY } from '../src/protocols/svshm.js';
import { runFastReader } from '../src/protocols/svshm-fast.js';

interface Opts extends TraceOpts {
  shmKey: string;
  semKey: string;
  bufferSize?: string;
  timeout: string;
  progress?: boolean;
  fast?: boolean;
}

function readerAction(ctx: CommandContext, opts: Opts): Promise<number> {
  const { shmKey, semKey } = parseKeys(opts);
  const bufferSize = opts.bufferSize === undefined ? undefined : parseBufferSize(opts.bufferSize);
  const timeoutMs = parseSeconds(opts.timeout);
  return transfer(ctx, opts, 'received', (hooks) =>
    (opts.fast ? runFastReader : runReader)({
      shmKey,
      semKey,
      bufferSize,
      timeoutMs,
      output: ctx.stdout,
      ...hooks,
    }),
  );
}

export const { spec, run } = defineTracedCommand({
  summary:
    "The lecture's svshm-reader: copy what svshm-writer puts through a System V shared memory " +
    'segment to standard output, the two taking turns through a set of 2 semaphores. May start ' +
    'before the writer: it waits for it.',
  options: [
    { flags: '--shm-key <key>', description: "key of the writer's segment", default: hexKey(SHM_KEY) },
    {
      flags: '--sem-key <key>',
      description: "key of the writer's semaphore set",
      default: hexKey(SEM_KEY),
    },
    {
      flags: '--buffer-size <bytes>',
      description: "the largest turn accepted (default: what the writer's segment holds)",
    },
    {
      flags: '--timeout <seconds>',
      description: 'how long to wait for the writer to appear',
      default: String(DEFAULT_READER_TIMEOUT_MS / 1000),
    },
    {
      flags: '--fast',
      description: "read svshm-writer --fast's ring of page-aligned slots (not the lecture's layout)",
    },
    { flags: '--progress', description: 'show bytes received and the rate on stderr (only on a terminal)' },
  ],
  help:
    '\nOutput: the data on stdout; "received N bytes (M xfrs)" on stderr, as the C program.\n' +
    '--fast and the writer must agree: a mismatch (lecture mode, another --fast version)\n' +
    'fails with one line naming it.\n' +
    'Exit status: 0 ok, 1 failed (the writer died, the set was removed...), 2 usage,\n' +
    '124 no writer within --timeout, 129/130/143 interrupted, 141 stdout closed.\n',
  examples: [
    [
      'svipc svshm-reader > copy.txt',
      'terminal 2: receive what svshm-writer sends (waits up to 30 s for it)',
    ],
    ['svipc svshm-reader --trace > /dev/null', "each P and V as the lecture's semop, with the bytes"],
    ['svipc svshm-reader --timeout 5 | wc -c', 'count the bytes; give up without a writer in 5 s'],
  ],
  action: readerAction,
});
