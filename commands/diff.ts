// svipc diff FILE [FILE2]: what appeared and disappeared since a snapshot (or between two).
// Exit 1 when something appeared, so a CI step fails on leaks.
import { readFileSync } from 'node:fs';
import type { CommandContext } from '../src/cli/context.js';
import { CommandError, EXIT } from '../src/cli/exit.js';
import { NAMES, readAll } from '../src/cli/primitives.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import {
  asSnapshot,
  coveredKinds,
  describeRecord,
  diffSnapshots,
  type Snapshot,
  SnapshotFormatError,
  takeSnapshot,
} from '../src/hygiene/snapshot.js';
import { toJson } from '../src/render/json.js';

async function load(ctx: CommandContext, file: string): Promise<{ snap: Snapshot; raw: unknown }> {
  let text: string;
  try {
    text = file === '-' ? (await readAll(ctx)).toString('utf8') : readFileSync(file, 'utf8');
  } catch (e) {
    throw new CommandError(
      `${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CommandError(
      `${file}: not JSON (${(e as Error).message.replace(/\s+/g, ' ')}): make it with 'svipc snapshot'`,
    );
  }
  try {
    return { snap: asSnapshot(raw), raw };
  } catch (e) {
    if (e instanceof SnapshotFormatError)
      throw new CommandError(`${file}: not a svipc snapshot: ${e.message}`);
    throw e;
  }
}

export async function run(ctx: CommandContext): Promise<number> {
  const program = newProgram(
    ctx,
    'Show the IPC objects that appeared (+) and disappeared (-) since snapshot FILE was taken\n' +
      '(or between FILE and FILE2). Objects are the same when kind, id and key match.',
  )
    .argument('<file>', "a snapshot: 'svipc snapshot' or 'svipc ipcs --json' output; - for stdin")
    .argument('[file2]', 'a later snapshot to compare with, instead of the objects now')
    .option('--json', 'print {"schemaVersion", "appeared": [records], "disappeared": [records]}')
    .addHelpText(
      'after',
      '\nOutput: one line per object, "+ queue 3 key 0x... owner root perms 600: ..." or "- ...".\n' +
        'A snapshot of only some kinds (ipcs --json -q) is compared on those kinds only.\n' +
        '\nExit status: 0 nothing appeared (things may have disappeared), 1 objects appeared,\n' +
        '             1 also when FILE cannot be read or is not a snapshot, 2 usage.\n',
    );
  program.action(
    action(program, async (file: string, file2: string | undefined, opts: { json?: boolean }) => {
      const before = await load(ctx, file);
      const after = file2 === undefined ? { snap: takeSnapshot(NAMES), raw: {} } : await load(ctx, file2);
      const kb = coveredKinds(before.raw);
      const ka = file2 === undefined ? kb : coveredKinds(after.raw);
      const kinds = {
        queues: kb.queues && ka.queues,
        segments: kb.segments && ka.segments,
        semaphores: kb.semaphores && ka.semaphores,
      };
      const d = diffSnapshots(before.snap, after.snap, kinds);
      if (opts.json) {
        ctx.stdout.write(toJson({ schemaVersion: 1, appeared: d.appeared, disappeared: d.disappeared }));
      } else {
        for (const r of d.appeared) ctx.stdout.write(`+ ${describeRecord(r)}\n`);
        for (const r of d.disappeared) ctx.stdout.write(`- ${describeRecord(r)}\n`);
      }
      return d.appeared.length > 0 ? EXIT.FAILED : EXIT.OK;
    }),
  );
  return runProgram(program, ctx);
}
