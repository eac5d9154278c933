// svipc ipcs --json: one document per run, described by schema/ipcs.schema.json and
// the README (svipc-ipcs(1) too). Records keep the inventory's field names (the kernel's, without prefixes);
// on top: keyHex (0x%08x), perms (mode & 0777) and permsOctal, user and group names (null
// when the id has none), and times as ISO-8601 UTC strings (null = never).
// Bump IPCS_JSON_SCHEMA_VERSION on any change that is not a pure addition.
import { formatKey } from '../ipc/ftok.js';
import type {
  IpcKind,
  IpcRecord,
  QueueLimits,
  QueueRecord,
  SegmentLimits,
  SegmentRecord,
  SemaphoreLimits,
  SemaphoreRecord,
} from '../ipc/inventory.js';
import type { MsgInfo, SemInfo, ShmInfo } from '../ipc/types.js';
import { JsonRows, type JsonValue, scalar } from './json.js';
import type { NameResolver } from './names.js';
import { isoTime } from './time.js';

export const IPCS_JSON_SCHEMA_VERSION = 1;

type Obj = { [key: string]: JsonValue };

// The members every kind has, then the kind's own, added to the same object in the schema's
// order (assignments, not a spread of a base object: a listing makes tens of thousands).
function base(r: IpcRecord, names: NameResolver): Obj {
  const perms = r.mode & 0o777;
  return {
    kind: r.kind,
    id: r.id,
    key: r.key,
    keyHex: formatKey(r.key),
    mode: r.mode,
    perms,
    permsOctal: perms.toString(8),
    uid: r.uid,
    user: names.user(r.uid),
    gid: r.gid,
    group: names.group(r.gid),
    cuid: r.cuid,
    creatorUser: names.user(r.cuid),
    cgid: r.cgid,
    creatorGroup: names.group(r.cgid),
  };
}

/** Members holding a time: seconds in the record, ISO-8601 (or null) in the document. */
const TIMES = new Set(['stime', 'rtime', 'ctime', 'otime', 'atime', 'dtime']);

/** Each kind's own members, in the schema's order, copied from the record as they are (times as ISO). */
function withMembers<R extends IpcRecord>(
  r: R,
  names: NameResolver,
  members: readonly (keyof R & string)[],
): Obj {
  const o = base(r, names);
  for (const m of members) {
    const v = r[m] as JsonValue;
    o[m] = TIMES.has(m) ? isoTime(v as number) : v;
  }
  return o;
}

const QUEUE_MEMBERS = ['cbytes', 'qnum', 'qbytes', 'lspid', 'lrpid', 'stime', 'rtime', 'ctime'] as const;
const SEGMENT_MEMBERS = [
  'size',
  'cpid',
  'lpid',
  'nattch',
  'atime',
  'dtime',
  'ctime',
  'rss',
  'swap',
  'dest',
  'locked',
] as const;

export function queueJson(r: QueueRecord, names: NameResolver): Obj {
  return withMembers(r, names, QUEUE_MEMBERS);
}

const SEMAPHORE_MEMBERS = ['nsems', 'otime', 'ctime'] as const;

export function semaphoreJson(r: SemaphoreRecord, names: NameResolver): Obj {
  const o = withMembers(r, names, SEMAPHORE_MEMBERS);
  o.elements = r.elements === null ? null : r.elements.map((e) => ({ ...e }));
  return o;
}

export function segmentJson(r: SegmentRecord, names: NameResolver): Obj {
  return withMembers(r, names, SEGMENT_MEMBERS);
}

export function recordJson(r: IpcRecord, names: NameResolver): Obj {
  if (r.kind === 'msg') return queueJson(r, names);
  if (r.kind === 'sem') return semaphoreJson(r, names);
  return segmentJson(r, names);
}

type Scalar = null | undefined | boolean | number | string;

/**
 * The text of recordJson(r, names) at `indent`, as json.ts's text() writes it, made straight
 * from the record (no document object, no walk over its members): a listing's hot path.
 * test/unit/ipcs-json.test.ts compares the two on every kind of record.
 */
