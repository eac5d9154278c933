// Snapshots and their differences. A snapshot (schema/snapshot.schema.json, schemaVersion 2) is
// the `svipc ipcs --json` list document (every System V kind, semaphore elements included) plus
// the POSIX objects: posixQueues, posixSemaphores, posixSegments (src/hygiene/posix.ts). The
// records come from the inventories, the JSON from their renderers.
// `svipc diff` also reads version 1 (an older svipc snapshot, or `ipcs --json`, which stays
// System V only): a section a document lacks is not compared, and the caller says so.
// An object is the same object in two snapshots when kind, id and key match (System V: the
// kernel folds a sequence number into ids, so a removed object's id comes back only after the
// sequence wraps) or kind and name match (POSIX: a name removed and made again in between counts
// as the same object).
import { closeSync, openSync, writeSync } from 'node:fs';
import { listAll, streamAll } from '../ipc/inventory.js';
import { permString, plural, sizeToHumanString } from '../render/human.js';
import { listDocument } from '../render/ipcs-json.js';
import { type JsonValue, jsonChunks } from '../render/json.js';
import type { NameResolver } from '../render/names.js';
import { describePosix, isPosixKind, posixSections } from './posix.js';

export type Obj = { [key: string]: JsonValue };

/** The version `svipc snapshot` writes; diff reads 1 and 2. */
export const SNAPSHOT_SCHEMA_VERSION = 2;

export const SYSV_SECTIONS = ['queues', 'segments', 'semaphores'] as const;
export const POSIX_SECTIONS = ['posixQueues', 'posixSemaphores', 'posixSegments'] as const;
export const SECTIONS = [...SYSV_SECTIONS, ...POSIX_SECTIONS] as const;
export type Section = (typeof SECTIONS)[number];

/** A snapshot document; a section it does not cover is absent (undefined). */
export type Snapshot = { schemaVersion: number; mode: 'list' } & { [S in Section]?: Obj[] };

/** Every visible object, now, as a document to compare (see snapshotText for output). */
export function takeSnapshot(names: NameResolver): Snapshot {
  const all = listAll({ values: true });
  const sysv = listDocument({ msg: true, shm: true, sem: true }, all, names);
  return { ...sysv, schemaVersion: SNAPSHOT_SCHEMA_VERSION, ...posixSections(names) } as Snapshot;
}

/**
 * The same snapshot as JSON text in chunks, for output: the System V records stream from /proc
 * into the text as it is written (JsonRows), so the document is never held whole.
 */
export function snapshotChunks(names: NameResolver): Generator<string> {
  const sysv = listDocument({ msg: true, shm: true, sem: true }, streamAll({ values: true }), names, 'lazy');
  return jsonChunks({ ...sysv, schemaVersion: SNAPSHOT_SCHEMA_VERSION, ...posixSections(names) });
}

export class SnapshotFormatError extends Error {}

/** Check that parsed JSON is a snapshot (`svipc snapshot` v1 or v2, or `svipc ipcs --json`). */
export function asSnapshot(doc: unknown): Snapshot {
  const d = doc as { [k: string]: unknown } | null;
  if (d === null || typeof d !== 'object' || Array.isArray(d))
    throw new SnapshotFormatError('not a JSON object');
  if (d.schemaVersion !== 1 && d.schemaVersion !== 2)
    throw new SnapshotFormatError(`schemaVersion ${String(d.schemaVersion)} (1 or 2 expected)`);
  if (d.mode !== 'list')
    throw new SnapshotFormatError(
      `mode '${String(d.mode)}' ('list' expected: svipc snapshot or ipcs --json)`,
    );
  const out: Snapshot = { schemaVersion: d.schemaVersion, mode: 'list' };
  // Version 1 has no POSIX sections: any there are not read.
  const sections = d.schemaVersion === 1 ? SYSV_SECTIONS : SECTIONS;
  for (const k of sections) {
    const list = d[k];
    if (list === undefined) continue;
    const sysv = (SYSV_SECTIONS as readonly string[]).includes(k);
    if (
      !Array.isArray(list) ||
      list.some(
        (r) =>
          r === null ||
          typeof r !== 'object' ||
          (sysv ? typeof r.id !== 'number' : typeof r.name !== 'string' || !isPosixKind(r.kind)),
      )
    ) {
      throw new SnapshotFormatError(`'${k}' is not a list of records`);
    }
    out[k] = list as Obj[];
  }
  return out;
}

