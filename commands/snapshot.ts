// svipc snapshot: every visible IPC object, System V and POSIX, as JSON (schema/snapshot.schema.json).
import type { CommandContext } from '../src/cli/context.js';
import { CommandError } from '../src/cli/exit.js';
import { writeChunksOrReport } from '../src/cli/output.js';
import { NAMES } from '../src/cli/primitives.js';
import { defineCommand } from '../src/cli/spec.js';
import { snapshotChunks, writeChunksToFile } from '../src/hygiene/snapshot.js';

async function snapshotAction(ctx: CommandContext, opts: { output?: string }): Promise<number> {
  const chunks = snapshotChunks(NAMES);
  if (opts.output === undefined) return writeChunksOrReport(ctx, chunks, 0);
  try {
    writeChunksToFile(opts.output, chunks);
  } catch (e) {
    throw new CommandError(`${opts.output}: ${(e as Error).message}`);
  }
  return 0;
}

export const { spec, run } = defineCommand({
  summary:
    'Print every IPC object this process can see as JSON: the System V objects (the records of `svipc ipcs --json`, semaphore values included) and the POSIX ones (message queues in /dev/mqueue, semaphores and shared memory in /dev/shm), for `svipc diff` to compare with later.',
  options: [{ flags: '-o, --output <file>', description: 'write the snapshot to FILE instead of stdout' }],
  help:
    '\nFormat: schema/snapshot.schema.json, schemaVersion 2: the keys of `ipcs --json` (queues,\n' +
    'segments, semaphores) plus posixQueues, posixSemaphores and posixSegments. posixQueues is left\n' +
    'out when /dev/mqueue is not mounted (svipc cannot list the queues then).\n' +
    '\nExit status: 0 ok, 1 failed (FILE or stdout not writable), 2 usage.\n',
  examples: [
    [
      'svipc snapshot -o before.json && npm test && svipc diff before.json',
      'fail a CI step when the tests leak IPC objects',
    ],
    ["svipc snapshot | jq '.posixSegments[].name'", 'the names of the POSIX shared memory objects'],
    ['svipc snapshot -o /tmp/ipc-$(date +%s).json', 'keep a dated record of the objects on this host'],
  ],
  action: snapshotAction,
});
