// svipc tour: every demo of the lecture, in order, as real `svipc` commands on objects the
// tour creates for itself; what each step shows, and checks of what it should show.
// Cleans up on success, failure and SIGINT/SIGTERM/SIGHUP. The README's first command.
import type { CommandContext } from '../src/cli/context.js';
import { useColor } from '../src/cli/context.js';
import { EXIT, SIGNAL_EXIT } from '../src/cli/exit.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { runTour } from '../src/tour/index.js';

export async function run(ctx: CommandContext): Promise<number> {
  const program = newProgram(
    ctx,
    'Run every demo of the lecture on System V IPC, in order, with svipc commands you can retype: ' +
      'ipcmk/ipcs/ipcrm, ftok, the stat server, svsem-demo, stdin2shm/shm2stdout, svshm-writer/reader, ' +
      'shm-list-writer/reader. It works on objects it creates (fresh keys or IPC_PRIVATE), checks each ' +
      'result, and removes everything it made.',
  )
    .option('--trace', 'run the demos with --trace: every IPC call they make, on their stderr')
    .option('-q, --quiet', 'only the step titles, the checks and the summary')
    .addHelpText(
      'after',
      '\nExit status: 0 every check held, 1 a check failed, 130/143 interrupted (cleaned up).',
    );
  program.action(
    action(program, async (opts: { trace?: boolean; quiet?: boolean }) => {
      const r = await runTour(ctx, opts, useColor(ctx));
      if (r === 'aborted') return SIGNAL_EXIT[String(ctx.signal.reason)] ?? EXIT.SIGINT;
      return r ? EXIT.OK : EXIT.FAILED;
    }),
  );
  return runProgram(program, ctx);
}
