// svipc top: a live, full-screen view of every System V IPC object on a terminal: depth,
// rates, waiters, owner, age, and the kernel limits in use. Without a terminal, or with
// --once/--json, it prints samples for scripts (text, or one JSON document per line).
// The loops are src/live/top.ts's; the view src/live/view.ts's.
import type { CommandContext } from '../src/cli/context.js';
import { UsageError } from '../src/cli/exit.js';
import { defineCommand } from '../src/cli/spec.js';
import { parseCount, parseSeconds } from '../src/cli/values.js';
import { liveView, printSamples } from '../src/live/top.js';
import { KINDS, type KindFilter, SORT_KEYS, type SortKey, type ViewState } from '../src/live/view.js';

interface Opts {
  interval: string;
  once?: boolean;
  json?: boolean;
  count?: string;
  sort: string;
  kind: string;
  user?: string;
}

function topAction(ctx: CommandContext, opts: Opts): Promise<number> {
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
  const tty = Boolean(ctx.stdout.isTTY && ctx.stdin.isTTY);
  if (opts.json || opts.once || opts.count !== undefined || !tty)
    return printSamples(ctx, { count, intervalMs, interval, state, json: opts.json === true });
  return liveView(ctx, state, intervalMs, interval);
}

export const { spec, run } = defineCommand({
  summary:
    'A live view of every System V IPC object on a terminal: one row per object with its depth\n' +
    '(queues: bytes of their limit; segments: attached processes; sets: the values), message\n' +
    'rates, waiting threads, owner, permissions and age, under the kernel limits and their use.\n' +
    'Without a terminal, or with --once or --json, it prints samples for scripts.',
  options: [
    { flags: '-d, --interval <seconds>', description: 'seconds between samples', default: '1' },
    {
      flags: '-1, --once',
      description: 'print one sample as text and exit (the default without a terminal)',
    },
    { flags: '--json', description: 'print each sample as one line of JSON (NDJSON), exact numbers' },
    {
      flags: '-n, --count <n>',
      description: 'samples to print with --once/--json or without a terminal (default 1)',
    },
    { flags: '-s, --sort <column>', description: `sort by ${SORT_KEYS.join(', ')}`, default: 'kind' },
    { flags: '-k, --kind <kind>', description: 'show only msg, sem or shm objects (or all)', default: 'all' },
    { flags: '-u, --user <name>', description: 'show only the objects owned by this user (name or uid)' },
  ],
  help:
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
  examples: [
    ['svipc top', 'the live view (q quits; d sorts by depth)'],
    ['svipc top -k msg -s depth -d 0.5', 'only queues, fullest first, twice a second'],
    ['svipc top --json -n 10 -d 2 > samples.ndjson', 'ten samples, two seconds apart, one JSON line each'],
  ],
  action: topAction,
});
