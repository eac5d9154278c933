// `svipc diff SNAPSHOT`: the snapshot against the objects now, in one pass over each and
// without holding either. The snapshot is scanned as it is read (snapshot-scan.ts); of each
// record only its identity and where it is are kept, and the ones that are gone are read again
// when they are printed (a pipe's bytes are held: it cannot be read twice). The objects now are
// read from /proc by identity only (live-identities.ts): a new one's record is made and printed
// as it is met (a new set's elements are read then, the others' never), the ones that are gone
// at the end.
// Output, order and verdict are diffSnapshots's (snapshot.ts): the same object is the same
// identity; a record given twice counts once, where it first came, as it last was.
import type { CommandContext } from '../cli/context.js';
import { CommandError } from '../cli/exit.js';
import {
  type SemaphoreRecord,
  streamQueues,
  streamSegments,
  streamSemaphores,
  withElements,
} from '../ipc/inventory.js';
import { queueJson, segmentJson, semaphoreJson } from '../render/ipcs-json.js';
import { JsonRows, type JsonValue } from '../render/json.js';
import type { NameResolver } from '../render/names.js';
import { notSnapshot, readSpan, scanSnapshot, VERDICT_EXIT } from './input.js';
import { appearedSysv } from './live-identities.js';
import { isPosixKind, posixSections } from './posix.js';
import {
  describeRecord,
  identity,
  type Obj,
  POSIX_SECTIONS,
  SECTIONS,
  type Section,
  type Snapshot,
  type SnapshotDiff,
  SnapshotFormatError,
  SYSV_SECTIONS,
} from './snapshot.js';
import type { ScanSink } from './snapshot-scan.js';

/**
 * A snapshot as diff keeps it: per section, each record's identity and where it is (the
 * record itself when the document was read whole); `record` reads one again, when it is printed.
 */
export interface KeptSnapshot {
  schemaVersion: number;
  sections: { [S in Section]?: { ids: string[]; kept: (number | Obj)[] } };
  /** The record kept as `kept` (a number: read again from the input, and checked to be `id`'s). */
  record(kept: number | Obj, id: string): Obj;
}

/** The members identity() and the record check read: nothing else of a record is made. */
const IDENTIFYING: ReadonlySet<string> = new Set(['kind', 'id', 'key', 'name']);

const isSysv = (k: string): boolean => (SYSV_SECTIONS as readonly string[]).includes(k);

/** The check asSnapshot makes of each record of a section. */
function isRecord(k: string, r: Obj | null): boolean {
  if (r === null) return false;
  return isSysv(k) ? typeof r.id === 'number' : typeof r.name === 'string' && isPosixKind(r.kind);
}

/** FILE read as a KeptSnapshot, checked as asSnapshot checks it (same messages, exit 2). */
export async function readKept(ctx: CommandContext, file: string): Promise<KeptSnapshot> {
  const top: Record<string, unknown> = Object.create(null); // `__proto__` may be a member
  type List = { ids: string[]; kept: number[]; valid: boolean };
  const lists = new Map<string, List>();
  const spans: number[] = []; // from, to of each kept record
  let open: List | null = null;
  let openKey = '';
  const sink: ScanSink = {
    isSection: (k) => (SECTIONS as readonly string[]).includes(k),
    wanted: IDENTIFYING,
    member: (k, v) => {
      top[k] = v;
      lists.delete(k);
    },
    section: (k) => {
      open = { ids: [], kept: [], valid: true };
      openKey = k;
      lists.set(k, open);
      top[k] = true;
    },
    record: (members, _text, from, to) => {
      const list = open!;
      const r = members as Obj | null;
      if (!isRecord(openKey, r)) {
        list.valid = false;
        return;
      }
      if (!list.valid) return;
      list.ids.push(identity(r!));
      list.kept.push(spans.length);
      spans.push(from, to);
    },
  };
  let whole: Snapshot | null = null;
  const scanned = await scanSnapshot(ctx, file, sink, (s) => (whole = s));
  if (scanned === null) return keptOf(whole!);
  // asSnapshot's checks, in its order, on what the scan saw.
  const v = top.schemaVersion;
  const trouble = (why: string) => new SnapshotFormatError(why);
  try {
    if (v !== 1 && v !== 2) throw trouble(`schemaVersion ${String(v)} (1 or 2 expected)`);
    if (top.mode !== 'list')
      throw trouble(`mode '${String(top.mode)}' ('list' expected: svipc snapshot or ipcs --json)`);
    const out: KeptSnapshot = {
      schemaVersion: v,
      sections: {},
      record: (kept, id) => {
        if (typeof kept !== 'number') return kept;
        const r = JSON.parse(readSpan(file, scanned.held, spans[kept]!, spans[kept + 1]!)) as Obj;
        if (identity(r) !== id)
          throw new CommandError(`${file}: changed while diff read it`, VERDICT_EXIT.TROUBLE);
        return r;
      },
    };
    for (const k of v === 1 ? SYSV_SECTIONS : SECTIONS) {
      if (!(k in top)) continue;
      const list = lists.get(k);
      if (list === undefined || !list.valid) throw trouble(`'${k}' is not a list of records`);
      out.sections[k] = { ids: list.ids, kept: list.kept };
    }
    return out;
  } catch (e) {
    if (e instanceof SnapshotFormatError) throw notSnapshot(file, e);
    throw e;
  }
}

/** A document read whole (the scan could not follow it), kept as it is. */
function keptOf(s: Snapshot): KeptSnapshot {
  const out: KeptSnapshot = { schemaVersion: s.schemaVersion, sections: {}, record: (kept) => kept as Obj };
  for (const k of SECTIONS) {
    const list = s[k];
    if (list !== undefined) out.sections[k] = { ids: list.map(identity), kept: list };
  }
  return out;
}

