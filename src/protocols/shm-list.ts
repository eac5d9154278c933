// The lecture's offset-linked list in shared memory (shm-list-common.h):
//   #define SHM_KEY 0x1234
//   struct list { int val; /* 4 bytes of padding */ long next; };   /* 16 bytes on LP64 */
// Elements are allocated from the segment's base upwards (list_init(1000) makes room for
// 1000); the head is the first element, at offset 0. `next` holds the next element's
// offset from the segment base, not an address (each process attaches the segment
// wherever the kernel chooses); 0 ends the list (offset 0 is the head, never a successor).
import type { Tracer } from '../ipc/trace.js';
import { readNativeInt32, readNativeInt64, writeNativeInt32, writeNativeInt64 } from './shmseg.js';

export const SHM_KEY = 0x1234;
/** S_IRUSR | S_IWUSR | S_IRGRP | S_IWGRP */
export const OBJ_PERMS = 0o660;
/** sizeof(struct list) */
export const ELEMENT_SIZE = 16;
export const VAL_OFFSET = 0;
export const NEXT_OFFSET = 8;
/** The writer's list_init(1000). */
export const DEFAULT_LENGTH = 1000;
export const DEFAULT_VALUES: readonly number[] = [13, 17, 42];

export const INT_MIN = -0x80000000;
export const INT_MAX = 0x7fffffff;

export class ListFullError extends Error {
  constructor(readonly length: number) {
    super(`list_alloc: no room for more than ${length} elements (ENOMEM)`);
    this.name = 'ListFullError';
  }
}

/** The writer's allocator: list_alloc / list_append over a segment's bytes (in place). */
export class ListWriter {
  /** Elements allocated so far (list_top - list_bot). */
  count = 0;

  constructor(
    readonly seg: Buffer,
    readonly length: number = Math.floor(seg.length / ELEMENT_SIZE),
    /** --trace: each store into the segment, `store(shm+16, {val=17, next=0}) -> 16`. */
    readonly trace?: Tracer,
  ) {
    if (length * ELEMENT_SIZE > seg.length) {
      throw new RangeError(`a list of ${length} elements needs ${length * ELEMENT_SIZE} bytes`);
    }
  }

  /** list_alloc: the next free element's offset, its `next` set to 0 (NULL). */
  alloc(): number {
    if (this.count >= this.length) throw new ListFullError(this.length);
    const off = this.count * ELEMENT_SIZE;
    writeNativeInt64(this.seg, 0n, off + NEXT_OFFSET);
    this.count++;
    return off;
  }

  setVal(off: number, val: number): void {
    writeNativeInt32(this.seg, val, off + VAL_OFFSET);
    // The padding, zeroed so the segment's bytes are deterministic.
    writeNativeInt32(this.seg, 0, off + VAL_OFFSET + 4);
  }

  /** The writer's head: list_alloc, then `l->val = val`. */
  first(val: number): number {
    const elt = this.alloc();
    this.setVal(elt, val);
    this.#traceStore(elt, `{val=${val}, next=0}`, ELEMENT_SIZE);
    return elt;
  }

  /** list_append: a new element holding `val`, linked after the element at `after`. */
  append(after: number, val: number): number {
    const elt = this.alloc();
    this.setVal(elt, val);
    this.#traceStore(elt, `{val=${val}, next=0}`, ELEMENT_SIZE);
    writeNativeInt64(this.seg, BigInt(elt), after + NEXT_OFFSET);
    this.#traceStore(after + NEXT_OFFSET, `{next=${elt}}`, 8);
    return elt;
  }

  #traceStore(at: number, what: string, bytes: number): void {
    this.trace?.call('store', `shm+${at}, ${what}`, bytes);
  }
}

export class ListCorruptError extends Error {
  constructor(
    message: string,
    readonly index: number,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'ListCorruptError';
  }
}

export interface ListElement {
  offset: number;
  val: number;
  next: bigint;
}

/**
 * visit_list, checked: the elements from the head (offset 0) on. Every `next` must be 0
 * (end) or the offset of a whole element inside the segment (a multiple of 16, > 0) not
 * visited before; anything else throws ListCorruptError. Reads at most size/16 elements.
 */
export function walkList(seg: Buffer): ListElement[] {
  const slots = Math.floor(seg.length / ELEMENT_SIZE);
  if (slots < 1) {
    throw new ListCorruptError(
      `the segment (${seg.length} bytes) is too small for one list element (${ELEMENT_SIZE} bytes)`,
      0,
      0,
    );
  }
  const seen = new Uint8Array(slots);
  const out: ListElement[] = [];
  let off = 0;
  for (;;) {
    seen[off / ELEMENT_SIZE] = 1;
    const val = readNativeInt32(seg, off + VAL_OFFSET);
    const next = readNativeInt64(seg, off + NEXT_OFFSET);
    out.push({ offset: off, val, next });
    if (next === 0n) return out;
    const where = `element ${out.length} (offset ${off})`;
    if (next < 0n || next > BigInt(seg.length - ELEMENT_SIZE)) {
      throw new ListCorruptError(
        `${where}: next offset ${next} is outside the segment (${seg.length} bytes)`,
        out.length - 1,
        off,
      );
    }
    const n = Number(next);
    if (n % ELEMENT_SIZE !== 0) {
      throw new ListCorruptError(
        `${where}: next offset ${n} is not at an element boundary (a multiple of ${ELEMENT_SIZE})`,
        out.length - 1,
        off,
      );
    }
    if (seen[n / ELEMENT_SIZE]) {
      throw new ListCorruptError(
        `${where}: next offset ${n} points back into the list (a cycle)`,
        out.length - 1,
        off,
      );
    }
    off = n;
  }
}

/** The lecture's visit_list line: "[label] visit list: 13 17 42 " (a space after each value). */
export function visitLine(label: string, values: readonly number[]): string {
  return `[${label}] visit list: ${values.map((v) => `${v} `).join('')}`;
}
