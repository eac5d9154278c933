// The --fast layout of the svshm transfer (opt-in, svipc to svipc only): a ring of page-aligned
// slots, so that the writer fills one while the reader empties another, and a header that
// names the protocol, so that a mismatched peer fails with one line instead of garbage.
//
//   segment: header page (FAST_HEADER_SIZE bytes), then `slots` slots of `slotSize` bytes
//   header (native byte order):
//     0  int32  0           a lecture reader attached by mistake reads cnt == 0: "EOF",
//                           it writes nothing
//     4  char[8] "SVSHMFST" FAST_MAGIC
//    12  uint32 version     FAST_VERSION
//    16  uint32 slots
//    20  uint32 slotSize    a multiple of FAST_HEADER_SIZE (page-aligned slots)
//    64  int32 len[slots]   bytes in each slot; 0 = end of input
//   semaphore set of FAST_NSEMS (3; the lecture's has 2):
//     EMPTY_SEM 0 (init slots: free slots), FULL_SEM 1 (init 0: filled slots),
//     VERSION_SEM 2 (holds FAST_VERSION: a reader checks it before attaching)
//   writer: P(EMPTY) read -> slot i, len[i] V(FULL) ... until len 0; then P(EMPTY, -slots):
//           every slot free again and the reader's last V (it detached); removes both
//   reader: P(FULL) len[i] == 0 ? stop : write slot i V(EMPTY) ... then shmdt and V(EMPTY)
import { endianness } from 'node:os';

export const FAST_MAGIC = 'SVSHMFST';
export const FAST_VERSION = 1;
export const FAST_NSEMS = 3;
export const EMPTY_SEM = 0;
export const FULL_SEM = 1;
export const VERSION_SEM = 2;
/** The header's size, and the alignment of every slot (the page size on x86-64 and arm64). */
export const FAST_HEADER_SIZE = 4096;
export const FAST_SLOTS = 4;
export const FAST_SLOT_SIZE = 1 << 20;
/** The most slots a header page holds (64 + 4 * slots <= FAST_HEADER_SIZE). */
export const FAST_MAX_SLOTS = (FAST_HEADER_SIZE - 64) / 4;
const LEN_OFFSET = 64;

export interface FastHeader {
  version: number;
  slots: number;
  slotSize: number;
}

/** A --buffer-size rounded up to whole pages: the slot size. */
export function fastSlotSize(bufferSize: number): number {
  return Math.ceil(bufferSize / FAST_HEADER_SIZE) * FAST_HEADER_SIZE;
}

export function fastSegmentSize(slots: number, slotSize: number): number {
  return FAST_HEADER_SIZE + slots * slotSize;
}

export function slotOffset(i: number, slotSize: number): number {
  return FAST_HEADER_SIZE + i * slotSize;
}

const LE = endianness() === 'LE';
const u32 = (b: Buffer, off: number) => (LE ? b.readUInt32LE(off) : b.readUInt32BE(off));
const i32 = (b: Buffer, off: number) => (LE ? b.readInt32LE(off) : b.readInt32BE(off));
const putU32 = (b: Buffer, v: number, off: number) =>
  LE ? b.writeUInt32LE(v, off) : b.writeUInt32BE(v, off);
const putI32 = (b: Buffer, v: number, off: number) => (LE ? b.writeInt32LE(v, off) : b.writeInt32BE(v, off));

export function writeHeader(seg: Buffer, h: FastHeader): void {
  putI32(seg, 0, 0);
  seg.write(FAST_MAGIC, 4, 'latin1');
  putU32(seg, h.version, 12);
  putU32(seg, h.slots, 16);
  putU32(seg, h.slotSize, 20);
}

/** The header of a segment, or why it is not a --fast one (one line). */
export function readHeader(seg: Buffer): FastHeader | string {
  if (seg.length < FAST_HEADER_SIZE || seg.toString('latin1', 4, 12) !== FAST_MAGIC)
    return 'its segment has no svshm --fast header (not a svshm-writer --fast)';
  const h = { version: u32(seg, 12), slots: u32(seg, 16), slotSize: u32(seg, 20) };
  if (h.version !== FAST_VERSION)
    return `the writer speaks svshm --fast version ${h.version}, this reader version ${FAST_VERSION}`;
  if (
    h.slots < 1 ||
    h.slots > FAST_MAX_SLOTS ||
    h.slotSize < 1 ||
    h.slotSize % FAST_HEADER_SIZE !== 0 ||
    fastSegmentSize(h.slots, h.slotSize) > seg.length
  )
    return `corrupt svshm --fast header: ${h.slots} slots of ${h.slotSize} bytes in a ${seg.length}-byte segment`;
  return h;
}

export function readLen(seg: Buffer, i: number): number {
  return i32(seg, LEN_OFFSET + 4 * i);
}
export function writeLen(seg: Buffer, i: number, len: number): void {
  putI32(seg, len, LEN_OFFSET + 4 * i);
}
