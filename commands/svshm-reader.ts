// svipc svshm-reader: the lecture's svshm-reader (copies what svshm-writer puts in the shared
// memory segment 0x1234 to stdout, taking turns through the semaphore set 0x5678). It may
// start first: it waits for the writer. It owns nothing: it only attaches and detaches.
// The protocol and its waits are in src/protocols/svshm*.ts (--fast: svshm-fast.ts); this parses
// options and reports.
import type { CommandContext } from '../src/cli/context.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { parseBufferSize, parseKeys, transfer } from '../src/cli/svshm.js';
import { addTraceOption } from '../src/cli/trace-option.js';
import { parseSeconds } from '../src/cli/values.js';
import { DEFAULT_READER_TIMEOUT_MS, hexKey, runReader, SEM_KEY, SHM_KEY } from '../src/protocols/svshm.js';
import { runFastReader } from '../src/protocols/svshm-fast.js';

interface Opts {
  shmKey: string;
  semKey: string;
  bufferSize?: string;
  timeout: string;
  trace?: boolean;
  progress?: boolean;
  fast?: boolean;
}

export async function run(ctx: CommandContext): Promise<number> {
  const program = addTraceOption(
    newProgram(
      ctx,
      "The lecture's svshm-reader: copy what svshm-writer puts through a System V shared memory " +
        'segment to standard output, the two taking turns through a set of 2 semaphores. May start ' +
        'before the writer: it waits for it.',
    ),
  )
    .option('--shm-key <key>', "key of the writer's segment", hexKey(SHM_KEY))
    .option('--sem-key <key>', "key of the writer's semaphore set", hexKey(SEM_KEY))
    .option('--buffer-size <bytes>', "the largest turn accepted (default: what the writer's segment holds)")
    .option(
      '--timeout <seconds>',
      'how long to wait for the writer to appear',
      String(DEFAULT_READER_TIMEOUT_MS / 1000),
    )
    .option('--fast', "read svshm-writer --fast's ring of page-aligned slots (not the lecture's layout)")
    .option('--progress', 'show bytes received and the rate on stderr (only on a terminal)')
    .addHelpText(
      'after',
      '\nOutput: the data on stdout; "received N bytes (M xfrs)" on stderr, as the C program.\n' +
        '--fast and the writer must agree: a mismatch (lecture mode, another --fast version)\n' +
        'fails with one line naming it.\n' +
        'Exit status: 0 ok, 1 failed (the writer died, the set was removed...), 2 usage,\n' +
        '124 no writer within --timeout, 129/130/143 interrupted, 141 stdout closed.',
    );
  program.action(
    action(program, async (opts: Opts) => {
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
    }),
  );
  return runProgram(program, ctx);
}
