// toJson: JSON text with exact 64-bit integers.
import { describe, expect, it } from 'vitest';
import { toJson } from '../../src/render/json.js';

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