export function identity(r: Obj): string {
  if (isPosixKind(r.kind)) return `${r.kind}:${String(r.name)}`;
  return `${String(r.kind)}:${String(r.id)}:${String(r.key)}`;
}

export interface SnapshotDiff {
  appeared: Obj[];
  disappeared: Obj[];
  /** Sections one of the two does not cover, so not compared. */
  notCompared: Section[];
}

/** What is in `after` and not in `before`, and the other way round, on the sections both cover. */
export function diffSnapshots(before: Snapshot, after: Snapshot): SnapshotDiff {
  const both = SECTIONS.filter((k) => before[k] !== undefined && after[k] !== undefined);
  const pick = (s: Snapshot) => both.flatMap((k) => s[k] ?? []);
  const b = new Map(pick(before).map((r) => [identity(r), r]));
  const a = new Map(pick(after).map((r) => [identity(r), r]));
  return {
    appeared: [...a].filter(([k]) => !b.has(k)).map(([, r]) => r),
    disappeared: [...b].filter(([k]) => !a.has(k)).map(([, r]) => r),
    notCompared: SECTIONS.filter((k) => !both.includes(k)),
  };
}

/**
 * Why POSIX objects were not compared, for stderr (System V sections left out of a partial
 * `ipcs --json -q` are the user's own choice, said nowhere). null when they all were.
 */
export function posixNotComparedNote(
  d: Pick<SnapshotDiff, 'notCompared'>,
  before: Pick<Snapshot, 'schemaVersion'>,
  beforeName: string,
): string | null {
  const missing = d.notCompared.filter((k) => (POSIX_SECTIONS as readonly string[]).includes(k));
  if (missing.length === 0) return null;
  if (before.schemaVersion === 1)
    return `${beforeName} is a version 1 snapshot (System V only): POSIX objects not compared`;
  if (missing.length === 1 && missing[0] === 'posixQueues')
    return 'POSIX message queues not compared: /dev/mqueue was not mounted when one of the snapshots was taken';
  return `POSIX objects not compared (${missing.join(', ')}): a snapshot lacks them`;
}

const KIND_WORD: Record<string, string> = { msg: 'queue', shm: 'segment', sem: 'semaphores' };

/** Bytes as a person reads them: "10B", "4K", "1.5M" (exact figures are in the JSON). */
const bytes = (v: JsonValue | undefined): string => sizeToHumanString(BigInt(String(v ?? 0)));

/**
 * One line per object, for people: `queue 3 key 0x00001234 owner root rw-------: 2 messages, 10B`,
 * `posix shm /frames owner root rw-------: 4K`.
 */
export function describeRecord(r: Obj): string {
  if (isPosixKind(r.kind)) return describePosix(r);
  const owner = r.user ?? r.uid;
  const head = `${KIND_WORD[String(r.kind)] ?? String(r.kind)} ${String(r.id)} key ${String(r.keyHex)} owner ${String(owner)} ${permString(Number(r.perms))}`;
  if (r.kind === 'msg') return `${head}: ${plural(Number(r.qnum), 'message')}, ${bytes(r.cbytes)}`;
  if (r.kind === 'shm')
    return `${head}: ${bytes(r.size)}, nattch ${String(r.nattch)}${r.dest ? ', marked for removal' : ''}`;
  return `${head}: ${plural(Number(r.nsems), 'semaphore')}`;
}

/** writeFileSync, one chunk at a time (each written whole: writeSync may take less). */
export function writeChunksToFile(path: string, chunks: Iterable<string>): void {
  const fd = openSync(path, 'w');
  try {
    for (const chunk of chunks) {
      const bytes = Buffer.from(chunk);
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    }
  } finally {
    closeSync(fd);
  }
}
