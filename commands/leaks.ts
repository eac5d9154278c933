// svipc leaks: objects nobody uses any more, each with its reasons and who holds it; exit 1 when
// any is leaked, 2 on trouble. An object it cannot judge is "unknown", never "leaked".
import type { CommandContext } from '../src/cli/context.js';
import { writeChunksOrReport } from '../src/cli/output.js';
import { NAMES } from '../src/cli/primitives.js';
import { defineCommand } from '../src/cli/spec.js';
import { parseSeconds } from '../src/cli/values.js';
import { HeldRecords, keepYoungGeneration } from '../src/hygiene/held.js';
import { VERDICT_EXIT, verdictCommand } from '../src/hygiene/input.js';
import { type AnyVerdict, type Held, LeakFinder, leakRow } from '../src/hygiene/leaks.js';
import { describeRecord } from '../src/hygiene/snapshot.js';
import { CHUNK, JsonRows, jsonChunks } from '../src/render/json.js';

/**
 * Characters per write of the --json document: a quarter of CHUNK. What waits in a chunk lives
 * through the collector's young-generation passes, and V8 grows that generation by what lives
 * through them: at 37,096 objects, 16 KiB chunks keep its peak about 15 MB lower than 64 KiB.
 */
const JSON_CHUNK = CHUNK / 4;

/** The version of the --json document (2: POSIX objects, and "open"). */
const LEAKS_SCHEMA_VERSION = 2;

async function leaksAction(
  ctx: CommandContext,
  opts: { minAge: string; all?: boolean; json?: boolean },
): Promise<number> {
  const minAgeSeconds = parseSeconds(opts.minAge, 'minimum age') / 1000;
  const finder = new LeakFinder(minAgeSeconds);
  if (!finder.posixQueuesSeen)
    ctx.stderr.write(`${ctx.prog}: POSIX message queues not judged: /dev/mqueue is not mounted\n`);
  let unknown = 0;
  let found: number = VERDICT_EXIT.CLEAN;
  const count = (v: AnyVerdict) => {
    if (v.verdict === 'unknown') unknown++;
    else if (v.leaked) found = VERDICT_EXIT.FOUND;
    return opts.all || v.leaked;
  };
  if (opts.json) {
    keepYoungGeneration();
    // The document says how many are unknown before it lists them: the shown records are held
    // (records, not rows, packed: held.ts; a set with its verdict) and judged again, the same
    // way, as each row's text is written (LeakFinder.text).
    const shown = new HeldRecords<Held>();
    for (const v of finder.verdicts()) if (count(v)) shown.hold(finder.hold(v.record, v));
    const objects = JsonRows.of(
      shown,
      (r) => leakRow(finder.again(r), NAMES) as never,
      (r, indent, step) => finder.text(r, NAMES, indent, step),
    );
    const doc = { schemaVersion: LEAKS_SCHEMA_VERSION, unknown, objects };
    const code = await writeChunksOrReport(ctx, jsonChunks(doc, '  ', JSON_CHUNK), found);
    if (code !== found) return code;
  } else {
    // Lines as they are judged, gathered into writes of about CHUNK characters.
    let text = '';
    for (const v of finder.verdicts()) {
      if (!count(v)) continue;
      const word = !opts.all ? '' : v.verdict === 'in use' ? 'in use ' : `${v.verdict} `;
      text += `${word}${describeRecord(leakRow(v, NAMES).object)}\n    ${v.reasons.join('; ')}\n`;
      if (text.length >= CHUNK) text = flush(ctx, text);
    }
    flush(ctx, text);
  }
  if (unknown > 0 && !opts.all) {
    ctx.stderr.write(
      `${ctx.prog}: ${unknown} object${unknown === 1 ? '' : 's'} not judged (unknown): --all says why\n`,
    );
  }
  return found;
}

/**
 * Hand `text` to stdout (a file or pipe is written at once on Linux); a failed write is the
 * launcher's to report, once, at exit (as util-linux's close_stdout), and nothing more is written.
 */
function flush(ctx: CommandContext, text: string): string {
  if (text !== '' && ctx.stdout.destroyed !== true) ctx.stdout.write(text);
  return '';
}

const command = defineCommand({
  summary:
    'List the IPC objects nobody uses any more. A System V object: every process the kernel recorded for it is gone (or its pid now belongs to a newer process), nothing is attached to it and no process is blocked on it. A POSIX object: no process has it open or mapped. An object svipc cannot judge is "unknown" (see --all), never "leaked".',
  options: [
    {
      flags: '--min-age <seconds>',
      description:
        'leave out objects changed (created, IPC_SET; POSIX: written, chmod) less than this long ago',
      default: '0',
    },
    {
      flags: '-a, --all',
      description: 'show every object with its verdict (leaked, in use, unknown), not only the leaked ones',
    },
    {
      flags: '--json',
      description:
        'print {"schemaVersion": 2, "unknown", "objects": [{"verdict", "leaked", "reasons", "attached", "waiting", "open", "object"}]}',
    },
  ],
  help:
    '\nWhat the kernel records: a segment its creator pid, its last shmat/shmdt pid and its attach\n' +
    'count; a queue its last msgsnd and msgrcv pids (no creator, no count of the processes blocked\n' +
    'on it); a semaphore set the last semop pid of each semaphore and its waiters (no creator).\n' +
    'svipc also looks at every process of this IPC namespace: /proc/PID/maps for the segments it\n' +
    'has attached, /proc/PID/task/TID/syscall for a thread blocked in msgrcv, msgsnd, semop or\n' +
    'semtimedop, and lists those pids. POSIX objects record no pid at all: svipc looks at every\n' +
    'process for its file open (/proc/PID/fd) or mapped (/proc/PID/maps; a semaphore is mapped).\n' +
    "When it cannot look at them all (not root: other users' /proc entries are unreadable;\n" +
    'hidepid=), a queue nobody is seen using, and a POSIX object nobody is seen holding, is "unknown".\n' +
    'A queue or set that was never used is reported, and so is a POSIX object its maker closed:\n' +
    'give --min-age to leave out the ones just made by a server that is still starting.\n' +
    'Without /dev/mqueue mounted, POSIX queues cannot be listed: a note on stderr says so.\n' +
    '\nExit status:\n' +
    '  0    no leaked object (some may be unknown: a note on stderr says how many)\n' +
    '  1    leaked objects found\n' +
    '  2    trouble: the objects cannot be listed; usage error\n' +
    '  130  interrupted by SIGINT (143 SIGTERM, 129 SIGHUP); 141 stdout closed\n',
  examples: [
    ['svipc leaks', 'the leaked objects, each with why (exit 1 when there are some)'],
    ['svipc leaks --all --min-age 60', 'every object older than a minute with its verdict'],
    ["svipc leaks --json | jq -r '.objects[].object | .name // .id'", 'the leaked objects, by name or id'],
  ],
  action: leaksAction,
});

export const spec = command.spec;
export const run = (ctx: CommandContext): Promise<number> => verdictCommand(async () => command.run(ctx));
