// svipc diff's reader of the objects now (src/hygiene/live-identities.ts): the identities it
// reads from /proc/sysvipc bytes are the parser's rows' (src/proc/sysvipc.ts), line for line,
// on the captured files and on lines the parser refuses, and the records it makes of new
// objects are the inventory's. Files under a scratch directory: no IPC object is touched.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { appearedSysv } from '../../src/hygiene/live-identities.js';
import type { Obj } from '../../src/hygiene/snapshot.js';
import { queueFromProc, segmentFromProc } from '../../src/ipc/inventory.js';
import { parseMsgTable, parseSemTable, parseShmTable, type SysvipcKind } from '../../src/proc/sysvipc.js';
import { queueJson, segmentJson } from '../../src/render/ipcs-json.js';
import { tableNames } from '../../src/render/names.js';
import { procFixture } from '../helpers/proc-fixtures.js';
import { scratchDir } from '../helpers/scratch.js';

const DIR = scratchDir('svipc-live-ids-');
const names = tableNames({ 0: 'root', 4242: 'alice' }, { 0: 'root' });
const PARSE = { msg: parseMsgTable, sem: parseSemTable, shm: parseShmTable };

let n = 0;
/** `text` as /proc/sysvipc/KIND of a directory of its own. */
function procDir(kind: SysvipcKind, text: string): string {
  const dir = join(DIR, String(n++));
  mkdirSync(dir);
  writeFileSync(join(dir, kind), text, 'latin1');
  return dir;
}

/** What the reader gives: every identity, in order, and the records of those `isNew` calls new. */
function read(kind: SysvipcKind, text: string, isNew: (id: string) => boolean = () => false) {
  const ids: string[] = [];
  const met = (id: string): boolean => {
    ids.push(id);
    return isNew(id);
  };
  const live = appearedSysv(kind, names, met, procDir(kind, text));
  const records: Obj[] = [...live!];
  return { ids, records };
}

/** The parser's rows of the same text as identities. */
const parsedIds = (kind: SysvipcKind, text: string): string[] =>
  PARSE[kind](Buffer.from(text, 'latin1')).map((r) => `${kind}:${r.id}:${r.key}`);

const MSG_HEADER = procFixture('msg.txt').split('\n')[0]!;
const SHM_HEADER = procFixture('shm-16col.txt').split('\n')[0]!;
const msgLine = (key: string, id: string, perms = '600', rest = '0 0 0 0 0 0 0 0 0 0 0') =>
  `${key} ${id} ${perms} ${rest}`;

describe("diff's reader of the objects now gives the parser's identities", () => {
  test.each([
    ['msg', 'msg.txt'],
    ['sem', 'sem.txt'],
    ['shm', 'shm-16col.txt'],
    ['shm', 'shm-14col.txt'],
    ['shm', 'shm-reordered.txt'],
  ] as const)('%s from %s', (kind, file) => {
    const text = procFixture(file, 'latin1');
    const want = parsedIds(kind, text);
    expect(want.length).toBeGreaterThan(0);
    expect(read(kind, text).ids).toEqual(want);
  });

  test('lines the parser refuses or reads its own way', () => {
    const lines = [
      msgLine('4660', '0'),
      '',
      msgLine('1', '2').split(' ').slice(0, 10).join(' '), // short
      msgLine('5', '3', '608'), // perms is octal: 8 is refused
      msgLine('+7', '+4'), // a sign is taken in a decimal column
      msgLine('-', '5'), // a sign alone is not a number
      msgLine('-559038737', '6'),
      msgLine('4294967295', '7'), // an unsigned spelling of key -1
      msgLine('12345678901234567890', '8'), // more than 15 digits: Number() rounds it
      msgLine('9', '1234567890123456789'),
      msgLine('0', '-0'),
      `${msgLine('10', '11')} 99 extra`,
      msgLine('10', '12').replaceAll(' ', '\t'),
      `${msgLine('10', '13')}\r`,
      msgLine('1x', '14'),
      msgLine('3', '15', '600', '0 0 0 0 0 0 0 0 0 0 z'), // ctime is checked
    ];
    const text = `${MSG_HEADER}\n${lines.join('\n')}\n`;
    const want = parsedIds('msg', text);
    expect(want.length).toBeGreaterThan(5);
    expect(want.length).toBeLessThan(lines.length - 1);
    expect(read('msg', text).ids).toEqual(want);
  });

  test('a header that lacks a column the parser needs gives no objects', () => {
    const text = `key msqid perms cbytes\n1 2 600 0\n`;
    expect(parsedIds('msg', text)).toEqual([]);
    expect(read('msg', text).ids).toEqual([]);
  });

  test('a file larger than a piece, without its last newline', () => {
    const lines = Array.from({ length: 12_000 }, (_, i) =>
      msgLine(String(i * 7919 - 5000), String(i * 32768)),
    );
    const text = `${MSG_HEADER}\n${lines.join('\n')}`;
    expect(text.length).toBeGreaterThan(512 * 1024);
    const want = parsedIds('msg', text);
    expect(want).toHaveLength(12_000);
    expect(read('msg', text).ids).toEqual(want);
  });

  test('a line longer than a piece', () => {
    const text = `${MSG_HEADER}\n${msgLine('1', '2')}${' '.repeat(300 * 1024)}0\n${msgLine('3', '4')}\n`;
    expect(read('msg', text).ids).toEqual(parsedIds('msg', text));
  });
});

describe('the records of the new ones are the inventory records as the snapshot writes them', () => {
  test('queues: only the ones called new, in the file order', () => {
    const text = procFixture('msg.txt', 'latin1');
    const rows = parseMsgTable(Buffer.from(text, 'latin1'));
    const { records } = read('msg', text, (id) => !id.startsWith('msg:1:'));
    expect(records).toEqual(rows.filter((r) => r.id !== 1).map((r) => queueJson(queueFromProc(r), names)));
  });

  test('segments, under a header of another order', () => {
    for (const file of ['shm-16col.txt', 'shm-reordered.txt']) {
      const text = procFixture(file, 'latin1');
      const rows = parseShmTable(Buffer.from(text, 'latin1'));
      const { records } = read('shm', text, () => true);
      expect(records).toEqual(rows.map((r) => segmentJson(segmentFromProc(r), names)));
    }
    expect(SHM_HEADER).toContain('rss');
  });

  test('no /proc/sysvipc file: null (the caller asks the syscalls)', () => {
    expect(appearedSysv('msg', names, () => true, join(DIR, 'none'))).toBeNull();
  });
});
