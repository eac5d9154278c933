// src/render/smartcols.ts and lsipc's time formats, in-process (the byte-for-byte comparison
// with /usr/bin/lsipc is test/e2e/lsipc.test.ts; these pin the rules it relies on).
import { describe, expect, it } from 'vitest';
import { permString } from '../../src/render/human.js';
import { formatTime } from '../../src/render/lsipc-columns.js';
import {
  exportEncode,
  jsonEncode,
  rawEncode,
  renderScols,
  type ScolsTable,
  safeEncode,
  shellvarName,
} from '../../src/render/smartcols.js';

const table: ScolsTable = {
  name: 'things',
  columns: [{ name: 'NAME' }, { name: 'USE%', right: true }, { name: 'NOTE' }],
  rows: [
    ['a b', '1.00%', null],
    ['c', '', 'x\\xy'],
  ],
};

describe('libsmartcols formats', () => {
  it('table: widths from cells and headers, right alignment, no padding after the last column', () => {
    expect(renderScols(table, { mode: 'table' })).toBe('NAME  USE% NOTE\na b  1.00% \nc          x\\x5cxy\n');
    expect(renderScols(table, { mode: 'table', noheadings: true, shellvar: true })).toBe(
      'a b  1.00% \nc          x\\x5cxy\n',
    );
    expect(renderScols(table, { mode: 'table', shellvar: true }).split('\n')[0]).toBe('NAME USE_PCT NOTE');
  });

  it('raw, export, newline', () => {
    expect(renderScols(table, { mode: 'raw' })).toBe('NAME USE% NOTE\na\\x20b 1.00% \nc  x\\x5cxy\n');
    expect(renderScols(table, { mode: 'export', shellvar: true })).toBe(
      'NAME="a b" USE_PCT="1.00%" NOTE=""\nNAME="c" USE_PCT="" NOTE="x\\x5cxy"\n',
    );
    expect(renderScols(table, { mode: 'newline' })).toBe(
      'NAME="a b"\nUSE%="1.00%"\nNOTE=""\nNAME="c"\nUSE%=""\nNOTE="x\\x5cxy"\n',
    );
  });

  it('JSON: lower-case keys, strings, null for no data; an empty table keeps its blank line', () => {
    expect(renderScols(table, { mode: 'json' })).toBe(
      '{\n   "things": [\n      {\n         "name": "a b",\n         "use%": "1.00%",\n         "note": null\n' +
        '      },{\n         "name": "c",\n         "use%": null,\n         "note": "x\\\\xy"\n      }\n   ]\n}\n',
    );
    expect(renderScols({ ...table, name: null, rows: [] }, { mode: 'json' })).toBe(
      '{\n   "": [\n\n   ]\n}\n',
    );
    expect(renderScols({ ...table, rows: [] }, { mode: 'table' })).toBe('');
  });

  it('escaping, byte by byte', () => {
    const s = 'a"b$c`d\\e \xc3\xa9\tf';
    expect(safeEncode(s)).toBe('a"b$c`d\\e \\xc3\\xa9\\x09f');
    expect(rawEncode(s)).toBe('a"b$c`d\\x5ce\\x20\\xc3\\xa9\\x09f');
    expect(exportEncode(s)).toBe('a\\x22b\\x24c\\x60d\\x5ce \\xc3\\xa9\\x09f');
    expect(jsonEncode(s)).toBe('a\\"b$c`d\\\\e \xc3\xa9\\tf');
    expect(shellvarName('USE%')).toBe('USE_PCT');
    expect(shellvarName('1A-B')).toBe('_1A_B');
  });
});

describe('lsipc values', () => {
  it('times: short (today, this year, before), full, iso', () => {
    const now = Date.UTC(2026, 10, 27, 18, 0, 0) / 1000;
    process.env.TZ = 'UTC';
    expect(formatTime(now - 3600, 'short', now)).toBe('17:00');
    expect(formatTime(now - 86400 * 30, 'short', now)).toBe('Oct28');
    expect(formatTime(now - 86400 * 400, 'short', now)).toBe('2025-Oct23');
    expect(formatTime(now, 'full', now)).toBe('Fri Nov 27 18:00:00 2026');
    expect(formatTime(now, 'iso', now)).toBe('2026-11-27T18:00:00+00:00');
  });

  it('permissions', () => {
    expect(permString(0o640)).toBe('rw-r-----');
    expect(permString(0o1777)).toBe('rwxrwxrwx');
  });
});