export function recordText(
  r: IpcRecord,
  names: NameResolver,
  indent: string,
  step: string,
  /** A set's semaphores packed as value, ncount, zcount, pid (4 int32s each), when r.elements is null. */
  packed?: Int32Array,
): string {
  const p = prefixes(r.kind, indent, step);
  const perms = r.mode & 0o777;
  let out = p[0]! + scalar(r.kind);
  out = put(out, p[1]!, r.id);
  out = put(out, p[2]!, r.key);
  out = put(out, p[3]!, formatKey(r.key));
  out = put(out, p[4]!, r.mode);
  out = put(out, p[5]!, perms);
  out = put(out, p[6]!, perms.toString(8));
  out = put(out, p[7]!, r.uid);
  out = put(out, p[8]!, names.user(r.uid));
  out = put(out, p[9]!, r.gid);
  out = put(out, p[10]!, names.group(r.gid));
  out = put(out, p[11]!, r.cuid);
  out = put(out, p[12]!, names.user(r.cuid));
  out = put(out, p[13]!, r.cgid);
  out = put(out, p[14]!, names.group(r.cgid));
  const members = KIND_MEMBERS[r.kind];
  const rec = r as unknown as Record<string, Scalar>;
  for (let i = 0; i < members.length; i++) {
    const m = members[i]!;
    out = put(out, p[15 + i]!, TIMES.has(m) ? isoTime(rec[m] as number) : rec[m]);
  }
  if (r.kind === 'sem')
    out += p[15 + members.length]! + elementsText(r.elements, indent + step, step, packed);
  return out + p[p.length - 1]!;
}

/** `out` and a member (its prefix and value's text); a member whose value is undefined is left out, as text() does. */
function put(out: string, prefix: string, v: Scalar): string {
  return v === undefined ? out : out + prefix + scalar(v);
}

const BASE_MEMBERS = [
  'kind',
  'id',
  'key',
  'keyHex',
  'mode',
  'perms',
  'permsOctal',
  'uid',
  'user',
  'gid',
  'group',
];
const KIND_MEMBERS: Record<IpcKind, readonly string[]> = {
  msg: QUEUE_MEMBERS,
  shm: SEGMENT_MEMBERS,
  sem: SEMAPHORE_MEMBERS,
};

/**
 * Per kind and indentation, what comes before each member's value (`{\n  "kind": `, then
 * `,\n  "id": `...; for a set, before its elements) and the closing `\n}`: made once.
 */
const prefixCache = new Map<string, string[]>();
function prefixes(kind: IpcKind, indent: string, step: string): string[] {
  const id = `${kind}\0${indent}\0${step}`;
  let p = prefixCache.get(id);
  if (p === undefined) {
    const inner = indent + step;
    const names = [...BASE_MEMBERS, 'cuid', 'creatorUser', 'cgid', 'creatorGroup', ...KIND_MEMBERS[kind]];
    if (kind === 'sem') names.push('elements');
    p = names.map((k, i) => `${i === 0 ? '{\n' : ',\n'}${inner}${JSON.stringify(k)}: `);
    p.push(`\n${indent}}`);
    if (prefixCache.size < 64) prefixCache.set(id, p);
  }
  return p;
}

/**
 * A set's elements at `indent` (semaphoreJson copies each as it is: these members, this order),
 * from the records or, when given, packed (4 int32s per semaphore, its semnum its index).
 */
function elementsText(
  elements: SemaphoreRecord['elements'],
  indent: string,
  step: string,
  packed?: Int32Array,
): string {
  if (packed === undefined && elements === null) return 'null';
  const n = packed !== undefined ? packed.length / 4 : elements!.length;
  if (n === 0) return '[]';
  const item = indent + step;
  const m = item + step;
  const open = `${item}{\n${m}"semnum": `;
  const value = `,\n${m}"value": `;
  const ncount = `,\n${m}"ncount": `;
  const zcount = `,\n${m}"zcount": `;
  const pid = `,\n${m}"pid": `;
  const close = `\n${item}}`;
  let out = '[\n';
  for (let i = 0; i < n; i++) {
    if (i > 0) out += ',\n';
    if (packed !== undefined) {
      const o = 4 * i;
      out += `${open}${i}${value}${packed[o]}${ncount}${packed[o + 1]}${zcount}${packed[o + 2]}${pid}${packed[o + 3]}${close}`;
      continue;
    }
    const e = elements![i]!;
    out +=
      open +
      scalar(e.semnum) +
      value +
      scalar(e.value) +
      ncount +
      scalar(e.ncount) +
      zcount +
      scalar(e.zcount) +
      pid +
      scalar(e.pid) +
      close;
  }
  return `${out}\n${indent}]`;
}

