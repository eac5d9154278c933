// svipc diff FILE [FILE2]: what appeared and disappeared since a snapshot (or between two).
// Exit 1 when something appeared, so a CI step fails on leaks; 2 when it cannot tell (trouble).
import type { CommandContext } from '../src/cli/context.js';
import { writeChunksOrReport } from '../src/cli/output.js';
import { NAMES } from '../src/cli/primitives.js';
import { defineCommand } from '../src/cli/spec.js';
import {
  asLiveDiff,
  diffDocument,
  diffLive,
  diffText,
  type LiveDiff,
  readKept,
} from '../src/hygiene/diff.js';
import { keepYoungGeneration } from '../src/hygiene/held.js';
import { MAX_SNAPSHOT_BYTES, readSnapshot, VERDICT_EXIT, verdictCommand } from '../src/hygiene/input.js';
import { diffSnapshots, posixNotComparedNote, SNAPSHOT_SCHEMA_VERSION } from '../src/hygiene/snapshot.js';
import { jsonChunks } from '../src/render/json.js';

async function diffAction(
  ctx: CommandContext,
  file: string,
  file2: string | undefined,
  opts: { json?: boolean },
): Promise<number> {
  let d: LiveDiff;
  let version: number;
  if (file2 === undefined) {
    // Against the objects now: streamed (src/hygiene/diff.ts), neither side held whole. The
    // scan makes a short-lived string per list (snapshot-scan.ts): V8 would double its young
    // generation for them, not for anything kept (37,096 objects: peak 79 MB; 64 MB with this;
    // a --max-semi-space-size set at run time is not read: 78-81 MB with it).
    keepYoungGeneration();
    const before = await readKept(ctx, file);
    d = diffLive(before, NAMES);
    version = before.schemaVersion;
  } else {
    const before = await readSnapshot(ctx, file);
    d = asLiveDiff(diffSnapshots(before, await readSnapshot(ctx, file2)));
    version = before.schemaVersion;
  }
  const note = posixNotComparedNote(d, { schemaVersion: version }, file === '-' ? 'standard input' : file);
  if (note !== null) ctx.stderr.write(`${ctx.prog}: ${note}\n`);
  if (opts.json) {
    const code = await writeChunksOrReport(ctx, jsonChunks(diffDocument(d, SNAPSHOT_SCHEMA_VERSION)), 0);
    if (code !== 0) return code;
  } else for (const text of diffText(d)) ctx.stdout.write(text);
  return d.appearedCount() > 0 ? VERDICT_EXIT.FOUND : VERDICT_EXIT.CLEAN;
}

const command = defineCommand({
  summary:
    'Show the IPC objects that appeared (+) and disappeared (-) since snapshot FILE was taken (or between FILE and FILE2). System V objects are the same when kind, id and key match; POSIX objects when kind and name match.',
  args: [
    {
      name: '<file>',
      description: "a snapshot: 'svipc snapshot' or 'svipc ipcs --json' output; - for stdin",
    },
    { name: '[file2]', description: 'a later snapshot to compare with, instead of the objects now' },
  ],
  options: [
    {
      flags: '--json',
      description: 'print {"schemaVersion": 2, "appeared": [records], "disappeared": [records]}',
    },
  ],
  help:
    '\nOutput: one line per object, "+ queue 3 key 0x... owner root rw-------: ..." or, for a POSIX\n' +
    'object, "+ posix shm /NAME owner root rw-------: 4K" (posix queue, posix semaphore), or "- ...".\n' +
    'A snapshot of only some kinds (ipcs --json -q) is compared on those kinds only. A version 1\n' +
    'document (an older svipc snapshot, or ipcs --json, which lists System V objects only) has no\n' +
    'POSIX objects: they are not compared, and a note on stderr says so (they are not reported as\n' +
    'new). Nor are POSIX queues when /dev/mqueue was not mounted for one of the two.\n' +
    `A snapshot may be at most ${MAX_SNAPSHOT_BYTES / (1024 * 1024)} MiB; SIGINT/SIGTERM stop the read at once.\n` +
    '\nExit status (as diff(1)):\n' +
    '  0    nothing appeared (objects may have disappeared)\n' +
    '  1    objects appeared\n' +
    '  2    trouble: FILE cannot be read, is too large, is not a snapshot or changed while read;\n' +
    '       usage error\n' +
    '  130  interrupted by SIGINT (143 SIGTERM, 129 SIGHUP); 141 stdout closed\n',
  examples: [
    [
      'svipc snapshot -o before.json && npm test && svipc diff before.json',
      'fail when the tests leave objects',
    ],
    ['svipc diff monday.json tuesday.json', 'what changed between two snapshots'],
    [
      'svipc ipcs --json -q > q.json; npm test; svipc diff q.json',
      'System V queues only (a note: POSIX not compared)',
    ],
    [
      'svipc diff --json before.json | jq -r \'.appeared[] | select(.kind == "pshm") | .name\'',
      'the new POSIX shm names',
    ],
  ],
  action: diffAction,
});

export const spec = command.spec;
export const run = (ctx: CommandContext): Promise<number> => verdictCommand(async () => command.run(ctx));
