// src/protocols/shm-list.ts and shmseg.ts: the lecture's layouts, over plain Buffers.
import { describe, expect, it } from 'vitest';
import {
  ELEMENT_SIZE,
  ListCorruptError,
  ListFullError,
  ListWriter,
  NEXT_OFFSET,
  visitLine,
  walkList,
} from '../../src/protocols/shm-list.js';
import {
  bytesToCopy,
  dataArea,
  readNativeInt32,
  writeDataSize,
  writeNativeInt64,
} from '../../src/protocols/shmseg.js';

function build(values: number[], length = 1000): Buffer {
  const seg = Buffer.alloc(length * ELEMENT_SIZE);
  const w = new ListWriter(seg, length);
  let l = w.alloc();
  w.setVal(l, values[0]!);
  for (const v of values.slice(1)) l = w.append(l, v);
  return seg;
}

describe('shm-list layout', () => {
  it('lays out struct list { int val; long next; } as the C writer does', () => {
    const seg = build([13, 17, 42]);
    // head at offset 0, then 16, 32; next = offsets; last next = 0
    expect(readNativeInt32(seg, 0)).toBe(13);
    expect(seg.readBigInt64LE(8)).toBe(16n);
    expect(readNativeInt32(seg, 16)).toBe(17);
    expect(seg.readBigInt64LE(24)).toBe(32n);
    expect(readNativeInt32(seg, 32)).toBe(42);
    expect(seg.readBigInt64LE(40)).toBe(0n);
    expect(walkList(seg).map((e) => e.val)).toEqual([13, 17, 42]);
  });

  it('prints visit_list exactly: a space after every value', () => {
    expect(visitLine('common', [13, 17, 42])).toBe('[common] visit list: 13 17 42 ');
    expect(visitLine('common', [])).toBe('[common] visit list: ');
  });

  it('fails like list_alloc when the list is full', () => {
    expect(() => build([1, 2, 3], 2)).toThrow(ListFullError);
    expect(walkList(build([1, 2], 2)).map((e) => e.val)).toEqual([1, 2]);
  });

  it('walks a list of every element of the segment', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i - 500);
    expect(walkList(build(values)).map((e) => e.val)).toEqual(values);
  });

  const corrupt: [string, number, bigint, RegExp][] = [
    ['out of the segment', 16, 16000n, /outside the segment/],
    ['past the last whole element', 16, 15992n, /outside the segment/],
    ['negative', 16, -16n, /outside the segment/],
    ['huge', 16, 0x7fffffffffffffffn, /outside the segment/],
    ['misaligned', 16, 20n, /element boundary/],
    ['a cycle back to the head', 32, 0n + 16n, /cycle/],
    ['a self loop', 32, 32n, /cycle/],
  ];
  for (const [what, at, next, re] of corrupt) {
    it(`rejects a next offset that is ${what}`, () => {
      const seg = build([13, 17, 42]);
      writeNativeInt64(seg, next, at + NEXT_OFFSET);
      expect(() => walkList(seg)).toThrow(ListCorruptError);
      expect(() => walkList(seg)).toThrow(re);
    });
  }

  it('rejects a segment too small for one element', () => {
    expect(() => walkList(Buffer.alloc(8))).toThrow(/too small/);
  });

  it('never loops: a random segment ends or is corrupt, within size/16 steps', () => {
    for (let i = 0; i < 200; i++) {
      const seg = Buffer.alloc(64 * ELEMENT_SIZE);
      for (let j = 0; j < 64; j++)
        writeNativeInt64(seg, BigInt(Math.floor(Math.random() * 70) * 16), j * 16 + 8);
      try {
        expect(walkList(seg).length).toBeLessThanOrEqual(64);
      } catch (e) {
        expect(e).toBeInstanceOf(ListCorruptError);
      }
    }
  });
});

describe('stdin2shm segment layout', () => {
  it('keeps the data after a 4-byte native int', () => {
    const seg = Buffer.alloc(100);
    expect(dataArea(seg, 100).length).toBe(96);
    expect(dataArea(seg, 50).length).toBe(46);
    expect(dataArea(seg, 4).length).toBe(0);
    writeDataSize(seg, 10);
    expect(bytesToCopy(seg, 100)).toMatchObject({ count: 10, clamped: false, corrupt: false });
  });

  it('bounds the copy by SIZE - 4, and flags a negative header', () => {
    const seg = Buffer.alloc(100);
    writeDataSize(seg, 99);
    expect(bytesToCopy(seg, 100)).toMatchObject({ count: 96, clamped: true });
    writeDataSize(seg, -1);
    expect(bytesToCopy(seg, 100)).toMatchObject({ count: 0, corrupt: true });
  });
});
