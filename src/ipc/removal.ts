// Removing objects as util-linux's ipcrm does: System V ones by id or key, each refusal sorted
// into the cases ipcrm words (errno names, not numbers), and the walk of `ipcrm -a` over the
// kernel's indexes, which sees only what the caller may read (the kernel's ipcperms()); POSIX
// ones by name (2.42.2's --posix-*) and all of a kind (--all=pshm|pmsg|psem).
import { isIpcError } from './errors.js';
import { type IpcKind, KINDS } from './kinds.js';
import { listPosixKind, type PosixKind } from './posix-inventory.js';
import { unlinkNamedQueue } from './posix-mq.js';
import { unlinkNamedSemaphore } from './posix-sem.js';
import { unlinkNamedSegment } from './posix-shm.js';
import type { IpcPerm } from './types.js';

/**
 * ipcperms() for read access, as MSG_STAT/SEM_STAT/SHM_STAT check it: the owner's or creator's
 * bits, else the group's (owner's or creator's group, effective or supplementary), else the
 * others'; root may do all. (*_STAT_ANY, which src/ipc uses, skips this check.)
 */
export function mayRead(perm: IpcPerm): boolean {
  const euid = process.geteuid?.() ?? 0;
  if (euid === 0) return true;
  const groups = new Set([process.getegid?.() ?? -1, ...(process.getgroups?.() ?? [])]);
  let granted = perm.mode;
  if (euid === perm.uid || euid === perm.cuid) granted >>= 6;
  else if (groups.has(perm.gid) || groups.has(perm.cgid)) granted >>= 3;
  return (granted & 0o4) !== 0;
}

/** The kernel has no support for a kind (*_INFO failed). */
export class KindUnavailableError extends Error {
  constructor(readonly kind: IpcKind) {
    super(`kernel not configured for ${kind}`);
  }
}

/**
 * The ids of every object of `kind` the caller may read, by kernel index, one at a time (so an
 * object removed meanwhile is simply skipped). KindUnavailableError when the kind's *_INFO fails.
 */
export function* readableIds(kind: IpcKind): Generator<number, void, undefined> {
  let maxIndex: number;
  try {
    maxIndex = KINDS[kind].maxIndex();
  } catch (e) {
    if (!isIpcError(e)) throw e;
    throw new KindUnavailableError(kind);
  }
  for (let index = 0; index <= maxIndex; index++) {
    let found: { id: number; ds: { perm: IpcPerm } };
    try {
      found = KINDS[kind].statIndex(index);
    } catch (e) {
      if (!isIpcError(e)) throw e;
      continue; // an unused index
    }
    if (mayRead(found.ds.perm)) yield found.id;
  }
}

/** How an IPC_RMID or a key lookup was refused, in ipcrm's words (followed by "id" or "key"). */
export type Refusal = 'permission denied for' | 'invalid' | 'already removed';

/**
 * What `act` returns, or, when it fails with an IpcError whose code `refusals` names, that
 * refusal. Other failures throw (their IpcError).
 */
function orRefusal<T, R extends string>(act: () => T, refusals: Readonly<Record<string, R>>): T | R {
  try {
    return act();
  } catch (e) {
    if (isIpcError(e) && Object.hasOwn(refusals, e.code)) return refusals[e.code]!;
    throw e;
  }
}

/** The failures of IPC_RMID that ipcrm words as a refusal of the id. */
const RMID_REFUSALS: Readonly<Record<string, Refusal>> = {
  EACCES: 'permission denied for',
  EPERM: 'permission denied for',
  EINVAL: 'invalid',
  EIDRM: 'already removed',
};
/** The failures of a key lookup that ipcrm words as a refusal of the key. */
const KEY_REFUSALS: Readonly<Record<string, Refusal>> = {
  EACCES: 'permission denied for',
  EIDRM: 'already removed',
  ENOENT: 'invalid',
};

/** IPC_RMID of `id`: null when removed, else the refusal. Other failures throw (their IpcError). */
export function removeId(kind: IpcKind, id: number): Refusal | null {
  // The kernel answers EINVAL for any negative id; src/ipc refuses to pass one.
  if (id < 0) return 'invalid';
  return orRefusal(() => {
    KINDS[kind].remove(id);
    return null;
  }, RMID_REFUSALS);
}

/** The id that has `key`, or the refusal. Other failures throw (their IpcError). */
export function idOfKey(kind: IpcKind, key: number): number | Refusal {
  return orRefusal(() => KINDS[kind].idOfKey(key), KEY_REFUSALS);
}

/** How a POSIX unlink was refused, in ipcrm 2.42.2's words for the name. */
export type NameRefusal = 'permission denied' | 'not found' | 'too long';

/** The failures of an unlink that ipcrm 2.42.2 words as a refusal of the name. */
const UNLINK_REFUSALS: Readonly<Record<string, NameRefusal>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'not found',
  ENAMETOOLONG: 'too long',
};

const UNLINK: Record<PosixKind, (name: string) => void> = {
  pshm: unlinkNamedSegment,
  pmsg: unlinkNamedQueue,
  psem: unlinkNamedSemaphore,
};

/**
 * shm_unlink/mq_unlink/sem_unlink of `name` as given (glibc's rules, as util-linux passes it):
 * null when removed, else the refusal. Other failures throw (their IpcError).
 */
export function removeName(kind: PosixKind, name: string): NameRefusal | null {
  return orRefusal(() => {
    UNLINK[kind](name);
    return null;
  }, UNLINK_REFUSALS);
}

/** The names of every POSIX object of `kind` (`ipcrm --all=pshm|pmsg|psem`), by name. */
export function posixNames(kind: PosixKind): string[] {
  return listPosixKind(kind).map((r) => r.name);
}
