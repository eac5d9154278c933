// What stdin2shm and shm2stdout share: SIZE checked, the segment attached (a SegmentError is a
// one-line failure), the C programs' "attached segment at: 0x..." line, and the detach at the
// end, unless an I/O call on the view is still running on the pool after an abort.

import type { Traced } from '../ipc/trace.js';
import { HEADER_SIZE, MAX_USED, openSegment, SegmentError } from '../protocols/shmseg.js';
import type { FdIo } from '../protocols/shmseg-io.js';
import type { CommandContext } from './context.js';
import { CommandError, UsageError } from './exit.js';
import { usingAttachment } from './shm-io.js';
import { parseCount } from './values.js';

/** SIZE: the size the segment is used as, at least the `int size` header. */
export function parseSegmentSize(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const size = parseCount(text, 'size', 0x7fffffff);
  if (size < HEADER_SIZE)
    throw new UsageError(`invalid size: '${text}' (at least ${HEADER_SIZE}: the int header)`);
  return size;
}

/** Attach segment `shmid`, run `fn` on its view and size (SIZE, or all of it), then detach. */
export async function withSegment(
  ctx: CommandContext,
  shmid: number,
  sizeArg: number | undefined,
  opts: { readonly?: boolean } & Traced,
  fn: (view: Buffer, size: number, io: FdIo) => Promise<void>,
): Promise<void> {
  let seg: ReturnType<typeof openSegment>;
  try {
    seg = openSegment(shmid, sizeArg, opts);
  } catch (e) {
    if (e instanceof SegmentError) throw new CommandError(e.message);
    throw e;
  }
  const { attachment } = seg;
  const size = sizeArg ?? seg.segsz;
  // A read or write still running on the pool uses the segment: it is left attached.
  await usingAttachment(attachment, async (io) => {
    ctx.stderr.write(`attached segment at: 0x${attachment.address.toString(16)}\n`);
    // The protocol's int header bounds what it uses: a larger segment is viewed only that far.
    await fn(attachment.view(0, Math.min(size, MAX_USED)), Math.min(size, MAX_USED), io);
  });
}
