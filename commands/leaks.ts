// svipc leaks: objects nobody uses any more, each with its reasons and who holds it; exit 1 when
// any is leaked, 2 on trouble. An object it cannot judge is "unknown", never "leaked".
import type { CommandContext } from '../src/cli/context.js';
import { writeChunksOrReport } from '../src/cli/output.js';
import { NAMES } from '../src/cli/primitives.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { parseSeconds } from '../src/cli/values.js';
import { scanHolders } from '../src/hygiene/holders.js';
import { VERDICT_EXIT, verdictCommand } from '../src/hygiene/input.js';
import { judge } from '../src/hygiene/leaks.js';
import { describeRecord } from '../src/hygiene/snapshot.js';
import { listAll } from '../src/ipc/inventory.js';
import { recordJson } from '../src/render/ipcs-json.js';
import { jsonChunks } from '../src/render/json.js';

export async function run(ctx: CommandContext): Promise<number> {
  const program = newProgram(
    ctx,
    'List the IPC objects nobody uses any more: every process the kernel recorded for it is gone\n' +
      '(or its pid now belongs to a newer process), nothing is attached to it and no process is\n' +
      'blocked on it. An object svipc cannot judge is "unknown" (see --all), never "leaked".',
  )
    .option(
      '--min-age <seconds>',
      'leave out objects changed (created, IPC_SET) less than this long ago',
      '0',
    )
    .option(
      '-a, --all',
      'show every object with its verdict (leaked, in use, unknown), not only the leaked ones',
    )
    .option(
      '--json',
      'print {"schemaVersion", "unknown", "objects": [{"verdict", "leaked", "reasons", "attached", "waiting", "object"}]}',
    )
    .addHelpText(
      'after',
      '\nWhat the kernel records: a segment its creator pid, its last shmat/shmdt pid and its attach\n' +
        'count; a queue its last msgsnd and msgrcv pids (no creator, no count of the processes blocked\n' +
        'on it); a semaphore set the last semop pid of each semaphore and its waiters (no creator).\n' +
        'svipc also looks at every process of this IPC namespace: /proc/PID/maps for the segments it\n' +
        'has attached, /proc/PID/task/TID/syscall for a thread blocked in msgrcv, msgsnd, semop or\n' +
        "semtimedop, and lists those pids. When it cannot look at them all (not root: other users'\n" +
        '/proc entries are unreadable; hidepid=), a queue nobody is seen using is "unknown".\n' +
        'A queue or set that was never used is reported: give --min-age to leave out the ones just made\n' +
        'by a server that is still starting.\n' +
        '\nExit status:\n' +
        '  0    no leaked object (some may be unknown: a note on stderr says how many)\n' +
        '  1    leaked objects found\n' +
        '  2    trouble: the objects cannot be listed; usage error\n' +
        '  130  interrupted by SIGINT (143 SIGTERM, 129 SIGHUP); 141 stdout closed\n',
    );
  program.action(
    action(program, async (opts: { minAge: string; all?: boolean; json?: boolean }) => {
      const minAgeSeconds = parseSeconds(opts.minAge, 'minimum age') / 1000;
      const all = listAll({ values: true });
      // After the listing: a holder of a listed object that started before it is seen.
      const holders = scanHolders();
      const verdicts = judge([...all.queues, ...all.segments, ...all.semaphores], {
        minAgeSeconds,
        holders,
      });
      const shown = opts.all ? verdicts : verdicts.filter((v) => v.leaked);
      const unknown = verdicts.filter((v) => v.verdict === 'unknown').length;
      const found = verdicts.some((v) => v.leaked) ? VERDICT_EXIT.FOUND : VERDICT_EXIT.CLEAN;
      if (opts.json) {
        const code = await writeChunksOrReport(
          ctx,
          jsonChunks({
            schemaVersion: 1,
            unknown,
            objects: shown.map((v) => ({
              verdict: v.verdict,
              leaked: v.leaked,
              reasons: v.reasons,
              attached: v.holders.attached,
              waiting: v.holders.waiting.map((w) => ({ pid: w.pid, tid: w.tid, call: w.call })),
              object: recordJson(v.record, NAMES),
            })),
          }),
          found,
        );
        if (code !== found) return code;
      } else {
        for (const v of shown) {
          const line = describeRecord(recordJson(v.record, NAMES));
          const word = v.verdict === 'in use' ? 'in use ' : `${v.verdict} `;
          ctx.stdout.write(`${opts.all ? word : ''}${line}\n    ${v.reasons.join('; ')}\n`);
        }
      }
      if (unknown > 0 && !opts.all) {
        ctx.stderr.write(
          `${ctx.prog}: ${unknown} object${unknown === 1 ? '' : 's'} not judged (unknown): --all says why\n`,
        );
      }
      return found;
    }),
  );
  return verdictCommand(() => runProgram(program, ctx));
}
