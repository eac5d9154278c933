// The streamed snapshot reader of `svipc diff` (src/hygiene/snapshot-scan.ts, diff.ts's
// readKept): it must accept exactly what JSON.parse accepts, make the members JSON.parse makes,
// wherever the pieces of input break, and leave to the whole-document read what it cannot follow.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { CommandContext } from '../../src/cli/context.js';
import { CommandError } from '../../src/cli/exit.js';
import { readKept } from '../../src/hygiene/diff.js';
import { readSnapshot } from '../../src/hygiene/input.js';
import { identity, type Obj, SECTIONS } from '../../src/hygiene/snapshot.js';
import {
  FLAT_LIST,
  type Member,
  type ScanSink,
  scanDocument,
  Unscanned,
} from '../../src/hygiene/snapshot-scan.js';

const WANTED = new Set(['kind', 'id', 'key', 'name', 'user', 'size', 'cbytes', 'weird']);

/** What the scan gives: the other members, and per section its records (wanted members only). */
async function scan(text: string | Buffer, pieceSize = Number.MAX_SAFE_INTEGER) {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  // Pieces read into one buffer, reused: the scan must copy each before asking for the next.
  async function* pieces(): AsyncGenerator<Buffer> {
    const one = Buffer.alloc(Math.min(pieceSize, Math.max(bytes.length, 1)));
    for (let at = 0; at < bytes.length; at += pieceSize) {
      const n = bytes.copy(one, 0, at, at + pieceSize);
      yield one.subarray(0, n);
      one.fill(0x23); // what a reuse would leave
    }
  }
  const members: Record<string, unknown> = {};
  const sections: Record<string, (Record<string, Member> | null)[]> = {};
  let open = '';
  const texts: string[] = [];
  const sink: ScanSink = {
    isSection: (k) => (SECTIONS as readonly string[]).includes(k),
    wanted: WANTED,
    member: (k, v) => {
      members[k] = v;
    },
    section: (k) => {
      open = k;
      sections[k] = [];
    },
    record: (m, t) => {
      sections[open]!.push(m === null ? null : { ...m });
      texts.push(t());
    },
  };
  await scanDocument(pieces(), sink);
  return { members, sections, texts };
}

/** What JSON.parse makes of the same text, seen the same way. */
function parsed(text: string) {
  const doc = JSON.parse(text) as Record<string, unknown>;
  const members: Record<string, unknown> = {};
  const sections: Record<string, (Record<string, Member> | null)[]> = {};
  for (const [k, v] of Object.entries(doc)) {
    if ((SECTIONS as readonly string[]).includes(k) && Array.isArray(v)) {
      sections[k] = v.map((r) =>
        r !== null && typeof r === 'object' && !Array.isArray(r)
          ? (Object.fromEntries(Object.entries(r).filter(([m]) => WANTED.has(m))) as Record<string, Member>)
          : null,
      );
    } else members[k] = v;
  }
  return { members, sections };
}

const VALID = [
  '{}',
  ' \n\t{ } \r\n',
  '{"schemaVersion":2,"mode":"list","queues":[]}',
  `{"schemaVersion": 2, "mode": "list", "queues": [{"kind": "msg", "id": 3, "key": -5, "user": "root",
    "elements": [{"a": [1, 2, {"b": []}]}, {}], "cbytes": 1e3, "size": -0.25E-2, "weird": [1, {"x": null}]},
    7, [], null, "s", {"id": 1.5, "name": "\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t", "key": true, "kind": false}],
   "segments": [{"id": 12345678901234567890, "size": 0, "user": "caf\u00e9 \u{1F600}"}],
   "limits": {"a": [1, 2]}, "schemaVersion": 1, "posixSegments": [{"name": "/x", "kind": "pshm", "id": {}}]}`,
  '{"queues":[{"id":1,"id":2,"key":"a","key":null}],"mode":"list","mode":"id"}',
  '{"queues":[{"__proto__":{"id":1},"id":-0}]}',
  // integers made from their bytes, and the ones past 15 digits as Number() makes them
  '{"queues":[{"id":999999999999999,"key":-999999999999999},{"id":9007199254740993,"key":-0},{"id":0,"key":-7}]}',
  // names compared as bytes: escapes are decoded first, near misses and other bytes are not the name
  '{"queues":[{"k\\u0069nd":"msg","\\u0069d":7,"ke":1,"keys":2,"k\u00e9y":3,"nam\\u0065":"/n","id\\"":4,"ID":5,"":6}]}',
];

