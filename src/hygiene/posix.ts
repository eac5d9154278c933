// POSIX objects in svipc's hygiene documents (snapshot, diff, leaks, run): their typed JSON
// records (schema/snapshot.schema.json, $defs posixQueue/posixSemaphore/posixSegment), one line
// per object for people, and the file identity (device, inode) by which the holder scan and
// `run --cleanup` recognise an object whatever path a process reached it by.
// The records come from the one POSIX inventory (src/ipc/posix-inventory.ts).
import { basename } from 'node:path';
import { isIpcError } from '../ipc/errors.js';
import { identityOf } from '../ipc/posix-common.js';
import {
  listPosixKind,
  mqueueMounted,
  type PosixInventoryOptions,
  type PosixKind,
  type PosixRecord,
} from '../ipc/posix-inventory.js';
import { PosixMessageQueue } from '../ipc/posix-mq.js';
import { PosixSemaphore } from '../ipc/posix-sem.js';
import { PosixSharedMemory } from '../ipc/posix-shm.js';
import { permString, plural, sizeToHumanString } from '../render/human.js';
import type { JsonValue } from '../render/json.js';
import type { NameResolver } from '../render/names.js';
import { isoTime } from '../render/time.js';

type Obj = { [key: string]: JsonValue };

export const POSIX_KINDS: readonly PosixKind[] = ['pmsg', 'psem', 'pshm'];

export function isPosixKind(kind: unknown): kind is PosixKind {
  return kind === 'pmsg' || kind === 'psem' || kind === 'pshm';
}

/** One POSIX record as JSON: the inventory's fields, names for the ids, ISO times. */
export function posixJson(r: PosixRecord, names: NameResolver): Obj {
  const common: Obj = {
    kind: r.kind,
    name: r.name,
    path: r.path,
    perms: r.mode,
    permsOctal: r.mode.toString(8),
    uid: r.uid,
    user: names.user(r.uid),
    gid: r.gid,
    group: names.group(r.gid),
    mtime: isoTime(r.mtime),
    ctime: isoTime(r.ctime),
    atime: isoTime(r.atime),
  };
  if (r.kind === 'pmsg') return { ...common, qsize: r.qsize, msgs: r.msgs };
  if (r.kind === 'psem') return { ...common, value: r.value };
  return { ...common, size: r.size };
}

/**
 * The POSIX sections of a snapshot: every queue (/dev/mqueue), semaphore and shared memory
 * object (/dev/shm). posixQueues is absent when /dev/mqueue is not mounted: svipc cannot list
 * the queues then, and an absent section is never compared (an empty one would be a claim).
 */
export function posixSections(
  names: NameResolver,
  opts: PosixInventoryOptions = {},
): { posixQueues?: Obj[]; posixSemaphores: Obj[]; posixSegments: Obj[] } {
  const section = (kind: PosixKind) => listPosixKind(kind, opts).map((r) => posixJson(r, names));
  return {
    ...(mqueueMounted(opts) ? { posixQueues: section('pmsg') } : {}),
    posixSemaphores: section('psem'),
    posixSegments: section('pshm'),
  };
}

const KIND_WORD: Record<PosixKind, string> = {
  pmsg: 'posix queue',
  psem: 'posix semaphore',
  pshm: 'posix shm',
};

const human = (v: JsonValue | undefined): string =>
  typeof v === 'number' ? sizeToHumanString(BigInt(v)) : 'size unknown';

/** `posix queue /jobs owner root rw-------: 2 messages, 10B` (exact figures are in the JSON). */
export function describePosix(r: Obj): string {
  const head = `${KIND_WORD[r.kind as PosixKind]} ${String(r.name)} owner ${String(r.user ?? r.uid)} ${permString(Number(r.perms))}`;
  if (r.kind === 'pmsg') {
    const msgs = typeof r.msgs === 'number' ? plural(r.msgs, 'message') : 'messages unknown';
    return `${head}: ${msgs}, ${human(r.qsize)}`;
  }
  if (r.kind === 'psem') return `${head}: value ${r.value === null ? 'unknown' : String(r.value)}`;
  return `${head}: ${human(r.size)}`;
}

/** What the holder scan looks for: each object's file name and identity. */
export interface PosixTarget {
  /** Its file (as listed). */
  path: string;
  /** The file's last path component (a queue's fd shows "/NAME", a shm fd "/dev/shm/NAME"). */
  file: string;
  /** "DEV:INODE" (posix-common's identityOf). */
  id: string;
}

/** The targets of POSIX records, inventory or JSON (objects gone since they were listed are left out). */
export function posixTargets(records: readonly { path?: unknown }[]): PosixTarget[] {
  const out: PosixTarget[] = [];
  for (const r of records) {
    const path = String(r.path);
    const id = identityOf(path);
    if (id !== null) out.push({ path, file: basename(path), id });
  }
  return out;
}

/** What became of an object `run --cleanup` set out to remove. */
export type Removal =
  | { removed: true }
  | { removed: false; kept: string }
  | { removed: false; error: string };

/**
 * shm_unlink/sem_unlink/mq_unlink of a record's object, but only while its name still leads to
 * the file proven the command's (identity `provenId`, "DEV:INODE"; null: it was gone already).
 * A name made again since is another object: left alone. Gone meanwhile counts as removed.
 */
export function removePosixIfSame(r: Obj, provenId: string | null): Removal {
  if (provenId === null) return { removed: true };
  const now = identityOf(String(r.path));
  if (now === null) return { removed: true };
  if (now !== provenId)
    return { removed: false, kept: 'its name now leads to another object, made since: left alone' };
  const name = String(r.name);
  try {
    if (r.kind === 'pmsg') PosixMessageQueue.unlink(name);
    else if (r.kind === 'psem') PosixSemaphore.unlink(name);
    else PosixSharedMemory.unlink(name);
    return { removed: true };
  } catch (e) {
    if (isIpcError(e, 'ENOENT')) return { removed: true }; // Gone already.
    return { removed: false, error: isIpcError(e) ? e.message : String(e) };
  }
}