/** Which kinds a run covers; absent kinds are absent from the document. */
export interface Kinds {
  msg: boolean;
  shm: boolean;
  sem: boolean;
}

/**
 * `ipcs --json [-q] [-m] [-s]`: the listings. With `rows: 'lazy'` each record becomes its JSON
 * object only as it is written (JsonRows): for output, where the document is never held whole;
 * the default makes arrays, for a caller that keeps or compares the document.
 */
export function listDocument(
  kinds: Kinds,
  data: {
    queues?: Iterable<QueueRecord>;
    segments?: Iterable<SegmentRecord>;
    semaphores?: Iterable<SemaphoreRecord>;
  },
  names: NameResolver,
  rows: 'arrays' | 'lazy' = 'arrays',
): Obj {
  const list = <R extends IpcRecord>(
    records: Iterable<R> | undefined,
    json: (r: R, names: NameResolver) => Obj,
  ): JsonValue =>
    rows === 'lazy'
      ? JsonRows.of(
          records ?? [],
          (r: R) => json(r, names),
          (r, indent, step) => recordText(r, names, indent, step),
        )
      : Array.from(records ?? [], (r) => json(r, names));
  const doc: Obj = { schemaVersion: IPCS_JSON_SCHEMA_VERSION, mode: 'list' };
  if (kinds.msg) doc.queues = list(data.queues, queueJson);
  if (kinds.shm) doc.segments = list(data.segments, segmentJson);
  if (kinds.sem) doc.semaphores = list(data.semaphores, semaphoreJson);
  return doc;
}

/** `ipcs --json -q|-m|-s -i ID`: one object, or null when there is none with that id. */
export function idDocument(kind: IpcKind, id: number, record: IpcRecord | null, names: NameResolver): Obj {
  return {
    schemaVersion: IPCS_JSON_SCHEMA_VERSION,
    mode: 'id',
    kind,
    id,
    object: record === null ? null : recordJson(record, names),
  };
}

/** `ipcs --json -l`: null for a kind whose limits cannot be fetched. */
export function limitsDocument(
  kinds: Kinds,
  data: { queues?: QueueLimits | null; segments?: SegmentLimits | null; semaphores?: SemaphoreLimits | null },
): Obj {
  const doc: Obj = { schemaVersion: IPCS_JSON_SCHEMA_VERSION, mode: 'limits' };
  if (kinds.msg) doc.queues = data.queues ? { ...data.queues } : null;
  if (kinds.shm) doc.segments = data.segments ? { ...data.segments } : null;
  if (kinds.sem) doc.semaphores = data.semaphores ? { ...data.semaphores } : null;
  return doc;
}

/** `ipcs --json -u`: MSG_INFO, SHM_INFO, SEM_INFO; null for a kind the kernel lacks. */
export function summaryDocument(
  kinds: Kinds,
  data: { queues?: MsgInfo | null; segments?: ShmInfo | null; semaphores?: SemInfo | null },
): Obj {
  const doc: Obj = { schemaVersion: IPCS_JSON_SCHEMA_VERSION, mode: 'summary' };
  if (kinds.msg) {
    const q = data.queues;
    doc.queues = q ? { msgpool: q.msgpool, msgmap: q.msgmap, msgtql: q.msgtql } : null;
  }
  if (kinds.shm) {
    const s = data.segments;
    doc.segments = s
      ? {
          usedIds: s.usedIds,
          shmTot: s.shmTot,
          shmRss: s.shmRss,
          shmSwp: s.shmSwp,
          swapAttempts: s.swapAttempts,
          swapSuccesses: s.swapSuccesses,
        }
      : null;
  }
  if (kinds.sem) {
    const s = data.semaphores;
    doc.semaphores = s ? { semusz: s.semusz, semaem: s.semaem } : null;
  }
  return doc;
}
