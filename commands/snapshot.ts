// svipc snapshot: every visible IPC object as JSON, the document `svipc ipcs --json` prints.
import { writeFileSync } from 'node:fs';
import type { CommandContext } from '../src/cli/context.js';
import { CommandError } from '../src/cli/exit.js';
import { NAMES } from '../src/cli/primitives.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { takeSnapshot } from '../src/hygiene/snapshot.js';
import { toJson } from '../src/render/json.js';

export async function run(ctx: CommandContext): Promise<number> {
  const program = newProgram(
    ctx,
    'Print every IPC object this process can see as JSON (the document of `svipc ipcs --json`,\n' +
      'schema/ipcs.schema.json, semaphore values included), for `svipc diff` to compare with later.',
  )
    .option('-o, --output <file>', 'write the snapshot to FILE instead of stdout')
    .addHelpText(
      'after',
      '\nExample (a CI step that fails when the tests leak IPC objects):\n' +
        '  svipc snapshot -o before.json && npm test && svipc diff before.json\n' +
        '\nExit status: 0 ok, 1 failed (FILE or stdout not writable), 2 usage.\n',
    );
  program.action(
    action(program, (opts: { output?: string }) => {
      const text = toJson(takeSnapshot(NAMES) as never);
      if (opts.output === undefined) ctx.stdout.write(text);
      else {
        try {
          writeFileSync(opts.output, text);
        } catch (e) {
          throw new CommandError(`${opts.output}: ${(e as Error).message}`);
        }
      }
      return 0;
    }),
  );
  return runProgram(program, ctx);
}
