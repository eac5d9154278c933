// svipc tour: run the steps, report, clean up whatever happens.
import type { CommandContext } from '../cli/context.js';
import { Aborted, commandExists, Tour } from './runner.js';
import { STEPS } from './steps.js';

/** true: every check held; false: one failed; 'aborted': a signal stopped it. */
export async function runTour(
  ctx: CommandContext,
  opts: { trace?: boolean; quiet?: boolean },
  color: boolean,
): Promise<boolean | 'aborted'> {
  const tour = new Tour(ctx, opts, color);
  tour.armExitCleanup();
  tour.startGuard();
  const t0 = performance.now();
  tour.out('svipc tour: the demos of the lecture "System V IPC", on objects made for the tour only.');
  tour.say(`The commands run in ${tour.dir} (removed at the end); retype them to play.`);
  let aborted = false;
  try {
    for (const [i, step] of STEPS.entries()) {
      tour.heading(i + 1, STEPS.length, step.title);
      const missing = step.needs.filter((c) => !commandExists(c));
      if (missing.length > 0) {
        tour.skip(`not built in this checkout: svipc ${missing.join(', svipc ')}`);
        continue;
      }
      try {
        await step.run(tour);
      } catch (e) {
        if (e instanceof Aborted || ctx.signal.aborted) throw new Aborted();
        tour.check(false, 'the step stopped', (e as Error).message);
      }
    }
  } catch (e) {
    if (!(e instanceof Aborted)) throw e;
    aborted = true;
  } finally {
    const left = await tour.cleanup();
    if (left.length > 0) tour.out(`\nRemoved what the tour had left: ${left.join(', ')}`);
  }
  if (aborted) {
    ctx.stderr.write(`${ctx.prog}: interrupted; the tour removed what it had made\n`);
    return 'aborted';
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  tour.out();
  tour.out(
    `${tour.passed} checks passed, ${tour.failed} failed${tour.skipped ? `, ${tour.skipped} steps skipped` : ''} (${secs} s).` +
      (tour.failed === 0 ? ' Every object the tour made is gone.' : ''),
  );
  return tour.failed === 0;
}