/**
 * Why POSIX objects were not compared (posixNotComparedNote's words), once the sections both
 * cover are known; and those sections, in diffSnapshots's order.
 */
export function compared(
  before: KeptSnapshot,
  live: readonly Section[],
): { both: Section[]; notCompared: Section[] } {
  const both = SECTIONS.filter((k) => before.sections[k] !== undefined && live.includes(k));
  return { both, notCompared: SECTIONS.filter((k) => !both.includes(k)) };
}

/** The System V kind of each System V section. */
const SYSV_KIND = { queues: 'msg', segments: 'shm', semaphores: 'sem' } as const;

/**
 * The objects of section `k` now whose identity `isNew` calls new, as document records made as
 * they are yielded. System V: from /proc/sysvipc by identity only (live-identities.ts), or, where
 * it cannot be read, the inventory's syscall scan; POSIX: the records read at the start.
 */
function* appearedIn(
  k: Section,
  names: NameResolver,
  posix: { [k: string]: Obj[] | undefined },
  isNew: (identity: string) => boolean,
): Generator<Obj> {
  if (k === 'queues' || k === 'segments' || k === 'semaphores') {
    const fromProc = appearedSysv(SYSV_KIND[k], names, isNew);
    if (fromProc !== null) yield* fromProc;
    else if (k === 'queues') {
      for (const r of streamQueues().records) if (isNew(`msg:${r.id}:${r.key}`)) yield queueJson(r, names);
    } else if (k === 'segments') {
      for (const r of streamSegments().records)
        if (isNew(`shm:${r.id}:${r.key}`)) yield segmentJson(r, names);
    } else
      for (const r of streamSemaphores().records)
        if (isNew(`sem:${r.id}:${r.key}`)) yield semaphoreJson(withElements(r as SemaphoreRecord), names);
  } else for (const o of posix[k] ?? []) if (isNew(identity(o))) yield o;
}

export interface LiveDiff {
  /** The sections not compared (see posixNotComparedNote). */
  notCompared: Section[];
  /** What appeared, made as it is met (iterate once, before `disappeared`). */
  appeared: Iterable<Obj>;
  /** How many `appeared` gave (after it). */
  appearedCount: () => number;
  /** What disappeared: `-` lines, or (json) records. */
  disappeared: Iterable<string | Obj>;
}

/** `before` against the objects now (see the top of this file). */
export function diffLive(before: KeptSnapshot, names: NameResolver): LiveDiff {
  const hasPosix = POSIX_SECTIONS.some((k) => before.sections[k] !== undefined);
  const posix: { [k: string]: Obj[] | undefined } = hasPosix ? posixSections(names) : {};
  // Without POSIX sections in `before`, the live ones are not compared whatever they are.
  const live = SECTIONS.filter((k) => isSysv(k) || posix[k] !== undefined);
  const { both, notCompared } = compared(before, live);
  const b = new Map<string, number | Obj>();
  for (const k of both) {
    const { ids, kept } = before.sections[k]!;
    for (let i = 0; i < ids.length; i++) b.set(ids[i]!, kept[i]!);
  }
  // A live object found in `before` is marked there (no set of the 37,000 live identities);
  // only the ones that appeared are remembered, so that one given twice counts once.
  const MET = -1;
  const newOnes = new Set<string>();
  let count = 0;
  const isNew = (id: string): boolean => {
    const kept = b.get(id);
    if (kept !== undefined) {
      if (kept !== MET) b.set(id, MET);
      return false;
    }
    if (newOnes.has(id)) return false;
    newOnes.add(id);
    count++;
    return true;
  };
  function* appeared(): Generator<Obj> {
    for (const k of both) yield* appearedIn(k, names, posix, isNew);
  }
  function* disappeared(): Generator<string | Obj> {
    for (const [id, kept] of b) {
      if (kept === MET) continue;
      yield before.record(kept, id);
    }
  }
  return { notCompared, appeared: appeared(), appearedCount: () => count, disappeared: disappeared() };
}

/**
 * The diff as diff prints it: `+`/`-` lines in pieces of about 64 KiB. A line that cannot be
 * made (a record with a size that is not a number) ends it with what came before it written.
 */
export function* diffText(d: LiveDiff): Generator<string> {
  let out = '';
  const lines = function* (): Generator<string> {
    for (const r of d.appeared) yield `+ ${describeRecord(r)}\n`;
    for (const line of d.disappeared) yield `- ${typeof line === 'string' ? line : describeRecord(line)}\n`;
  };
  try {
    for (const line of lines()) {
      out += line;
      if (out.length >= 65536) {
        yield out;
        out = '';
      }
    }
  } catch (e) {
    if (out !== '') yield out;
    throw e;
  }
  if (out !== '') yield out;
}

/** diffSnapshots's result as a LiveDiff (two files: both read whole). */
export function asLiveDiff(d: SnapshotDiff): LiveDiff {
  return {
    notCompared: d.notCompared,
    appeared: d.appeared,
    appearedCount: () => d.appeared.length,
    disappeared: d.disappeared,
  };
}

/** The --json document's value (for jsonChunks): records made as they are written. */
export function diffDocument(d: LiveDiff, schemaVersion: number): JsonValue {
  return {
    schemaVersion,
    appeared: JsonRows.of(d.appeared, (r) => r),
    disappeared: JsonRows.of(d.disappeared, (r) => r as Obj),
  };
}