const INVALID = [
  '',
  '[]',
  '{',
  '{"a":1,}',
  '{"queues":[1,]}',
  '{"queues":[{"id":01}]}',
  '{"queues":[{"id":1.}]}',
  '{"queues":[{"id":-}]}',
  '{"queues":[{"id":1e}]}',
  '{"queues":[{"id":.5}]}',
  '{"queues":[{"id":+1}]}',
  '{"queues":[{"id":"a\u0001"}]}',
  '{"queues":[{"id":"\\q"}]}',
  '{"queues":[{"id":"\\u12G4"}]}',
  '{"queues":[{"id":tru}]}',
  '{"queues":[{"id":nul}]}',
  '{"queues":[{"id" 1}]}',
  '{"queues":[{1:1}]}',
  '{"queues":[{"a":[1 2]}]}',
  '{"queues":[{"a":{"b":1,}}]}',
  '{"queues":[{"a":[}]}]}',
  '{"queues":[]} x',
  '{"queues":[]}}',
  '\ufeff{}',
  '{"a":1}\u00a0',
  '{"queues":[],"queues":[]}',
  "{'a':1}",
  '{"queues":[{"a":[1,{"b":2]}]}]}',
  '{"queues":[{"a":{"b" 1}}]}',
  '{"queues":[{"a":[1,2}]}',
  '{"queues":[{"a":[-]}]}',
  '{"queues":[{"a":{"b":1}}}]}',
  '{"queues":[{"a":[[],{},[{}],]}]}',
  '{"a":1',
  '{"queues":[{"a":"\\u12',
];

// Lists in a record's member that is not wanted (a set's `elements`): a list of scalars and flat
// objects is checked by one regular expression (FLAT_LIST), any other by the byte loop. Lists
// that are flat, almost flat, or almost JSON: the scan must still say what JSON.parse says.
const LIST_VALID = [
  '[]',
  '[ \t\n\r]',
  '[{}]',
  '[{ }, {\n}]',
  '[{"semnum": 0, "value": 1, "ncount": 0, "zcount": 0, "pid": 9}, {"semnum": 1, "value": 0}]',
  '[ \t\n\r{ \r\n"a" \t:\n 1 ,\t"b":"x" }\r\n, 3 ,"s", true,false,null, {"c":true,"d":false,"e":null} ]',
  '[1e5, -0.5E-7, 0, -0, 2E+0, 3e-1, 1.25, -12, {"n": 6.02e23, "m": -1E+2}]',
  '["\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t", {"k\\"": "\\\\", "\\u0041": "\u00e9 \u{1F600}"}]',
  '["a]b", {"x": "]"}, 1]',
  '[{"a": 1}, [2], 3]',
  '[{"a": [1, 2]}, {"b": {"c": 1}}]',
  '[[], {}, [{}], [[1]]]',
  '[{"a": 1, "a": 2}]',
  `[${'{"semnum":0,"value":1},'.repeat(20000)}{"semnum":1,"value":0}]`,
];

const LIST_INVALID = [
  '[{"a":1,}]',
  '[{"a":1},]',
  '[,1]',
  '[1,,2]',
  '[1 2]',
  '[{"a":1} {"b":2}]',
  '[{"a":1 "b":2}]',
  '[{"a" 1}]',
  '[{a:1}]',
  '[{"a":}]',
  '[{,}]',
  '[01]',
  '[1.]',
  '[1e]',
  '[1e+]',
  '[.5]',
  '[+1]',
  '[-]',
  '[0x1]',
  '[1.5.2]',
  '[tru]',
  '[True]',
  '[nul]',
  '[falsey]',
  '["a"b]',
  '["\\q"]',
  '["\\u12G4"]',
  '["a\u0001"]',
  "['a']",
  '[\u00a0 1]',
  '[\v1]',
  '[\f1]',
  '[{"a":1}}]',
  '[{"a":1]',
  '[{"a":[1}]',
  '[1',
  '[{"a":1},{"b":2}',
  `[${'{"semnum":0,"value":1},'.repeat(20000)}]`,
];

const inRecord = (list: string) =>
  `{"queues":[{"id":1,"elements":${list},"key":2}, {"id": 3, "elements": ${list}}]}`;

