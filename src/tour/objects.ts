// What the tour made, and how it is removed: the registry (one JSON line per change, on the
// disk before an object is trusted, for the guard), and removal that touches only what the
// tour can prove it made. Every kind question goes to the kind table (src/ipc/kinds.ts).

import { isIpcError } from '../ipc/errors.js';
import { type IpcKind, KINDS } from '../ipc/kinds.js';
import type { PosixKind } from '../ipc/posix-inventory.js';
import { PosixMessageQueue } from '../ipc/posix-mq.js';
import { PosixSemaphore } from '../ipc/posix-sem.js';
import type { Tracer } from '../ipc/trace.js';

/** In the scratch folder: the registry, one JSON line per change, for the guard. */
export const REGISTRY_FILE = '.owned.jsonl';

/** A POSIX object the tour's POSIX helper made on the host (not in a private namespace). */
export interface OwnedName {
  kind: Extract<PosixKind, 'pmsg' | 'psem'>;
  name: string;
}

/** A line of the registry. */
export type RegistryLine =
  | { op: 'own'; kind: IpcKind; id: number; key?: number }
  | { op: 'disown'; kind: IpcKind; id: number }
  | { op: 'ownKey'; kind: IpcKind; key: number }
  | ({ op: 'ownName' } & OwnedName);

/** An object the tour created, known by id (and, when made with a key, by key). */
export interface Owned {
  kind: IpcKind;
  id: number;
  key?: number;
}

export interface OwnedSet {
  owned: Owned[];
  ownedKeys: { kind: IpcKind; key: number }[];
  names: OwnedName[];
}

const ALL_KINDS = Object.keys(KINDS) as IpcKind[];

/** The objects a registry leaves owned, in order (a line cut by the tour's death is skipped). */
export function replay(text: string): OwnedSet {
  const set: OwnedSet = { owned: [], ownedKeys: [], names: [] };
  const { owned } = set;
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    let line: RegistryLine;
    try {
      line = JSON.parse(raw) as RegistryLine;
    } catch {
      continue;
    }
    if (line.op === 'ownName') {
      set.names.push({ kind: line.kind, name: line.name });
      continue;
    }
    const i = owned.findIndex((o) => o.kind === line.kind && 'id' in line && o.id === line.id);
    if (line.op === 'own') {
      if (i >= 0) owned.splice(i, 1);
      owned.push(
        line.key === undefined
          ? { kind: line.kind, id: line.id }
          : { kind: line.kind, id: line.id, key: line.key },
      );
    } else if (line.op === 'disown') {
      if (i >= 0) owned.splice(i, 1);
    } else {
      set.ownedKeys.push({ kind: line.kind, key: line.key });
    }
  }
  return set;
}

/**
 * Remove objects a tour made that still exist: an id is only trusted while its key, when it
 * had one, still matches; a key only when its object was created by this user after the tour
 * started; a POSIX name only as the tour made it (its own pid and a random token in the name,
 * created exclusively). Returns what was removed ("message queue 3").
 */
export function removeOwned(set: OwnedSet, started: number): string[] {
  const left: string[] = [];
  for (const o of set.owned) {
    try {
      if (o.key !== undefined && keyOf(o.kind, o.id) !== (o.key | 0)) continue;
      KINDS[o.kind].remove(o.id);
      left.push(`${KINDS[o.kind].noun} ${o.id}`);
    } catch {
      // gone already
    }
  }
  for (const { kind, key } of set.ownedKeys) {
    try {
      const id = idOfKey(kind, key);
      if (id === undefined) continue;
      const ds = KINDS[kind].stat(id);
      if (ds.perm.cuid !== process.getuid?.() || ds.ctime < started - 1) continue;
      KINDS[kind].remove(id);
      left.push(`${KINDS[kind].noun} ${id}`);
    } catch {
      // gone already, or not ours
    }
  }
  for (const { kind, name } of set.names) {
    try {
      if (kind === 'pmsg') PosixMessageQueue.unlink(name);
      else PosixSemaphore.unlink(name);
      left.push(`POSIX ${kind === 'pmsg' ? 'message queue' : 'semaphore'} ${name}`);
    } catch {
      // gone already
    }
  }
  return left;
}

/** Whether an object of any kind has `key` now (one we may not read counts: it is taken). */
export function keyInUse(key: number): boolean {
  for (const kind of ALL_KINDS) {
    try {
      KINDS[kind].idOfKey(key);
      return true;
    } catch (e) {
      if (!isIpcError(e, 'ENOENT')) return true;
    }
  }
  return false;
}

/** The id of the object of this kind that has `key` now, or undefined. */
export function idOfKey(kind: IpcKind, key: number, trace?: Tracer): number | undefined {
  try {
    return KINDS[kind].idOfKey(key, { trace });
  } catch (e) {
    if (isIpcError(e, 'ENOENT')) return undefined;
    throw e;
  }
}

/** Whether the object `id` of this kind exists. */
export function exists(kind: IpcKind, id: number, trace?: Tracer): boolean {
  try {
    keyOf(kind, id, trace);
    return true;
  } catch (e) {
    if (isIpcError(e, 'EINVAL', 'EIDRM')) return false;
    throw e;
  }
}

function keyOf(kind: IpcKind, id: number, trace?: Tracer): number {
  return KINDS[kind].stat(id, { trace }).perm.key | 0;
}

/** A child that says it created an object (svsem-demo INIT, ipcmk): which kind, which id. */
export function claimedObjects(stdout: string): { kind: IpcKind; id: number }[] {
  const patterns: [IpcKind, RegExp][] = [
    ['sem', /^semaphore ID = (\d+)$/gm],
    ['sem', /^Semaphore id: (\d+)$/gm],
    ['shm', /^Shared memory id: (\d+)$/gm],
    ['msg', /^Message queue id: (\d+)$/gm],
  ];
  return patterns.flatMap(([kind, re]) => [...stdout.matchAll(re)].map((m) => ({ kind, id: Number(m[1]) })));
}
