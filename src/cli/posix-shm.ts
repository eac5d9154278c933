// `svipc shm create|write|read /NAME`: POSIX shared memory from the shell. create is shm_open
// (O_CREAT|O_EXCL) and ftruncate; read maps the object read-only and writes the mapping as the
// System V read writes an attached segment (shm-io.ts: raw, --json, --hex, no binary to a
// terminal); write uses pwrite(2) on the descriptor, not the mapping: /dev/shm running out of
// room is then ENOSPC, said in one line, where a store into the mapping would die of SIGBUS.
import { fstatSync, writeSync } from 'node:fs';
import { PosixSharedMemory } from '../ipc/posix-shm.js';
import type { FdIo } from '../protocols/shmseg-io.js';
import type { CommandContext } from './context.js';
import { CommandError } from './exit.js';
import { announceCreated } from './output.js';
import { NOUN, type PosixSituation, posixExplained, shmRoom, shmSize } from './posix-primitives.js';
import { jsonText, stdinChunks } from './primitives.js';
import { checkRange, emitView, type ReadOutput } from './shm-io.js';
import { sizeArg } from './size.js';
import { parseMode } from './values.js';

const label = (name: string) => `${NOUN.pshm} ${name}`;

/** shm create /NAME SIZE. */
export async function createObject(
  ctx: CommandContext,
  name: string,
  sizeText: string,
  opts: { mode: string; json?: boolean },
): Promise<number> {
  const size = sizeArg(sizeText);
  const mode = parseMode(opts.mode);
  // tmpfs takes any ftruncate, but an object larger than /dev/shm could never be filled.
  const room = shmSize();
  if (room !== null && size > room)
    throw new CommandError(`cannot create ${label(name)} of ${size} bytes: larger than ${shmRoom()}`);
  const shm = posixExplained({ kind: 'pshm', name, op: 'create', size }, () =>
    PosixSharedMemory.create(name, size, { mode }),
  );
  try {
    const text = opts.json ? jsonText({ name, size, mode: `0${mode.toString(8)}` }) : `${name}\n`;
    await announceCreated(ctx, text, label(name), () => shm.remove());
  } finally {
    shm.close();
  }
  return 0;
}

function openObject(name: string, readonly: boolean): PosixSharedMemory {
  const s: PosixSituation = { kind: 'pshm', name, op: 'open', access: readonly ? 'read' : 'read and write' };
  return posixExplained(s, () => PosixSharedMemory.open(name, { readonly }));
}

/** pwrite all of `bytes` at `at`; ENOSPC (and EFBIG) said with /dev/shm's room. */
function put(fd: number, name: string, bytes: Uint8Array, at: number, written: number): void {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(fd, bytes, done, bytes.length - done, at + done);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EFBIG' || code === 'ENOMEM')
        throw new CommandError(
          `cannot write to ${label(name)}: no room left (${code}): ${shmRoom()}; ` +
            `${written + done} bytes were written, the rest was not`,
        );
      throw e;
    }
  }
}

/** shm write /NAME [--offset N] [DATA]: refused before writing when DATA or a regular file does not fit. */
export async function writeObject(
  ctx: CommandContext,
  name: string,
  offset: number,
  data: string | undefined,
): Promise<number> {
  const shm = openObject(name, false);
  try {
    const size = shm.size;
    const what = label(name);
    if (data !== undefined && data !== '-') {
      const bytes = Buffer.from(data);
      checkRange(what, size, offset, bytes.length, 'write');
      put(shm.fd, name, bytes, offset, 0);
      return 0;
    }
    checkRange(what, size, offset, 0, 'write');
    try {
      const st = fstatSync(ctx.stdin.fd ?? 0);
      if (st.isFile()) checkRange(what, size, offset, st.size, 'write');
    } catch (e) {
      if (e instanceof CommandError) throw e;
    }
    const room = size - offset;
    let n = 0;
    for await (const chunk of stdinChunks(ctx, 'the data')) {
      const fits = chunk.subarray(0, room - n);
      put(shm.fd, name, fits, offset + n, n);
      n += fits.length;
      if (fits.length < chunk.length) {
        ctx.stdin.destroy();
        throw new CommandError(
          `input does not fit: ${what} has ${size} bytes, ${room} from offset ${offset} to its end; ` +
            `those ${room} bytes were written, the rest of the input was not`,
        );
      }
    }
  } finally {
    shm.close();
  }
  return 0;
}

/** shm read /NAME [--offset N] [--length N] [--json|--hex]. */
export async function readObject(
  ctx: CommandContext,
  name: string,
  offset: number,
  length: number | undefined,
  opts: ReadOutput,
): Promise<number> {
  const shm = openObject(name, true);
  const io: FdIo = { pending: false };
  let map: ReturnType<PosixSharedMemory['map']> | undefined;
  try {
    const len = checkRange(label(name), shm.size, offset, length, 'read');
    let view: Buffer = Buffer.alloc(0); // mmap of nothing is EINVAL
    if (len > 0) {
      map = posixExplained({ kind: 'pshm', name, op: 'read', access: 'read' }, () =>
        shm.map({ readonly: true }),
      );
      view = map.view(offset, len);
    }
    await emitView(ctx, view, offset, opts, label(name), { name }, io);
  } finally {
    // A write(2) of the view still running on the pool after an abort keeps the mapping to exit.
    if (!io.pending) map?.unmap();
    shm.close();
  }
  return 0;
}