describe('the streamed snapshot scan', () => {
  test('valid JSON: the members and records JSON.parse makes, whatever the pieces', async () => {
    for (const text of VALID) {
      const want = parsed(text);
      for (const piece of [1, 2, 3, 7, 64, Number.MAX_SAFE_INTEGER]) {
        const got = await scan(text, piece);
        expect({ members: got.members, sections: got.sections }, `${text} in pieces of ${piece}`).toEqual(
          want,
        );
      }
    }
  });

  test("each record's text is its bytes, for diff --json", async () => {
    const text = '{"queues": [ {"id": 1, "a": [ 2 ]} ,\n{"id":"é"}]}';
    expect((await scan(text, 5)).texts).toEqual(['{"id": 1, "a": [ 2 ]}', '{"id":"é"}']);
  });

  test('what JSON.parse refuses, or what the scan does not follow, is left to the whole read', async () => {
    for (const text of INVALID) {
      for (const piece of [1, 4, Number.MAX_SAFE_INTEGER]) {
        const e = await scan(text, piece).catch((x: unknown) => x);
        expect(e, `${JSON.stringify(text)} in pieces of ${piece}`).toBeInstanceOf(Unscanned);
      }
    }
  });

  test('lists in a record, flat or almost: what JSON.parse makes or refuses, whatever the pieces', async () => {
    for (const list of LIST_VALID) {
      const text = inRecord(list);
      const want = parsed(text);
      for (const piece of [1, 7, 64, Number.MAX_SAFE_INTEGER]) {
        if (piece < 7 && list.length > 1000) continue; // byte by byte: the byte loop, slowly
        const got = await scan(text, piece);
        expect(got.sections, `${list.slice(0, 80)} in pieces of ${piece}`).toEqual(want.sections);
      }
    }
    for (const list of LIST_INVALID) {
      const text = inRecord(list);
      expect(() => JSON.parse(text), list.slice(0, 80)).toThrow();
      for (const piece of [1, 4, Number.MAX_SAFE_INTEGER]) {
        if (piece < 7 && list.length > 1000) continue;
        const e = await scan(text, piece).catch((x: unknown) => x);
        expect(e, `${JSON.stringify(list.slice(0, 80))} in pieces of ${piece}`).toBeInstanceOf(Unscanned);
      }
    }
  });

  test('a list too long for the expression (its backtracking stack overflows) is read by the byte loop', async () => {
    const items = '{"semnum":0,"value":1},'.repeat(400000);
    const good = inRecord(`[${items}{"semnum":1,"value":0}]`);
    const bad = inRecord(`[${items}]`);
    for (const piece of [65536, Number.MAX_SAFE_INTEGER]) {
      expect((await scan(good, piece)).sections).toEqual(parsed(good).sections);
      expect(await scan(bad, piece).catch((x: unknown) => x)).toBeInstanceOf(Unscanned);
    }
  });

  test('FLAT_LIST takes a whole list of scalars and flat objects, and nothing JSON.parse refuses', () => {
    const whole = (list: string) => {
      const text = Buffer.from(list).toString('latin1'); // as the scan sees the bytes
      FLAT_LIST.lastIndex = 0;
      try {
        return FLAT_LIST.test(text) && FLAT_LIST.lastIndex === text.length;
      } catch {
        return false; // too long for the expression: the byte loop reads it
      }
    };
    const object = (v: unknown) => v !== null && typeof v === 'object';
    const nested = (list: unknown[]) =>
      list.some((e) => Array.isArray(e) || (object(e) && Object.values(e as object).some(object)));
    for (const list of LIST_VALID) {
      // every flat list is taken (the scan gives it the bytes to its first ']', so a ']' in a
      // string leaves that list to the byte loop), no nested one
      expect(whole(list), list.slice(0, 80)).toBe(!nested(JSON.parse(list) as unknown[]));
    }
    for (const list of LIST_INVALID) expect(whole(list), list.slice(0, 80)).toBe(false);
  });

  test('bytes that are not UTF-8 are read as JSON.parse reads their text', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"queues":[{"name":"a'),
      Buffer.from([0xff, 0xc3]),
      Buffer.from('b"}]}'),
    ]);
    const want = parsed(bytes.toString('utf8'));
    expect((await scan(bytes, 1)).sections).toEqual(want.sections);
  });
});

