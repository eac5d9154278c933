// Records held until they are used again, compactly. A document that counts before it lists
// (leaks --json says how many objects are unknown before the objects) must hold what it lists:
// 37,000 records as JavaScript objects are 37,000 objects for the collector to copy and promote,
// which grows its young generation. A record of plain values (numbers, null, booleans, and
// strings that are the same in every record of its shape, as a System V queue's or segment's)
// is packed here as one row of float64s; any other record is kept as it is. Each comes back
// as an equal object (same keys, same order, same values), in the order it was held.

import { setFlagsFromString } from 'node:v8';

/**
 * Keep V8's young generation at the size it has now, for the rest of this process. V8 doubles
 * it each time the bytes that lived through its passes since the last doubling exceed its size:
 * a command that holds its records while it writes tens of MB (leaks --json) adds a little at
 * every pass, and at 37,096 objects the generation doubles to 16 MB for nothing (peak 88 MB;
 * 71 MB with this, for the same CPU time). V8 reads the flag at each growth.
 */
export function keepYoungGeneration(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** The records of one shape: their keys in order, the type of each, its string if constant. */
interface Shape {
  keys: string[];
  /** Per key: 'n' number or null, 'b' boolean, or the one string every record has there. */
  types: string[];
  slabs: Float64Array[];
  rows: number;
}

/** Rows per slab: a slab is allocated whole, 1024 rows at a time. */
const ROWS = 1024;
/** At most this many shapes are packed (one per kind of record is the use). */
const SHAPES = 8;

export class HeldRecords<T extends object> implements Iterable<T> {
  readonly #shapes: Shape[] = [];
  /** Per record: shape + SHAPES * row when packed, -1 - index into #kept otherwise. */
  readonly #order: number[] = [];
  readonly #kept: T[] = [];

  get length(): number {
    return this.#order.length;
  }

  hold(r: T): void {
    const s = this.#shapeOf(r);
    if (s < 0) {
      this.#order.push(-1 - this.#kept.length);
      this.#kept.push(r);
      return;
    }
    const shape = this.#shapes[s]!;
    const width = shape.keys.length;
    const row = shape.rows++;
    if (row % ROWS === 0) shape.slabs.push(new Float64Array(width * ROWS));
    const slab = shape.slabs[shape.slabs.length - 1]!;
    let o = (row % ROWS) * width;
    const values = r as Record<string, unknown>;
    for (let k = 0; k < width; k++) {
      const v = values[shape.keys[k]!];
      slab[o++] = v === null ? Number.NaN : v === true ? 1 : v === false ? 0 : typeof v === 'number' ? v : 0;
    }
    this.#order.push(s + SHAPES * row);
  }

  *[Symbol.iterator](): Generator<T, void, undefined> {
    for (const code of this.#order) {
      if (code < 0) {
        yield this.#kept[-1 - code]!;
        continue;
      }
      const shape = this.#shapes[code % SHAPES]!;
      const row = Math.floor(code / SHAPES);
      const slab = shape.slabs[Math.floor(row / ROWS)]!;
      let o = (row % ROWS) * shape.keys.length;
      const r: Record<string, unknown> = {};
      for (let k = 0; k < shape.keys.length; k++) {
        const v = slab[o++]!;
        const t = shape.types[k]!;
        r[shape.keys[k]!] = t === 'n' ? (Number.isNaN(v) ? null : v) : t === 'b' ? v === 1 : t.slice(1);
      }
      yield r as T;
    }
  }

  /** The index of the shape `r` is packed in (made if new), or -1: kept as it is. */
  #shapeOf(r: T): number {
    // Most records fit a shape already: checked member by member, without listing them.
    for (let s = 0; s < this.#shapes.length; s++) if (fits(this.#shapes[s]!, r)) return s;
    const keys: string[] = [];
    const types: string[] = [];
    for (const [k, v] of Object.entries(r)) {
      keys.push(k);
      if (v === null || (typeof v === 'number' && !Number.isNaN(v))) types.push('n');
      else if (typeof v === 'boolean') types.push('b');
      else if (typeof v === 'string') types.push(`s${v}`);
      else return -1;
    }
    // One shape per key list: a record whose strings differ from its shape's is kept as it is.
    const found = this.#shapes.findIndex(
      (s) => s.keys.length === keys.length && s.keys.every((k, i) => k === keys[i]),
    );
    if (found >= 0) return this.#shapes[found]!.types.every((t, i) => t === types[i]) ? found : -1;
    if (this.#shapes.length === SHAPES) return -1;
    this.#shapes.push({ keys, types, slabs: [], rows: 0 });
    return this.#shapes.length - 1;
  }
}

/** Whether `r` has exactly `shape`'s keys, in its order, each with a value of its type. */
function fits(shape: Shape, r: object): boolean {
  const values = r as Record<string, unknown>;
  let k = 0;
  for (const key in values) {
    if (k === shape.keys.length || key !== shape.keys[k]) return false;
    const t = shape.types[k++]!;
    const v = values[key];
    if (t === 'n') {
      if (v !== null && (typeof v !== 'number' || Number.isNaN(v))) return false;
    } else if (t === 'b') {
      if (typeof v !== 'boolean') return false;
    } else if (typeof v !== 'string' || v.length !== t.length - 1 || !t.endsWith(v)) return false;
  }
  return k === shape.keys.length;
}
