// The /proc/sysvipc parsers, on files captured from a kernel (test/fixtures/proc/): today's
// 16-column shm file, the 14-column one of older kernels, a reordered header.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseMsgTable,
  parseSemTable,
  parseShmTable,
  parseSysvipcTable,
  readSysvipc,
  streamSysvipc,
} from '../../src/proc/sysvipc.js';
import { procFixture } from '../helpers/proc-fixtures.js';

const fixture = (name: string) => procFixture(name, 'latin1');

describe('parseSysvipcTable', () => {
  it('keys every row by the header names', () => {
    const t = parseSysvipcTable(fixture('msg.txt'));
    expect(t.columns).toEqual([
      'key',
      'msqid',
      'perms',
      'cbytes',
      'qnum',
      'lspid',
      'lrpid',
      'uid',
      'gid',
      'cuid',
      'cgid',
      'stime',
      'rtime',
      'ctime',
    ]);
    expect(t.rows).toHaveLength(4);
    expect(t.rows[0]).toMatchObject({ key: '4660', msqid: '0', perms: '644', cbytes: '60', qnum: '3' });
  });

  it('skips empty and short lines, and tolerates a missing trailing newline', () => {
    const t = parseSysvipcTable('a b c\n1 2 3\n\n4 5\n6 7 8');
    expect(t.rows).toEqual([
      { a: '1', b: '2', c: '3' },
      { a: '6', b: '7', c: '8' },
    ]);
    expect(parseSysvipcTable('').rows).toEqual([]);
  });
});

describe('parseShmTable', () => {
  const today = parseShmTable(fixture('shm-16col.txt'));

  it("parses today's 16-column file, status bits and all", () => {
    expect(today).toHaveLength(16);
    expect(today[0]).toEqual({
      key: -1289171801,
      id: 0,
      mode: 0o644,
      size: 4096,
      cpid: 19903,
      lpid: 0,
      nattch: 0,
      uid: 0,
      gid: 4646,
      cuid: 0,
      cgid: 4646,
      atime: 0,
      dtime: 0,
      ctime: 1795521656,
      rss: 0,
      swap: 0,
    });
    expect(today.map((r) => r.mode.toString(8))).toContain('3600'); // dest + locked
    expect(today[2]!.mode).toBe(0o2600); // locked
    expect(today[3]!.mode).toBe(0o1600); // dest
    expect(today[13]!.size).toBe(1181116006);
  });

  it('parses the 14-column file of older kernels (no rss, no swap)', () => {
    const old = parseShmTable(fixture('shm-14col.txt'));
    expect(old).toEqual(today.map((r) => ({ ...r, rss: null, swap: null })));
  });

  it('parses a reordered header by names', () => {
    expect(parseShmTable(fixture('shm-reordered.txt'))).toEqual(today);
  });

  it('skips a line that does not parse, like util-linux', () => {
    const text = fixture('shm-14col.txt').split('\n');
    text.splice(2, 0, '  garbage here x y z 1 2 3 4 5 6 7 8 9 10 11 12');
    expect(parseShmTable(text.join('\n'))).toHaveLength(16);
  });
});

describe('parseMsgTable / parseSemTable', () => {
  it('parses queues, keys as signed key_t values', () => {
    const q = parseMsgTable(fixture('msg.txt'));
    expect(q.map((r) => r.key)).toEqual([0x1234, 0, 0xdeadbeef | 0, 0]);
    expect(q[1]).toMatchObject({ id: 1, mode: 0o600, lspid: q[1]!.lrpid, qnum: 0 });
    expect(q[2]).toMatchObject({ cbytes: 2000, qnum: 1, uid: 4242, gid: 4343, rtime: 0 });
  });

  it('parses semaphore sets', () => {
    const s = parseSemTable(fixture('sem.txt'));
    expect(s.map((r) => [r.id, r.key, r.nsems, r.mode])).toEqual([
      [0, 0x5678, 3, 0o660],
      [1, 0, 1, 0o600],
      [2, -1, 7, 0o444],
      [3, 0, 2, 0o640],
    ]);
    expect(s[0]!.otime).toBeGreaterThan(0);
    expect(s[1]!.otime).toBe(0);
  });

  it('accepts an empty file (header only)', () => {
    expect(
      parseSemTable('       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n'),
    ).toEqual([]);
  });
});

describe('readSysvipc', () => {
  it('reads a file, and gives null when it is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'svipc-sysvipc-'));
    try {
      writeFileSync(join(dir, 'msg'), fixture('msg.txt'));
      expect(readSysvipc('msg', dir)).toBe(fixture('msg.txt'));
      expect(readSysvipc('shm', dir)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the byte parser and the streamed reader', () => {
  it('skips lines with a bad number, short lines, and reads tabs, signs and 16-digit numbers', () => {
    const head = fixture('msg.txt').split('\n')[0];
    const good = '  1234   5  600  0  0  0  0  0  0  0  0  0  0  0';
    const text = [
      head,
      good,
      good.replace('600', '6x0'), // not octal: skipped
      good.replace('1234', '12a4'), // not decimal: skipped
      '  1 2 600', // short: skipped
      good.replace(/ +/g, '\t').replace('1234', '-5'),
      good.replace('1234', '+7').replace(' 5 ', ' 1234567890123456 '),
    ].join('\n');
    const rows = parseMsgTable(text);
    expect(rows.map((r) => [r.key, r.id, r.mode])).toEqual([
      [1234, 5, 0o600],
      [-5, 5, 0o600],
      [7, 1234567890123456, 0o600],
    ]);
  });

  it('streams a file larger than its read size (lines cut at every chunk boundary) as the whole-text parser reads it', () => {
    const [head, ...lines] = fixture('shm-16col.txt').split('\n').filter(Boolean);
    const body = Array.from({ length: 6000 }, (_, i) =>
      lines[i % lines.length]!.replace(/^( *-?\d+ +)\d+/, `$1${i}`),
    );
    const dir = mkdtempSync(join(tmpdir(), 'svipc-sysvipc-'));
    try {
      for (const text of [[head, ...body].join('\n'), `${[head, ...body].join('\n')}\n`, `${head}\n`, '']) {
        writeFileSync(join(dir, 'shm'), text);
        const streamed = [...streamSysvipc('shm', dir)!];
        expect(streamed).toEqual(parseShmTable(text));
        if (text.length > head!.length + 1) {
          expect(text.length).toBeGreaterThan(3 * 64 * 1024); // several reads
          expect(streamed.map((r) => r.id)).toEqual(body.map((_, i) => i));
        }
      }
      expect(streamSysvipc('msg', dir)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
