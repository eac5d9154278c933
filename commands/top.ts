// svipc top: a live, full-screen view of every System V IPC object on a terminal: depth,
// rates, waiters, owner, age, and the kernel limits in use. Without a terminal, or with
// --once/--json, it prints samples for scripts (text, or one JSON document per line).
import { type CommandContext, useColor } from '../src/cli/context.js';
import { EXIT, SIGNAL_EXIT, UsageError } from '../src/cli/exit.js';
import { written } from '../src/cli/output.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { parseCount, parseSeconds } from '../src/cli/values.js';
import { type Sample, takeSample, withRates } from '../src/live/sample.js';
import { type Key, openTerminal } from '../src/live/terminal.js';
import {
  frame,
  KINDS,
  type KindFilter,
  ownerName,
  SORT_KEYS,
  type SortKey,
  sampleJson,
  type ViewState,
} from '../src/live/view.js';
import { toJson } from '../src/render/json.js';

interface Opts {
  interval: string;
  once?: boolean;
  json?: boolean;
  count?: string;
  sort: string;
  kind: string;
  user?: string;
}

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

async function live(
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

export async function run(ctx: CommandContext): Promise<number> {
  const program = newProgram(
    ctx,
    'A live view of every System V IPC object on a terminal: one row per object with its depth\n' +
      '(queues: bytes of their limit; segments: attached processes; sets: the values), message\n' +
      'rates, waiting threads, owner, permissions and age, under the kernel limits and their use.\n' +
      'Without a terminal, or with --once or --json, it prints samples for scripts.',
  )
    .option('-d, --interval <seconds>', 'seconds between samples', '1')
    .option('-1, --once', 'print one sample as text and exit (the default without a terminal)')
    .option('--json', 'print each sample as one line of JSON (NDJSON), exact numbers')
    .option('-n, --count <n>', 'samples to print with --once/--json or without a terminal (default 1)')
    .option('-s, --sort <column>', `sort by ${SORT_KEYS.join(', ')}`, 'kind')
    .option('-k, --kind <kind>', 'show only msg, sem or shm objects (or all)', 'all')
    .option('-u, --user <name>', 'show only the objects owned by this user (name or uid)')
    .addHelpText(
      'after',
      '\nKeys: q quit; sort by i id, k kind, o owner, d depth, r rate, w waiters, a age;\n' +
        'f cycles the kind shown (all, msg, sem, shm); u cycles the owner shown.\n' +
        '\nRates are per second between two samples (none in the first). The kernel keeps per queue\n' +
        'only its contents and the second of the last send and receive: the net change is exact, the\n' +
        'split into in and out only when one side was idle; otherwise it shows "?". AGE counts from\n' +
        "the object's ctime: its creation, or its last IPC_SET. WAIT on a queue is the threads seen\n" +
        'blocked in msgrcv/msgsnd (/proc; "may miss" is shown when some cannot be read).\n' +
        '\nExit status:\n' +
        '  0    quit with q, or the samples were printed\n' +
        '  1    failed (a write error)\n' +
        '  2    usage error\n' +
        '  130  Ctrl-C or SIGINT (143 SIGTERM, 129 SIGHUP); 141 stdout closed\n',
    );
  program.action(
    action(program, async (opts: Opts) => {
      const intervalMs = parseSeconds(opts.interval, 'interval');
      if (intervalMs <= 0)
        throw new UsageError(`invalid interval: '${opts.interval}' (more than 0 seconds expected)`);
      if (!(SORT_KEYS as readonly string[]).includes(opts.sort))
        throw new UsageError(`invalid sort column: '${opts.sort}' (one of ${SORT_KEYS.join(', ')})`);
      if (!['all', ...KINDS].includes(opts.kind))
        throw new UsageError(`invalid kind: '${opts.kind}' (msg, sem, shm or all)`);
      const count = opts.count === undefined ? 1 : parseCount(opts.count, 'count');
      if (count < 1) throw new UsageError(`invalid count: '${opts.count}' (at least 1)`);
      const state: ViewState = {
        sort: opts.sort as SortKey,
        kind: opts.kind as KindFilter,
        owner: opts.user ?? null,
      };
      const interval = Number(opts.interval);
      if (opts.json) {
        return samples(ctx, count, intervalMs, (s) =>
          written(ctx.stdout, toJson(sampleJson(s, state, interval), '').replace(/\n(?!$)/g, '')),
        );
      }
      const tty = Boolean(ctx.stdout.isTTY && ctx.stdin.isTTY);
      if (opts.once || opts.count !== undefined || !tty) {
        return samples(ctx, count, intervalMs, (s) =>
          written(
            ctx.stdout,
            `${frame(s, state, { width: 200, height: Number.POSITIVE_INFINITY, color: useColor(ctx), keys: false, interval }).join('\n')}\n`,
          ),
        );
      }
      return live(ctx, state, intervalMs, interval);
    }),
  );
  return runProgram(program, ctx);
}
