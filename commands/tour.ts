// svipc tour: every demo of the lecture, in order, as real `svipc` commands on objects the
// tour creates for itself; what each step shows, its slide, the C calls, and checks of what
// it should show. Cleans up on success, failure, q and SIGINT/SIGTERM/SIGHUP (src/tour/).
import type { CommandContext } from '../src/cli/context.js';
import { useColor } from '../src/cli/context.js';
import { EXIT } from '../src/cli/exit.js';
import { defineCommand } from '../src/cli/spec.js';
import { runTour, stepList, type TourOptions } from '../src/tour/index.js';

async function tourAction(ctx: CommandContext, opts: TourOptions & { list?: boolean }): Promise<number> {
  if (opts.list) {
    ctx.stdout.write(stepList());
    return EXIT.OK;
  }
  return runTour(ctx, opts, useColor(ctx));
}

export const { spec, run } = defineCommand({
  summary:
    'Run every demo of the lecture on System V IPC, in order, with svipc commands you can retype: ' +
    'ipcmk/ipcs/ipcrm, ftok, the stat server, svsem-demo, stdin2shm/shm2stdout, svshm-writer/reader, ' +
    'shm-list-writer/reader, and System V beside POSIX. Each step names its slide and the C calls; ' +
    'it works on objects it creates (fresh keys, IPC_PRIVATE or unique names), checks each result, ' +
    'and removes everything it made.',
  options: [
    {
      flags: '--step',
      description: 'pause before each step: Enter runs it, q stops (cleaned up); needs a terminal',
    },
    { flags: '--only <n>', description: 'run only step N (see --list)' },
    { flags: '--list', description: 'print the steps, numbered, with their slides, and exit' },
    {
      flags: '--trace',
      description: 'every IPC call of every step below its command; planned failures marked',
    },
    { flags: '-q, --quiet', description: 'only the step titles, the checks and the summary' },
  ],
  help:
    '\nExit status: 0 every check held (or q at a --step pause), 1 a check failed, 2 usage\n' +
    '(--step without a terminal, --only out of range), 130/143 interrupted (cleaned up).\n',
  examples: [
    ['svipc tour --step --trace', 'for a class: one step at a time, every IPC call shown'],
    ['svipc tour --list', 'the steps and their slides'],
    ['svipc tour --only 8 --trace', 'System V beside POSIX: a work queue and a mutex in both'],
    ['svipc tour -q', 'all of it, only the checks: a quick self-test of this machine'],
  ],
  action: tourAction,
});
