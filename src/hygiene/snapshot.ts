// Snapshots and their differences. A snapshot is exactly what `svipc ipcs --json` prints
// (schema/ipcs.schema.json, mode 'list', every kind, semaphore elements included): the
// records come from the one inventory (src/ipc/inventory.ts), the JSON from its renderer.
// An object is the same object in two snapshots when kind, id and key match (the kernel
// folds a sequence number into ids, so a removed object's id comes back only after the
// sequence wraps).
import { listAll } from '../ipc/inventory.js';
import { permString, plural, sizeToHumanString } from '../render/human.js';
import { listDocument } from '../render/ipcs-json.js';
import type { JsonValue } from '../render/json.js';
import type { NameResolver } from '../render/names.js';

export type Obj = { [key: string]: JsonValue };

export interface Snapshot {
  schemaVersion: number;
  mode: 'list';
  queues: Obj[];
  segments: Obj[];
  semaphores: Obj[];
}

/** Every visible object, now. */
export function takeSnapshot(names: NameResolver): Snapshot {
  const all = listAll({ values: true });
  return listDocument({ msg: true, shm: true, sem: true }, all, names) as unknown as Snapshot;
}

export class SnapshotFormatError extends Error {}

/** Check that parsed JSON is a snapshot (`svipc snapshot` or `svipc ipcs --json`). */
export function asSnapshot(doc: unknown): Snapshot {
  const d = doc as Partial<Snapshot> | null;
  if (d === null || typeof d !== 'object' || Array.isArray(d))
    throw new SnapshotFormatError('not a JSON object');
  if (d.schemaVersion !== 1)
    throw new SnapshotFormatError(`schemaVersion ${String(d.schemaVersion)} (1 expected)`);
  if (d.mode !== 'list')
    throw new SnapshotFormatError(
      `mode '${String(d.mode)}' ('list' expected: svipc snapshot or ipcs --json)`,
    );
  const out: Snapshot = { schemaVersion: 1, mode: 'list', queues: [], segments: [], semaphores: [] };
  for (const k of ['queues', 'segments', 'semaphores'] as const) {
    const list = d[k];
    if (list === undefined) continue;
    if (
      !Array.isArray(list) ||
      list.some((r) => r === null || typeof r !== 'object' || typeof r.id !== 'number')
    ) {
      throw new SnapshotFormatError(`'${k}' is not a list of records`);
    }
    out[k] = list;
  }
  return out;
}

/** Which kinds a (possibly partial, e.g. `ipcs --json -q`) snapshot covers. */
export function coveredKinds(doc: unknown): { queues: boolean; segments: boolean; semaphores: boolean } {
  const d = doc as Record<string, unknown>;
  return { queues: 'queues' in d, segments: 'segments' in d, semaphores: 'semaphores' in d };
}

export function identity(r: Obj): string {
  return `${String(r.kind)}:${String(r.id)}:${String(r.key)}`;
}

export function records(s: Snapshot): Obj[] {
  return [...s.queues, ...s.segments, ...s.semaphores];
}

export interface SnapshotDiff {
  appeared: Obj[];
  disappeared: Obj[];
}

/** What is in `after` and not in `before`, and the other way round. */
export function diffSnapshots(
  before: Snapshot,
  after: Snapshot,
  kinds = { queues: true, segments: true, semaphores: true },
): SnapshotDiff {
  const pick = (s: Snapshot) => [
    ...(kinds.queues ? s.queues : []),
    ...(kinds.segments ? s.segments : []),
    ...(kinds.semaphores ? s.semaphores : []),
  ];
  const b = new Map(pick(before).map((r) => [identity(r), r]));
  const a = new Map(pick(after).map((r) => [identity(r), r]));
  return {
    appeared: [...a].filter(([k]) => !b.has(k)).map(([, r]) => r),
    disappeared: [...b].filter(([k]) => !a.has(k)).map(([, r]) => r),
  };
}

const KIND_WORD: Record<string, string> = { msg: 'queue', shm: 'segment', sem: 'semaphores' };

/** Bytes as a person reads them: "10B", "4K", "1.5M" (exact figures are in the JSON). */
const bytes = (v: JsonValue | undefined): string => sizeToHumanString(BigInt(String(v ?? 0)));

/** One line per object, for people: `queue 3 key 0x00001234 owner root rw-------: 2 messages, 10B`. */
export function describeRecord(r: Obj): string {
  const owner = r.user ?? r.uid;
  const head = `${KIND_WORD[String(r.kind)] ?? String(r.kind)} ${String(r.id)} key ${String(r.keyHex)} owner ${String(owner)} ${permString(Number(r.perms))}`;
  if (r.kind === 'msg') return `${head}: ${plural(Number(r.qnum), 'message')}, ${bytes(r.cbytes)}`;
  if (r.kind === 'shm')
    return `${head}: ${bytes(r.size)}, nattch ${String(r.nattch)}${r.dest ? ', marked for removal' : ''}`;
  return `${head}: ${plural(Number(r.nsems), 'semaphore')}`;
}
