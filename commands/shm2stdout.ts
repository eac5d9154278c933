// svipc shm2stdout SHMID [SIZE]: the lecture's shm2stdout. Writes the data of a segment
// filled by stdin2shm (`int size` header, then the data) to stdout, straight from the
// attached segment. Beyond the C program: SIZE is checked against the segment, the count
// is bounded by SIZE - 4 (the C original reads up to 4 bytes past it), a corrupt header
// is reported, the segment is attached read-only.
import type { CommandContext } from '../src/cli/context.js';
import { CommandError, EXIT } from '../src/cli/exit.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { parseSegmentSize, withSegment } from '../src/cli/segment.js';
import { addTraceOption, withTrace } from '../src/cli/trace-option.js';
import { parseId } from '../src/cli/values.js';
import { bytesToCopy, DATA_OFFSET } from '../src/protocols/shmseg.js';
import { ioErrorMessage, writeAll } from '../src/protocols/shmseg-io.js';

export async function run(ctx: CommandContext): Promise<number> {
  const program = addTraceOption(
    newProgram(
      ctx,
      "The lecture's shm2stdout: write the data stdin2shm left in shared memory segment SHMID to " +
        'standard output (the `int size` header says how many bytes; at most SIZE - 4).',
    ),
  )
    .argument('<shmid>', 'the segment id')
    .argument('[size]', 'the size the segment is used as (at most its real size; default: all of it)')
    .addHelpText(
      'after',
      '\nMessages (stderr, as the C program): "attached segment at: 0x...", "shm -> stdout: copied N bytes".' +
        '\nExit status: 0 ok, 1 failed (no such segment, permission, SIZE too large, corrupt header), 2 usage.',
    );
  program.action(
    action(program, async (idText: string, sizeText: string | undefined, opts: { trace?: boolean }) => {
      const shmid = parseId(idText, 'shmid');
      const sizeArg = parseSegmentSize(sizeText);
      return withTrace(ctx, opts, async () => {
        await withSegment(ctx, shmid, sizeArg, { readonly: true }, async (view, size, io) => {
          const c = bytesToCopy(view, size);
          if (c.corrupt)
            throw new CommandError(`segment ${shmid}: corrupt header: size ${c.header} is negative`);
          if (c.clamped)
            ctx.stderr.write(
              `${ctx.prog}: warning: the header says ${c.header} bytes, only ${c.count} fit in SIZE ${size}: copying ${c.count}\n`,
            );
          const data = view.subarray(DATA_OFFSET, DATA_OFFSET + c.count);
          const fd = (ctx.stdout as { fd?: unknown }).fd;
          let done: number;
          if (typeof fd === 'number') {
            try {
              done = await writeAll(fd, data, { signal: ctx.signal, io });
            } catch (e) {
              const message = ioErrorMessage(e, 'write');
              throw message ? new CommandError(message) : e;
            }
          } else {
            // Not a descriptor (an in-process test's stream): it may keep the chunk: copy it.
            ctx.stdout.write(Buffer.from(data));
            done = data.length;
          }
          ctx.stderr.write(`shm -> stdout: copied ${done} bytes\n`);
        });
        return EXIT.OK;
      });
    }),
  );
  return runProgram(program, ctx);
}
