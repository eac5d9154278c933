// svipc leaks: objects nobody uses any more, each with its reasons; exit 1 when any.
import type { CommandContext } from '../src/cli/context.js';
import { EXIT } from '../src/cli/exit.js';
import { NAMES } from '../src/cli/primitives.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { parseSeconds } from '../src/cli/values.js';
import { judge } from '../src/hygiene/leaks.js';
import { describeRecord } from '../src/hygiene/snapshot.js';
import { listAll } from '../src/ipc/inventory.js';
import { recordJson } from '../src/render/ipcs-json.js';
import { toJson } from '../src/render/json.js';

export async function run(ctx: CommandContext): Promise<number> {
  const program = newProgram(
    ctx,
    'List the IPC objects nobody uses any more: every process the kernel recorded for it is gone\n' +
      '(or its pid now belongs to a newer process) and nothing is attached to it or waiting on it.',
  )
    .option(
      '--min-age <seconds>',
      'leave out objects changed (created, IPC_SET) less than this long ago',
      '0',
    )
    .option('-a, --all', 'show every object with its verdict, not only the leaked ones')
    .option('--json', 'print {"schemaVersion", "objects": [{"leaked", "reasons", "object"}]}')
    .addHelpText(
      'after',
      '\nWhat the kernel records: a segment its creator pid, its last shmat/shmdt pid and its attach\n' +
        'count; a queue its last msgsnd and msgrcv pids (no creator); a semaphore set the last semop\n' +
        'pid of each semaphore and its waiters (no creator). So a queue or set that was never used\n' +
        'is reported: give --min-age to leave out the ones just made by a server that is still starting.\n' +
        '\nExit status: 0 no leaks, 1 leaks found (or failure), 2 usage.\n',
    );
  program.action(
    action(program, (opts: { minAge: string; all?: boolean; json?: boolean }) => {
      const minAgeSeconds = parseSeconds(opts.minAge, 'minimum age') / 1000;
      const all = listAll({ values: true });
      const verdicts = judge([...all.queues, ...all.segments, ...all.semaphores], { minAgeSeconds });
      const shown = opts.all ? verdicts : verdicts.filter((v) => v.leaked);
      if (opts.json) {
        ctx.stdout.write(
          toJson({
            schemaVersion: 1,
            objects: shown.map((v) => ({
              leaked: v.leaked,
              reasons: v.reasons,
              object: recordJson(v.record, NAMES),
            })),
          }),
        );
      } else {
        for (const v of shown) {
          const line = describeRecord(recordJson(v.record, NAMES));
          ctx.stdout.write(
            `${opts.all ? (v.leaked ? 'leaked ' : 'in use ') : ''}${line}\n    ${v.reasons.join('; ')}\n`,
          );
        }
      }
      return verdicts.some((v) => v.leaked) ? EXIT.FAILED : EXIT.OK;
    }),
  );
  return runProgram(program, ctx);
}
