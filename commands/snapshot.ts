// svipc snapshot: every visible IPC object as JSON, the document `svipc ipcs --json` prints.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { CommandContext } from '../src/cli/context.js';
import { CommandError } from '../src/cli/exit.js';
import { writeChunksOrReport } from '../src/cli/output.js';
import { NAMES } from '../src/cli/primitives.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { takeSnapshot } from '../src/hygiene/snapshot.js';
import { jsonChunks } from '../src/render/json.js';

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
    action(program, async (opts: { output?: string }) => {
      const chunks = jsonChunks(takeSnapshot(NAMES) as never);
      if (opts.output === undefined) return writeChunksOrReport(ctx, chunks, 0);
      try {
        writeFile(opts.output, chunks);
      } catch (e) {
        throw new CommandError(`${opts.output}: ${(e as Error).message}`);
      }
      return 0;
    }),
  );
  return runProgram(program, ctx);
}

/** writeFileSync, one chunk at a time (each written whole: writeSync may take less). */
function writeFile(path: string, chunks: Iterable<string>): void {
  const fd = openSync(path, 'w');
  try {
    for (const chunk of chunks) {
      const bytes = Buffer.from(chunk);
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    }
  } finally {
    closeSync(fd);
  }
}
