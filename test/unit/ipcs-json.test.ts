// ipcs --json documents: built from the fixture records, checked against
// schema/ipcs.schema.json with the subset validator (and the validator checked too).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  IPCS_JSON_SCHEMA_VERSION,
  idDocument,
  limitsDocument,
  listDocument,
  recordJson,
  recordText,
  summaryDocument,
} from '../../src/render/ipcs-json.js';
import { toJson } from '../../src/render/json.js';
import { tableNames } from '../../src/render/names.js';
import { fixtureLimits, fixtureRecords, USAGE_FIXTURE } from '../helpers/proc-fixtures.js';
import { ROOT } from '../helpers/run.js';
import { SchemaValidator } from './ipcs-schema-validator.js';

const schema = JSON.parse(readFileSync(join(ROOT, 'schema/ipcs.schema.json'), 'utf8'));
const validator = new SchemaValidator(schema);
const names = tableNames({ 0: 'root' }, { 0: 'root' });
const all = { msg: true, shm: true, sem: true };

const { queues, segments, semaphores } = fixtureRecords();

/** Through the text, as a consumer sees it. */
const roundTrip = (doc: Parameters<typeof toJson>[0]) => JSON.parse(toJson(doc));

describe('ipcs --json documents', () => {
  it('list: every kind, valid, with keys, perms, names and times', () => {
    const doc = roundTrip(listDocument(all, { queues, segments, semaphores }, names));
    expect(validator.validate(doc)).toEqual([]);
    expect(doc.schemaVersion).toBe(IPCS_JSON_SCHEMA_VERSION);
    expect(doc.queues[2]).toMatchObject({ key: 0xdeadbeef | 0, keyHex: '0xdeadbeef', user: null, uid: 4242 });
    expect(doc.queues[0]).toMatchObject({
      perms: 0o644,
      permsOctal: '644',
      user: 'root',
      qbytes: null,
      rtime: null,
    });
    expect(doc.queues[0].stime).toBe('2026-11-24T12:00:56Z');
    expect(doc.segments[5]).toMatchObject({
      dest: true,
      locked: true,
      mode: 0o3600,
      perms: 0o600,
      nattch: 1,
    });
    expect(doc.semaphores[2]).toMatchObject({ key: -1, keyHex: '0xffffffff', nsems: 7, elements: null });
  });

  it('list: only the kinds asked for', () => {
    const doc = roundTrip(listDocument({ msg: false, shm: true, sem: false }, { segments }, names));
    expect(Object.keys(doc)).toEqual(['schemaVersion', 'mode', 'segments']);
    expect(validator.validate(doc)).toEqual([]);
  });

  it('id: an object with its elements, or null', () => {
    const s = {
      ...semaphores[0]!,
      elements: [{ semnum: 0, value: 1, ncount: 0, zcount: 2, pid: 9 }],
    };
    expect(validator.validate(roundTrip(idDocument('sem', 0, s, names)))).toEqual([]);
    expect(
      validator.validate(roundTrip(idDocument('msg', 0, { ...queues[0]!, qbytes: 10000 }, names))),
    ).toEqual([]);
    expect(validator.validate(roundTrip(idDocument('shm', 3, segments[3]!, names)))).toEqual([]);
    expect(validator.validate(roundTrip(idDocument('shm', 99, null, names)))).toEqual([]);
  });

  it('limits: exact 64-bit integers in the text', () => {
    const doc = limitsDocument(all, { ...fixtureLimits(), semaphores: null });
    const text = toJson(doc);
    expect(text).toContain('"shmmax": 18446744073692774399,');
    expect(validator.validate(JSON.parse(text))).toEqual([]);
  });

  it('summary', () => {
    const doc = summaryDocument(all, { ...USAGE_FIXTURE, semaphores: null });
    expect(validator.validate(roundTrip(doc))).toEqual([]);
  });
});

describe('the schema validator', () => {
  const good = roundTrip(listDocument(all, { queues, segments, semaphores }, names));

  it('rejects a missing field, an extra field, a wrong type, a bad pattern, a wrong version', () => {
    const broken = (f: (d: typeof good) => void) => {
      const d = structuredClone(good);
      f(d);
      return validator.validate(d);
    };
    expect(broken((d) => delete d.queues[0].qnum)).not.toEqual([]);
    expect(broken((d) => (d.segments[0].extra = 1))).not.toEqual([]);
    expect(broken((d) => (d.semaphores[0].nsems = '3'))).not.toEqual([]);
    expect(broken((d) => (d.queues[0].keyHex = '0x1234'))).not.toEqual([]);
    expect(broken((d) => (d.schemaVersion = 2))).not.toEqual([]);
    expect(broken((d) => (d.mode = 'summary'))).not.toEqual([]);
  });

  it('refuses a keyword it does not implement', () => {
    expect(() => new SchemaValidator({ type: 'object', patternProperties: {} }).validate({})).toThrow(
      /unsupported/,
    );
  });
});

describe('a listing written straight from the records (recordText, for ipcs --json and snapshot)', () => {
  it('is byte for byte the text of the document objects, for every kind and odd value', () => {
    const odd = tableNames({ 0: 'root', 7: 'a "quoted" \\ user', 8: 'é\u0001' }, { 0: 'root', 8: '\u2028' });
    const q = queues.map((r, i) => ({
      ...r,
      uid: [0, 7, 8, 4242][i % 4]!,
      stime: i,
      qbytes: i ? 16384 : null,
    }));
    const m = segments.map((r, i) => ({
      ...r,
      gid: 8,
      rss: i ? null : 4096,
      dest: i % 2 === 0,
      swap: Number.NaN,
    }));
    const s = semaphores.flatMap((r) => [
      { ...r, elements: null },
      { ...r, elements: [] },
      {
        ...r,
        elements: [0, 1, 2].map((n) => ({ semnum: n, value: 32767 - n, ncount: n, zcount: 0, pid: 10 + n })),
      },
    ]);
    for (const n of [names, odd]) {
      const data = { queues: q, segments: m, semaphores: s };
      const objects = toJson(listDocument(all, data, n));
      expect(toJson(listDocument(all, data, n, 'lazy'))).toBe(objects);
      expect(toJson(listDocument(all, data, n, 'lazy'), '\t')).toBe(toJson(listDocument(all, data, n), '\t'));
      for (const r of [...q, ...m, ...s])
        expect(`${recordText(r, n, '', '  ')}\n`).toBe(toJson(recordJson(r, n)));
      // A set's semaphores packed (leaks --json holds them so): value, ncount, zcount, pid each.
      for (const r of s.filter((x) => x.elements !== null)) {
        const packed = Int32Array.from(r.elements!.flatMap((e) => [e.value, e.ncount, e.zcount, e.pid]));
        expect(recordText({ ...r, elements: null }, n, '  ', '  ', packed)).toBe(
          recordText(r, n, '  ', '  '),
        );
      }
    }
  });
});
