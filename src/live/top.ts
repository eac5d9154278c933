// `svipc top`'s two loops. For scripts (no terminal, --once, --count or --json): a sample every
// interval, COUNT times, each printed as the table or as one line of JSON. On a terminal: the
// live screen, redrawn every interval or at once when a key changes the view (sort, kind, owner)
// or the terminal is resized, until q, Ctrl-C or a signal. Both return the exit code.
import { type CommandContext, useColor } from '../cli/context.js';
import { EXIT, SIGNAL_EXIT } from '../cli/exit.js';
import { written } from '../cli/output.js';
import { toJson } from '../render/json.js';
import { type Sample, takeSample, withRates } from './sample.js';
import { type Key, openTerminal } from './terminal.js';
import {
  frame,
  KINDS,
  type KindFilter,
  ownerName,
  type SortKey,
  sampleJson,
  type ViewState,
} from './view.js';

/** The keys of the live view that choose the sort column. */
const SORT_BY_KEY: Record<string, SortKey> = {
  i: 'id',
  k: 'kind',
  o: 'owner',
  d: 'depth',
  r: 'rate',
  w: 'waiters',
  a: 'age',
};

/** Wait `ms`, or less when `signal` aborts or `wake` is called. */
function pause(ms: number, signal: AbortSignal): { done: Promise<void>; wake: () => void } {
  let wake = () => {};
  const done = new Promise<void>((resolve) => {
    const t = setTimeout(finish, ms);
    function finish() {
      clearTimeout(t);
      signal.removeEventListener('abort', finish);
      resolve();
    }
    wake = finish;
    signal.addEventListener('abort', finish);
  });
  return { done, wake };
}

const signalCode = (ctx: CommandContext) => SIGNAL_EXIT[String(ctx.signal.reason)] ?? EXIT.SIGTERM;

/** COUNT samples, INTERVAL apart (the first at once), each given to `each`; a signal stops them. */
async function samples(
  ctx: CommandContext,
  count: number,
  intervalMs: number,
  each: (s: Sample) => Promise<void>,
): Promise<number> {
  let prev: Sample | null = null;
  for (let i = 0; i < count; i++) {
    if (i > 0) await pause(intervalMs, ctx.signal).done;
    if (ctx.signal.aborted) return signalCode(ctx);
    const s = withRates(prev, takeSample());
    prev = s;
    await each(s);
  }
  return EXIT.OK;
}

/**
 * The live screen on ctx's terminal (stdin and stdout TTYs): a sample every INTERVAL, a redraw
 * at once on a key (q quits, i/k/o/d/r/w/a sort, f cycles the kind, u the owner) or a resize;
 * the terminal is restored however it ends. 0 on q, 130 on Ctrl-C, a signal's code otherwise.
 */
export async function liveView(
  ctx: CommandContext,
  state: ViewState,
  intervalMs: number,
  interval: number,
): Promise<number> {
  const term = openTerminal(ctx, (s) => written(ctx.stdout, s));
  try {
    let outcome: number | null = null;
    let waking = () => {};
    const owners = (s: Sample) => [...new Set(s.rows.map((r) => ownerName(r.record.uid)))].sort();
    let sample: Sample | null = null;
    term.onKey((k: Key) => {
      const ch = k.sequence ?? '';
      if (k.ctrl && k.name === 'c') outcome = EXIT.SIGINT;
      else if (ch === 'q' || ch === 'Q') outcome = EXIT.OK;
      else if (SORT_BY_KEY[ch]) state.sort = SORT_BY_KEY[ch]!;
      else if (ch === 'f') {
        const all: KindFilter[] = ['all', ...KINDS];
        state.kind = all[(all.indexOf(state.kind) + 1) % all.length]!;
      } else if (ch === 'u' && sample) {
        const list: (string | null)[] = [null, ...owners(sample)];
        const at = list.indexOf(state.owner);
        state.owner = list[(at + 1) % list.length] ?? null;
      } else return;
      waking();
    });
    term.onResize(() => waking());
    let prev: Sample | null = null;
    let next = 0;
    while (outcome === null && !ctx.signal.aborted) {
      if (Date.now() >= next) {
        sample = withRates(prev, takeSample());
        prev = sample;
        next = Date.now() + intervalMs;
      }
      await term.draw(
        frame(sample!, state, {
          width: term.columns,
          height: term.rows,
          color: useColor(ctx),
          keys: true,
          interval,
        }),
      );
      const p = pause(Math.max(0, next - Date.now()), ctx.signal);
      waking = p.wake;
      await p.done;
    }
    return outcome ?? signalCode(ctx);
  } finally {
    term.restore();
  }
}

/** Print COUNT samples, INTERVAL seconds apart: the table (200 columns, every row), or NDJSON. */
export function printSamples(
  ctx: CommandContext,
  o: { count: number; intervalMs: number; interval: number; state: ViewState; json: boolean },
): Promise<number> {
  const { state, interval } = o;
  if (o.json) {
    return samples(ctx, o.count, o.intervalMs, (s) =>
      written(ctx.stdout, toJson(sampleJson(s, state, interval), '').replace(/\n(?!$)/g, '')),
    );
  }
  return samples(ctx, o.count, o.intervalMs, (s) =>
    written(
      ctx.stdout,
      `${frame(s, state, { width: 200, height: Number.POSITIVE_INFINITY, color: useColor(ctx), keys: false, interval }).join('\n')}\n`,
    ),
  );
}
