// svipc shm2stdout SHMID [SIZE]: the lecture's shm2stdout. Writes the data of a segment
// filled by stdin2shm (`int size` header, then the data) to stdout, straight from the
// attached segment. Beyond the C program: SIZE is checked against the segment, the count
// is bounded by SIZE - 4 (the C original reads up to 4 bytes past it), a corrupt header
// is reported, the segment is attached read-only.
import type { CommandContext } from '../src/cli/context.js';
import { CommandError, EXIT } from '../src/cli/exit.js';
import { parseSegmentSize, withSegment } from '../src/cli/segment.js';
import { copyOrFail, segmentArgs } from '../src/cli/shmseg-demo.js';
import { defineTracedCommand, type TraceOpts, tracerOf } from '../src/cli/trace-option.js';
import { parseId } from '../src/cli/values.js';
import { bytesToCopy, DATA_OFFSET } from '../src/protocols/shmseg.js';
import { writeAll } from '../src/protocols/shmseg-io.js';

async function shm2stdout(
  ctx: CommandContext,
  idText: string,
  sizeText: string | undefined,
  opts: TraceOpts,
) {
  const shmid = parseId(idText, 'shmid');
  const sizeArg = parseSegmentSize(sizeText);
  const trace = tracerOf(ctx, opts);
  await withSegment(ctx, shmid, sizeArg, { readonly: true, trace }, async (view, size, io) => {
    const c = bytesToCopy(view, size);
    if (c.corrupt) throw new CommandError(`segment ${shmid}: corrupt header: size ${c.header} is negative`);
    if (c.clamped)
      ctx.stderr.write(
        `${ctx.prog}: warning: the header says ${c.header} bytes, only ${c.count} fit in SIZE ${size}: copying ${c.count}\n`,
      );
    const data = view.subarray(DATA_OFFSET, DATA_OFFSET + c.count);
    const fd = (ctx.stdout as { fd?: unknown }).fd;
    let done: number;
    if (typeof fd === 'number') {
      done = await copyOrFail('write', () => writeAll(fd, data, { signal: ctx.signal, io, trace }));
    } else {
      // Not a descriptor (an in-process test's stream): it may keep the chunk: copy it.
      ctx.stdout.write(Buffer.from(data));
      done = data.length;
    }
    ctx.stderr.write(`shm -> stdout: copied ${done} bytes\n`);
  });
  return EXIT.OK;
}

export const { spec, run } = defineTracedCommand({
  summary:
    "The lecture's shm2stdout: write the data stdin2shm left in shared memory segment SHMID to " +
    'standard output (the `int size` header says how many bytes; at most SIZE - 4).',
  args: segmentArgs('the segment id'),
  help:
    '\nMessages (stderr, as the C program): "attached segment at: 0x...", "shm -> stdout: copied N bytes".' +
    '\nExit status: 0 ok, 1 failed (no such segment, permission, SIZE too large, corrupt header), 2 usage.\n',
  examples: [
    ['svipc shm2stdout "$id" 4096', 'print what stdin2shm left in segment $id (from svipc ipcmk -M)'],
    [
      'svipc shm2stdout --trace "$id" > copy.txt',
      'the shmat (read-only), the write with its bytes, the shmdt',
    ],
    ['svipc ipcrm -m "$id"', 'remove the segment: its bytes outlived both programs until now'],
  ],
  action: shm2stdout,
});
