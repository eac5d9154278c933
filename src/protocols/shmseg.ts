// The lecture's stdin2shm / shm2stdout segment (shm-common.h):
//   struct shmseg { int size; char buf[]; };
// `size` is a native-order C int (4 bytes) holding how many bytes of `buf` are in use;
// the data follows at once. A program told SIZE uses at most SIZE - 4 bytes of data.
// (Not to be confused with svshm's `struct shmseg { int cnt; char buf[10240]; }`.)

import { endianness } from 'node:os';
import { type Attachment, isIpcError, SharedMemory, strerror } from '../ipc/index.js';
import type { Traced } from '../ipc/trace.js';

/** sizeof(int): the header before the data. */
export const HEADER_SIZE = 4;
/** Offset of `buf` in the segment. */
export const DATA_OFFSET = HEADER_SIZE;

const LE = endianness() === 'LE';

/** A native-order C int at `offset`. */
export function readNativeInt32(buf: Buffer, offset = 0): number {
  return LE ? buf.readInt32LE(offset) : buf.readInt32BE(offset);
}

export function writeNativeInt32(buf: Buffer, value: number, offset = 0): void {
  if (LE) buf.writeInt32LE(value, offset);
  else buf.writeInt32BE(value, offset);
}

/** A native-order C long (64-bit on Linux LP64) at `offset`, as a bigint. */
export function readNativeInt64(buf: Buffer, offset = 0): bigint {
  return LE ? buf.readBigInt64LE(offset) : buf.readBigInt64BE(offset);
}

export function writeNativeInt64(buf: Buffer, value: bigint, offset = 0): void {
  if (LE) buf.writeBigInt64LE(value, offset);
  else buf.writeBigInt64BE(value, offset);
}

/** How many data bytes a SIZE leaves room for (SIZE - 4, never negative). */
export function capacityOf(size: number): number {
  return Math.max(0, size - HEADER_SIZE);
}

/** The `size` header. */
export function readDataSize(seg: Buffer): number {
  return readNativeInt32(seg, 0);
}

export function writeDataSize(seg: Buffer, n: number): void {
  writeNativeInt32(seg, n, 0);
}

/** The data area a program told SIZE may use: a view (no copy) of seg[4, SIZE). */
export function dataArea(seg: Buffer, size: number): Buffer {
  return seg.subarray(DATA_OFFSET, Math.max(DATA_OFFSET, Math.min(size, seg.length)));
}

/**
 * What shm2stdout copies: the header's count, bounded by what SIZE leaves room for.
 * (The C original bounds it by SIZE, not SIZE - 4, and so may read 4 bytes too far.)
 * `clamped` says the header claimed more than fits; `corrupt` says it was negative.
 */
export function bytesToCopy(
  seg: Buffer,
  size: number,
): { count: number; header: number; clamped: boolean; corrupt: boolean } {
  const header = readDataSize(seg);
  const cap = capacityOf(Math.min(size, seg.length));
  if (header < 0) return { count: 0, header, clamped: false, corrupt: true };
  return { count: Math.min(header, cap), header, clamped: header > cap, corrupt: false };
}

/** Which segment, how big, and where this process attached it. */
export interface OpenedSegment {
  attachment: Attachment;
  /** shm_segsz: the size asked of shmget (may exceed what one view covers). */
  segsz: number;
}

/**
 * shmat the segment `shmid` with errors a user can act on (no such id, permission), and
 * check that SIZE fits in it (the C programs trust SIZE and overrun a smaller segment).
 */
export function openSegment(
  shmid: number,
  size: number | undefined,
  opts: { readonly?: boolean } & Traced = {},
): OpenedSegment {
  const shm = new SharedMemory(shmid, opts);
  let attachment: Attachment;
  try {
    attachment = shm.attach(opts);
  } catch (e) {
    if (isIpcError(e, 'EINVAL', 'EIDRM')) throw new SegmentError(`no shared memory segment with id ${shmid}`);
    if (isIpcError(e, 'EACCES', 'EPERM'))
      throw new SegmentError(`shared memory segment ${shmid}: ${strerror(e.errno)} (${e.syscall})`);
    throw e;
  }
  const segsz = attachment.size;
  if (segsz < HEADER_SIZE) {
    attachment.detach();
    throw new SegmentError(tooSmall(shmid, segsz, 'stdin2shm/shm2stdout (int size + data)', HEADER_SIZE));
  }
  if (size !== undefined && size > segsz) {
    attachment.detach();
    throw new SegmentError(`SIZE ${size} is larger than shared memory segment ${shmid} (${segsz} bytes)`);
  }
  return { attachment, segsz };
}

/**
 * Why an object was not made by this user (owner or creator another uid), or undefined.
 * A demo touches an object it did not just create only when this says undefined.
 */
export function otherOwner(perm: { uid: number; cuid: number }): string | undefined {
  const me = process.geteuid?.() ?? -1;
  if (perm.uid !== me || perm.cuid !== me)
    return `owned by uid ${perm.uid} (created by uid ${perm.cuid}), not ${me}`;
  return undefined;
}

/** "segment N is 2 bytes, too small for PROTOCOL (needs at least M)". */
export function tooSmall(segment: number | string, bytes: number, protocol: string, needs: number): string {
  return `segment ${segment} is ${bytes} byte${bytes === 1 ? '' : 's'}, too small for ${protocol} (needs at least ${needs})`;
}

/** The largest part of a segment the protocol can use: the int header, then at most INT_MAX bytes. */
export const MAX_USED = HEADER_SIZE + 0x7fffffff;

/** A segment that cannot be used as asked: the message says why. */
export class SegmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SegmentError';
  }
}
