// toJson: JSON text with exact 64-bit integers.
import { describe, expect, it } from 'vitest';
import { JsonRows, jsonChunks, toJson } from '../../src/render/json.js';

describe('toJson', () => {
  it('writes bigints as exact JSON numbers', () => {
    expect(toJson({ shmmax: 18446744073692774399n })).toBe('{\n  "shmmax": 18446744073692774399\n}\n');
  });

  it('indents nested values, keeps empty ones compact, escapes strings', () => {
    const text = toJson({ a: [1, { b: null }], c: [], d: {}, e: 'quote " and \n', f: true });
    expect(text).toBe(
      '{\n  "a": [\n    1,\n    {\n      "b": null\n    }\n  ],\n  "c": [],\n  "d": {},\n  "e": "quote \\" and \\n",\n  "f": true\n}\n',
    );
    expect(JSON.parse(text)).toEqual({ a: [1, { b: null }], c: [], d: {}, e: 'quote " and \n', f: true });
  });

  it('matches JSON.stringify wherever that works, and drops undefined members', () => {
    const v = { x: -1.5, y: ['s', 0], z: { w: false } };
    expect(toJson(v)).toBe(`${JSON.stringify(v, null, 2)}\n`);
    expect(toJson({ a: 1, b: undefined } as never)).toBe('{\n  "a": 1\n}\n');
    expect(toJson(Number.NaN)).toBe('null\n');
  });
});

describe('jsonChunks', () => {
  const doc = {
    schemaVersion: 1,
    mode: 'list',
    queues: Array.from({ length: 3000 }, (_, i) => ({
      id: i,
      key: -i,
      owner: `u${i}`,
      big: BigInt(i) << 40n,
    })),
    empty: [],
    nested: { a: [{ b: [1, 2] }], c: {} },
  };

  it('yields exactly the text of toJson, in order', () => {
    const text = toJson(doc);
    expect([...jsonChunks(doc)].join('')).toBe(text);
    for (const size of [1, 100, 4096]) expect([...jsonChunks(doc, '  ', size)].join('')).toBe(text);
    for (const v of [null, 7, 'x', [], {}, [[]], { a: undefined }] as never[])
      expect([...jsonChunks(v)].join('')).toBe(toJson(v));
  });

  it('never holds the whole document in one string: pieces near the chunk size', () => {
    const text = toJson(doc);
    const size = 4096;
    const chunks = [...jsonChunks(doc, '  ', size)];
    expect(chunks.length).toBeGreaterThan(text.length / (2 * size));
    // Every chunk but the last is at least `size`, and at most one record past it.
    for (const c of chunks.slice(0, -1)) expect(c.length).toBeGreaterThanOrEqual(size);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(2 * size);
  });

  it('rows made as they are written (JsonRows) give the text of the same array, and are made one at a time', () => {
    let made = 0;
    let mostAlive = 0;
    const lazy = {
      ...doc,
      queues: JsonRows.of(doc.queues, (q) => {
        made++;
        mostAlive = Math.max(mostAlive, made - taken);
        return q;
      }),
      empty: JsonRows.of([], (x) => x),
    };
    let taken = 0;
    const chunks: string[] = [];
    for (const c of jsonChunks(lazy, '  ', 4096)) {
      chunks.push(c);
      taken = made; // everything made so far has been written
    }
    expect(chunks.join('')).toBe(toJson(doc));
    expect(made).toBe(doc.queues.length);
    // Between two chunks only about one chunk's worth of rows exists, never the whole listing.
    expect(mostAlive).toBeLessThan(doc.queues.length / 10);
    taken = Number.POSITIVE_INFINITY;
    expect(toJson(lazy)).toBe(toJson(doc)); // and again: the rows are made anew
  });
});