describe("diff's reading of a snapshot (readKept)", () => {
  const ctx = { signal: new AbortController().signal } as unknown as CommandContext;
  const dir = mkdtempSync(join(tmpdir(), 'svipc-kept-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const message = (p: Promise<unknown>) =>
    p.then(
      () => 'read',
      (e: unknown) => (e as CommandError).message,
    );

  const doc = {
    schemaVersion: 2,
    mode: 'list',
    queues: [
      {
        kind: 'msg',
        id: 0,
        key: 0,
        keyHex: '0x00000000',
        perms: 384,
        uid: 0,
        user: 'root',
        qnum: 2,
        cbytes: 10,
      },
      {
        kind: 'msg',
        id: 1,
        key: 4660,
        keyHex: '0x00001234',
        perms: 420,
        uid: 7,
        user: null,
        qnum: 0,
        cbytes: 0,
      },
    ],
    semaphores: [
      {
        kind: 'sem',
        id: 3,
        key: 0,
        keyHex: '0x00000000',
        perms: 384,
        uid: 0,
        user: 'root',
        nsems: 2,
        elements: [
          { semnum: 0, value: 1, ncount: 0, zcount: 0, pid: 9 },
          { semnum: 1, value: 0, ncount: 1, zcount: 0, pid: 9 },
        ],
      },
    ],
    posixSegments: [{ kind: 'pshm', name: '/x', perms: 384, uid: 0, user: 'root', size: 4096 }],
  };

  test('kept: per section, the identities of what a whole read gives, and each record read again', async () => {
    for (const [name, text] of [
      ['pretty.json', JSON.stringify(doc, null, 2)],
      ['compact.json', JSON.stringify(doc)],
      ['tabs.json', JSON.stringify(doc, null, '\t')],
    ] as const) {
      const f = file(name, text);
      const whole = await readSnapshot(ctx, f);
      const kept = await readKept(ctx, f);
      expect(kept.schemaVersion).toBe(2);
      for (const k of SECTIONS) {
        const records = whole[k] as Obj[] | undefined;
        if (records === undefined) {
          expect(kept.sections[k]).toBeUndefined();
          continue;
        }
        const { ids, kept: where } = kept.sections[k]!;
        expect(ids).toEqual(records.map(identity));
        expect(where.map((w, i) => kept.record(w, ids[i]!))).toEqual(records);
      }
    }
  });

  test('the errors of a whole read, word for word (not JSON, not a snapshot, a bad section)', async () => {
    const cases = [
      '',
      '{"schemaVersion": 2, "mode": "list", "queues": [1,]}',
      '\ufeff{}',
      '[]',
      '{"mode": "list"}',
      '{"schemaVersion": [2], "mode": "list"}',
      '{"schemaVersion": 2, "mode": "id"}',
      '{"schemaVersion": 2, "mode": "list", "segments": [{"id": "1"}]}',
      '{"schemaVersion": 2, "mode": "list", "posixQueues": {}}',
      '{"schemaVersion": 2, "mode": "list", "posixQueues": [{"name": "/a", "kind": "msg"}]}',
      '{"queues": [[]], "mode": "list", "schemaVersion": 1}',
      '{"queues": [], "queues": 5, "mode": "list", "schemaVersion": 2}',
    ];
    for (const [i, text] of cases.entries()) {
      const f = file(`bad${i}.json`, text);
      const want = await message(readSnapshot(ctx, f));
      expect(want, text).not.toBe('read');
      expect(await message(readKept(ctx, f)), text).toBe(want);
    }
    const e = await readKept(ctx, file('bad.json', '{')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CommandError);
    expect((e as CommandError).exitCode).toBe(2);
  });

  test('a version 1 document: POSIX sections are neither checked nor kept', async () => {
    const f = file('v1.json', '{"schemaVersion": 1, "mode": "list", "queues": [], "posixSegments": 5}');
    const kept = await readKept(ctx, f);
    expect(kept.schemaVersion).toBe(1);
    expect(kept.sections).toEqual({ queues: { ids: [], kept: [] } });
  });

  test('a file changed before a record is read again: one line, exit 2 (never the wrong record)', async () => {
    const f = file('moving.json', JSON.stringify(doc));
    const kept = await readKept(ctx, f);
    writeFileSync(f, JSON.stringify({ ...doc, queues: [doc.queues[1], doc.queues[0]] }));
    const { ids, kept: where } = kept.sections.queues!;
    let e: unknown;
    try {
      kept.record(where[0]!, ids[0]!);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(CommandError);
    expect((e as CommandError).message).toBe(`${f}: changed while diff read it`);
    expect((e as CommandError).exitCode).toBe(2);
  });
});
