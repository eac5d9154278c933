// svipc stdin2shm SHMID [SIZE]: the lecture's stdin2shm. Copies stdin into the segment
// (`int size` header, then the data), at most SIZE - 4 bytes, reading straight into the
// attached segment. Beyond the C program: SIZE is checked against the segment (the C
// original writes past a smaller one), SIZE defaults to the segment's size, clear errors.
import type { CommandContext } from '../src/cli/context.js';
import { EXIT } from '../src/cli/exit.js';
import { refuseDirectoryStdin } from '../src/cli/primitives.js';
import { parseSegmentSize, withSegment } from '../src/cli/segment.js';
import { copyOrFail, segmentArgs } from '../src/cli/shmseg-demo.js';
import { defineTracedCommand, type TraceOpts, tracerOf } from '../src/cli/trace-option.js';
import { parseId } from '../src/cli/values.js';
import { dataArea, writeDataSize } from '../src/protocols/shmseg.js';
import { readInto } from '../src/protocols/shmseg-io.js';

async function stdin2shm(ctx: CommandContext, idText: string, sizeText: string | undefined, opts: TraceOpts) {
  const shmid = parseId(idText, 'shmid');
  const sizeArg = parseSegmentSize(sizeText);
  refuseDirectoryStdin(ctx.stdin.fd);
  const trace = tracerOf(ctx, opts);
  await withSegment(ctx, shmid, sizeArg, { trace }, async (view, size, io) => {
    writeDataSize(view, 0); // running count of read bytes, as the C program keeps it
    const copied = await copyOrFail('read', () =>
      readInto(ctx.stdin.fd ?? 0, dataArea(view, size), {
        signal: ctx.signal,
        io,
        progress: (n) => writeDataSize(view, n),
        trace,
      }),
    );
    ctx.stderr.write(`stdin -> shm: copied ${copied} bytes\n`);
  });
  return EXIT.OK;
}

export const { spec, run } = defineTracedCommand({
  summary:
    "The lecture's stdin2shm: copy standard input into shared memory segment SHMID as " +
    '`int size` (4 bytes, native order) followed by the data, at most SIZE - 4 bytes.',
  args: segmentArgs('the segment id (e.g. from `svipc ipcmk -M 4096`)'),
  help:
    '\nMessages (stderr, as the C program): "attached segment at: 0x...", "stdin -> shm: copied N bytes".' +
    '\nExit status: 0 ok, 1 failed (no such segment, permission, SIZE too large), 2 usage, 130/143 interrupted.\n',
  examples: [
    ["id=$(svipc ipcmk -M 4096 | awk '{ print $NF }')", 'make a 4096-byte segment; keep its id'],
    ['svipc stdin2shm "$id" 4096 < /etc/hostname', 'copy a file into it (the size first, then the bytes)'],
    [
      'echo hello | svipc stdin2shm --trace "$id"',
      'the shmat, each read into the segment with its bytes, the shmdt',
    ],
  ],
  action: stdin2shm,
});
