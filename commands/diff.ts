// svipc diff FILE [FILE2]: what appeared and disappeared since a snapshot (or between two).
// Exit 1 when something appeared, so a CI step fails on leaks; 2 when it cannot tell (trouble).
import type { CommandContext } from '../src/cli/context.js';
import { CommandError } from '../src/cli/exit.js';
import { writeChunksOrReport } from '../src/cli/output.js';
import { NAMES } from '../src/cli/primitives.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { MAX_SNAPSHOT_BYTES, readInput, VERDICT_EXIT, verdictCommand } from '../src/hygiene/input.js';
import {
  asSnapshot,
  coveredKinds,
  describeRecord,
  diffSnapshots,
  type Snapshot,
  SnapshotFormatError,
  takeSnapshot,
} from '../src/hygiene/snapshot.js';
import { jsonChunks } from '../src/render/json.js';

async function load(ctx: CommandContext, file: string): Promise<{ snap: Snapshot; raw: unknown }> {
  const text = (await readInput(ctx, file)).toString('utf8');
  const trouble = (why: string) => new CommandError(`${file}: ${why}`, VERDICT_EXIT.TROUBLE);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw trouble(`not JSON (${(e as Error).message.replace(/\s+/g, ' ')}): make it with 'svipc snapshot'`);
  }
  try {
    return { snap: asSnapshot(raw), raw };
  } catch (e) {
    if (e instanceof SnapshotFormatError) throw trouble(`not a svipc snapshot: ${e.message}`);
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
        `A snapshot may be at most ${MAX_SNAPSHOT_BYTES / (1024 * 1024)} MiB; SIGINT/SIGTERM stop the read at once.\n` +
        '\nExit status (as diff(1)):\n' +
        '  0    nothing appeared (objects may have disappeared)\n' +
        '  1    objects appeared\n' +
        '  2    trouble: FILE cannot be read, is too large or is not a snapshot; usage error\n' +
        '  130  interrupted by SIGINT (143 SIGTERM, 129 SIGHUP); 141 stdout closed\n',
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
        const code = await writeChunksOrReport(
          ctx,
          jsonChunks({ schemaVersion: 1, appeared: d.appeared, disappeared: d.disappeared }),
          0,
        );
        if (code !== 0) return code;
      } else {
        for (const r of d.appeared) ctx.stdout.write(`+ ${describeRecord(r)}\n`);
        for (const r of d.disappeared) ctx.stdout.write(`- ${describeRecord(r)}\n`);
      }
      return d.appeared.length > 0 ? VERDICT_EXIT.FOUND : VERDICT_EXIT.CLEAN;
    }),
  );
  return verdictCommand(() => runProgram(program, ctx));
}
