// svipc tour: run the steps (all, or --only one; with --step, a pause before each), report,
// clean up whatever happens.
import type { CommandContext } from '../cli/context.js';
import { EXIT, SIGNAL_EXIT, UsageError } from '../cli/exit.js';
import { checkStepTerminal, waitForKey } from './pause.js';
import { Aborted, commandExists, Quit, Tour } from './runner.js';
import { STEPS } from './steps.js';

export interface TourOptions {
  trace?: boolean;
  quiet?: boolean;
  /** Pause before each step (a terminal on stdin). */
  step?: boolean;
  /** Run only this step (1-based, as --list numbers them). */
  only?: string;
}

/** `--list`: each step's number, title and slide. */
export function stepList(): string {
  return STEPS.map((s, i) => `${String(i + 1).padStart(2)}  ${s.title}\n    slide ${s.slide}\n`).join('');
}

/** The steps --only picks: all of them, or the one numbered N (a usage error otherwise). */
export function chooseSteps(only: string | undefined): { n: number; step: (typeof STEPS)[number] }[] {
  const all = STEPS.map((step, i) => ({ n: i + 1, step }));
  if (only === undefined) return all;
  const n = /^[0-9]+$/.test(only) ? Number(only) : Number.NaN;
  if (!(n >= 1 && n <= STEPS.length)) {
    throw new UsageError(`--only: no step '${only}': the steps are 1 to ${STEPS.length} (svipc tour --list)`);
  }
  return [all[n - 1]!];
}

/** Run the tour; its exit code: 0 every check held (or q at a pause), 1 one failed, 130/143 a signal. */
export async function runTour(ctx: CommandContext, opts: TourOptions, color: boolean): Promise<number> {
  const chosen = chooseSteps(opts.only);
  if (opts.step) checkStepTerminal(ctx);
  const tour = new Tour(ctx, opts, color);
  tour.armExitCleanup();
  tour.startGuard();
  const t0 = performance.now();
  tour.out('svipc tour: the demos of the lecture "System V IPC", on objects made for the tour only.');
  tour.say(`The commands run in ${tour.dir} (removed at the end); retype them to play.`);
  if (opts.trace)
    tour.say('With --trace: every IPC call below its command; "<- expected" marks a planned failure.');
  let stopped: 'quit' | 'SIGINT' | undefined;
  try {
    for (const { n, step } of chosen) {
      tour.heading(n, STEPS.length, step.title, step.slide);
      if (opts.step) {
        ctx.stdout.write('  Enter: run this step, q: stop the tour ');
        const a = await waitForKey(ctx);
        ctx.stdout.write('\n');
        if (a === 'quit') throw new Quit();
        if (a === 'interrupt') throw new Aborted();
      }
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
    if (e instanceof Quit) stopped = 'quit';
    else if (e instanceof Aborted) stopped = 'SIGINT';
    else throw e;
  } finally {
    const left = await tour.cleanup();
    if (left.length > 0) tour.out(`\nRemoved what the tour had left: ${left.join(', ')}`);
  }
  if (stopped === 'quit') {
    tour.out(
      `\nStopped (q): ${tour.passed} checks passed, ${tour.failed} failed; every object the tour made is gone.`,
    );
    return tour.failed === 0 ? EXIT.OK : EXIT.FAILED;
  }
  if (stopped) {
    ctx.stderr.write(`${ctx.prog}: interrupted; the tour removed what it had made\n`);
    // A signal says which; Ctrl-C at a --step pause (raw mode: no signal) is SIGINT's 130.
    return ctx.signal.aborted ? (SIGNAL_EXIT[String(ctx.signal.reason)] ?? EXIT.SIGINT) : EXIT.SIGINT;
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  tour.out();
  tour.out(
    `${tour.passed} checks passed, ${tour.failed} failed${tour.skipped ? `, ${tour.skipped} steps skipped` : ''} (${secs} s).` +
      (tour.failed === 0 ? ' Every object the tour made is gone.' : ''),
  );
  return tour.failed === 0 ? EXIT.OK : EXIT.FAILED;
}
