// Errors that explain: an IpcError from a msg/sem/shm call, turned into one sentence a user
// can act on. A kernel limit is named with its current value and the sysctl that changes it;
// a permission error names the object's owner and mode; a missing object says so. Every
// other failure keeps the call's own message. Exit codes: 75 when --nowait would block,
// 1 for everything else here (usage errors are caught before any call).
import {
  formatKey,
  groupName,
  IpcError,
  type IpcPerm,
  MessageQueue,
  SemaphoreSet,
  SharedMemory,
  userName,
} from '../ipc/index.js';
import {
  queueLimits,
  segmentLimits,
  segmentUsage,
  semaphoreLimits,
  semaphoreUsage,
} from '../ipc/inventory.js';
import { type IpcKind, KINDS } from '../ipc/kinds.js';
import { CommandError, EXIT } from './exit.js';

/** What was being done when the call failed. */
export interface Situation {
  kind: IpcKind;
  /** The object's id, when there is one. */
  id?: number;
  /** The key it was created or opened with. */
  key?: number;
  op:
    | 'create'
    | 'stat'
    | 'set'
    | 'remove'
    | 'send'
    | 'recv'
    | 'peek'
    | 'getval'
    | 'setval'
    | 'semop'
    | 'attach'
    | 'read'
    | 'write';
  /** Message size, segment size... */
  size?: number;
  nsems?: number;
  nops?: number;
  maxSize?: number;
  /** The message's position, for peek. */
  index?: number;
  qbytes?: number;
  /** --nowait was given: EAGAIN/ENOMSG are "would block" (exit 75). */
  nowait?: boolean;
  /** Access the op needs, for EACCES: 'read' or 'write'. */
  access?: 'read' | 'write' | 'read and write';
}

export type LimitName =
  | 'msgmax'
  | 'msgmnb'
  | 'msgmni'
  | 'shmmax'
  | 'shmall'
  | 'shmmni'
  | 'semmsl'
  | 'semmns'
  | 'semopm'
  | 'semmni'
  | 'semvmx';

const LIMIT_META: Record<LimitName, { sysctl: string; unit: string }> = {
  msgmax: { sysctl: 'kernel.msgmax', unit: 'bytes' },
  msgmnb: { sysctl: 'kernel.msgmnb', unit: 'bytes' },
  msgmni: { sysctl: 'kernel.msgmni', unit: 'queues' },
  shmmax: { sysctl: 'kernel.shmmax', unit: 'bytes' },
  shmall: { sysctl: 'kernel.shmall', unit: 'pages' },
  shmmni: { sysctl: 'kernel.shmmni', unit: 'segments' },
  semmsl: { sysctl: 'kernel.sem', unit: 'semaphores per set' },
  semmns: { sysctl: 'kernel.sem', unit: 'semaphores in all sets' },
  semopm: { sysctl: 'kernel.sem', unit: 'operations per semop' },
  semmni: { sysctl: 'kernel.sem', unit: 'sets' },
  semvmx: { sysctl: '', unit: '' },
};

/** A limit's current value, exact (bigint-safe) as text; null when it cannot be read. */
export function limitValue(name: LimitName): bigint | null {
  try {
    if (name.startsWith('msg')) {
      const l = queueLimits();
      return l === null ? null : BigInt(l[name as 'msgmax' | 'msgmnb' | 'msgmni']);
    }
    if (name.startsWith('shm')) {
      const l = segmentLimits();
      return l === null ? null : BigInt(l[name as 'shmmax' | 'shmall' | 'shmmni']);
    }
    const l = semaphoreLimits();
    return l === null ? null : BigInt(l[name as 'semmsl' | 'semmns' | 'semopm' | 'semmni' | 'semvmx']);
  } catch {
    return null;
  }
}

/** "kernel.msgmax = 8192 bytes (change with: sysctl -w kernel.msgmax=N)". */
export function describeLimit(name: LimitName): string {
  const v = limitValue(name);
  if (name === 'semvmx') return `SEMVMX = ${v ?? 32767} (a constant of the kernel; no sysctl changes it)`;
  const m = LIMIT_META[name];
  const value = v === null ? 'unknown' : `${v} ${m.unit}`;
  if (m.sysctl === 'kernel.sem') {
    return `${name} = ${value} (change with: sysctl -w kernel.sem="SEMMSL SEMMNS SEMOPM SEMMNI", now ${semLine()})`;
  }
  return `${m.sysctl} = ${value} (change with: sysctl -w ${m.sysctl}=N)`;
}

function semLine(): string {
  const l = semaphoreLimits();
  return l === null ? 'unknown' : `"${l.semmsl} ${l.semmns} ${l.semopm} ${l.semmni}"`;
}

const lim = describeLimit;

export function limitNumber(name: LimitName): number | null {
  const v = limitValue(name);
  return v === null ? null : Number(v);
}

function objectName(s: Situation): string {
  const base = KINDS[s.kind].noun;
  if (s.id !== undefined) return `${base} ${s.id}`;
  if (s.key !== undefined) return `${base} with key ${formatKey(s.key)}`;
  return base;
}

/**
 * The object's owner, creator and mode, from the inventory (which reads /proc/sysvipc or the
 * *_STAT_ANY calls: no permission on the object is needed). null when there is no such object.
 */
export function findPerm(kind: IpcKind, id: number): IpcPerm | null {
  try {
    const r = KINDS[kind].list().find((x) => x.id === id);
    return r
      ? { key: r.key, uid: r.uid, gid: r.gid, cuid: r.cuid, cgid: r.cgid, mode: r.mode, seq: 0 }
      : null;
  } catch {
    return null;
  }
}

export function ownerText(perm: IpcPerm): string {
  const u = userName(perm.uid);
  const g = groupName(perm.gid);
  const mode = (perm.mode & 0o777).toString(8).padStart(4, '0');
  const owner = `${u ?? perm.uid}${u !== null ? ` (uid ${perm.uid})` : ''}`;
  const group = `${g ?? perm.gid}${g !== null ? ` (gid ${perm.gid})` : ''}`;
  return `owner ${owner}, group ${group}, mode ${mode}`;
}

/** "you are nobody (uid 65534)": who was refused. */
export function whoAmI(): string {
  const uid = process.getuid?.() ?? -1;
  const u = userName(uid);
  return `you are ${u ?? 'uid'} ${u !== null ? `(uid ${uid})` : uid}`;
}

function missing(s: Situation): CommandError | null {
  if (s.id === undefined) return null;
  if (findPerm(s.kind, s.id) !== null) return null;
  return new CommandError(`no ${KINDS[s.kind].noun} with id ${s.id}`);
}

const VERB: Record<Situation['op'], string> = {
  create: 'create',
  stat: 'read the status of',
  set: 'change',
  remove: 'remove',
  send: 'send to',
  recv: 'receive from',
  peek: 'read a message of',
  getval: 'read',
  setval: 'set the values of',
  semop: 'operate on',
  attach: 'attach',
  read: 'read',
  write: 'write to',
};

function permissionDenied(s: Situation, e: IpcError): CommandError {
  const perm = s.id !== undefined ? findPerm(s.kind, s.id) : null;
  const need = s.access ? ` (needs ${s.access} permission)` : '';
  if (perm === null)
    return new CommandError(`permission denied: cannot ${VERB[s.op]} ${objectName(s)}${need}: ${e.message}`);
  return new CommandError(
    `permission denied: cannot ${VERB[s.op]} ${objectName(s)}${need}: ${ownerText(perm)}; ${whoAmI()}`,
  );
}

function notPermitted(s: Situation): CommandError {
  const perm = s.id !== undefined ? findPerm(s.kind, s.id) : null;
  if (s.op === 'set' && s.kind === 'msg' && s.qbytes !== undefined) {
    const mnb = limitNumber('msgmnb');
    if (mnb !== null && s.qbytes > mnb) {
      return new CommandError(
        `not permitted: raising a queue's qbytes to ${s.qbytes} above msgmnb needs CAP_SYS_RESOURCE: ${lim('msgmnb')}`,
      );
    }
  }
  const who = perm === null ? '' : ` (${ownerText(perm)}, creator uid ${perm.cuid})`;
  return new CommandError(
    `not permitted: only the owner or creator of ${objectName(s)}${who}, or a privileged process, may ${VERB[s.op]} it; ${whoAmI()}`,
  );
}

/** Which of msgmni/semmni/shmmni... ran out, for ENOSPC on create. */
function outOfSpace(s: Situation): CommandError {
  try {
    if (s.kind === 'msg') {
      return new CommandError(
        `cannot create a message queue: the system-wide number of queues is at its limit: ${lim('msgmni')}`,
      );
    }
    if (s.kind === 'sem') {
      const u = semaphoreUsage();
      const semmni = limitNumber('semmni');
      if (u !== null && semmni !== null && u.semusz >= semmni) {
        return new CommandError(
          `cannot create a semaphore set: ${u.semusz} sets exist, the limit is ${lim('semmni')}`,
        );
      }
      return new CommandError(
        `cannot create a set of ${s.nsems ?? '?'} semaphores: ${u?.semaem ?? '?'} semaphores exist system-wide, the limit is ${lim('semmns')}; ` +
          `sets: ${lim('semmni')}`,
      );
    }
    const u = segmentUsage();
    const shmmni = limitNumber('shmmni');
    if (u !== null && shmmni !== null && u.usedIds >= shmmni) {
      return new CommandError(
        `cannot create a segment: ${u.usedIds} segments exist, the limit is ${lim('shmmni')}`,
      );
    }
    return new CommandError(
      `cannot create a segment of ${s.size ?? '?'} bytes: ${u?.shmTot ?? '?'} pages are in use system-wide, the limit is ${lim('shmall')}`,
    );
  } catch {
    return new CommandError(`cannot create a ${KINDS[s.kind].noun}: a system-wide limit is reached (ENOSPC)`);
  }
}

function invalid(s: Situation, e: IpcError): CommandError {
  if (s.op === 'create') {
    if (s.kind === 'shm' && s.size !== undefined) {
      const shmmax = limitValue('shmmax');
      if (shmmax !== null && BigInt(s.size) > shmmax) {
        return new CommandError(
          `cannot create a segment of ${s.size} bytes: larger than shmmax: ${lim('shmmax')}`,
        );
      }
      if (s.size < 1)
        return new CommandError('cannot create a segment of 0 bytes (the minimum, SHMMIN, is 1)');
    }
    const semmsl = limitNumber('semmsl');
    if (s.kind === 'sem' && s.nsems !== undefined && semmsl !== null && s.nsems > semmsl) {
      return new CommandError(
        `cannot create a set of ${s.nsems} semaphores: more than semmsl: ${lim('semmsl')}`,
      );
    }
    return new CommandError(`cannot create ${objectName(s)}: ${e.message}`);
  }
  const gone = missing(s);
  if (gone) return gone;
  const msgmax = limitNumber('msgmax');
  if (s.op === 'send' && s.size !== undefined && msgmax !== null && s.size > msgmax) {
    return new CommandError(`message of ${s.size} bytes is larger than msgmax: ${lim('msgmax')}`);
  }
  return new CommandError(`${objectName(s)}: ${e.message}`);
}

/**
 * shmget(key, size, IPC_CREAT...) failed with EINVAL: the kernel's two causes, in its order.
 * An existing segment at `key` smaller than `size` (its size said), else a new segment
 * outside shmmin..shmmax (the limit, its value and its sysctl).
 */
export function shmgetInvalid(key: number, size: number): CommandError {
  try {
    const seg = SharedMemory.get(key, 0).stat();
    if (seg.segsz < size) {
      return new CommandError(
        `the segment of key ${formatKey(key)} exists and is smaller (${seg.segsz} bytes) than the ${size} bytes asked for`,
      );
    }
  } catch {
    // no segment at that key (or not ours to see): the limits, then
  }
  const shmmax = limitValue('shmmax');
  if (shmmax !== null && BigInt(size) > shmmax)
    return new CommandError(`cannot create a segment of ${size} bytes: larger than shmmax: ${lim('shmmax')}`);
  if (size < 1) return new CommandError('cannot create a segment of 0 bytes (the minimum, SHMMIN, is 1)');
  return new CommandError(`shmget key ${formatKey(key)}, ${size} bytes: EINVAL (Invalid argument)`);
}

/** Turn an error thrown by a src/ipc call into an explained CommandError (others pass through). */
export function explain(e: unknown, s: Situation): unknown {
  if (!(e instanceof IpcError)) return e;
  switch (e.code) {
    case 'EACCES':
      return permissionDenied(s, e);
    case 'EPERM':
      return notPermitted(s);
    case 'EIDRM':
      return new CommandError(`${objectName(s)} was removed while in use`);
    case 'EEXIST':
      return new CommandError(`${objectName(s)} already exists`);
    case 'ENOENT':
      return new CommandError(`no ${objectName(s)}`);
    case 'ENOSPC':
      return outOfSpace(s);
    case 'EINVAL':
      return invalid(s, e);
    case 'EAGAIN':
    case 'ENOMSG':
      if (s.op === 'recv')
        return new CommandError(
          `${objectName(s)}: no message of the requested type (--nowait)`,
          EXIT.WOULD_BLOCK,
        );
      if (s.op === 'send') return wouldBlockSend(s);
      if (s.op === 'semop')
        return new CommandError(`${objectName(s)}: the operation would block (--nowait)`, EXIT.WOULD_BLOCK);
      return new CommandError(`${objectName(s)}: ${e.message}`);
    case 'ENOSYS':
      if (s.op === 'peek') {
        return new CommandError(
          'this kernel cannot copy a message without removing it (msgrcv MSG_COPY needs Linux 3.8+ built with CONFIG_CHECKPOINT_RESTORE)',
        );
      }
      return new CommandError(`${objectName(s)}: ${e.message}`);
    case 'E2BIG':
      if (s.op === 'peek') {
        return new CommandError(
          `${objectName(s)}: the message at index ${s.index ?? '?'} is longer than --max-size ${s.maxSize ?? '?'} bytes`,
        );
      }
      if (s.op === 'recv') {
        return new CommandError(
          `${objectName(s)}: the first matching message is longer than --max-size ${s.maxSize ?? '?'} bytes ` +
            '(use a larger --max-size, or --noerror to truncate it)',
        );
      }
      if (s.op === 'semop') {
        return new CommandError(
          `${s.nops ?? '?'} operations in one semop are more than semopm: ${lim('semopm')}`,
        );
      }
      return new CommandError(`${objectName(s)}: ${e.message}`);
    case 'EFBIG':
      if (s.kind !== 'sem') return new CommandError(e.message); // a view too large (ViewTooLargeError)
      return new CommandError(`${objectName(s)}: a semaphore number is out of range${rangeOf(s)}`);
    case 'ERANGE':
      return new CommandError(
        `${objectName(s)}: a semaphore would exceed its maximum value: ${lim('semvmx')}`,
      );
    case 'ENOMEM':
      return new CommandError(`${objectName(s)}: not enough memory (${e.message})`);
    default:
      return new CommandError(`${objectName(s)}: ${e.message}`);
  }
}

function rangeOf(s: Situation): string {
  if (s.id === undefined || s.kind !== 'sem') return '';
  try {
    const n = new SemaphoreSet(s.id).stat().nsems;
    return ` (the set has ${n}: 0..${n - 1})`;
  } catch {
    return '';
  }
}

function wouldBlockSend(s: Situation): CommandError {
  let detail = '';
  if (s.id !== undefined) {
    try {
      const ds = new MessageQueue(s.id).stat();
      detail = `: ${ds.cbytes} of its ${ds.qbytes} bytes (qbytes) used by ${ds.qnum} message${ds.qnum === 1 ? '' : 's'}`;
    } catch {
      // Say less.
    }
  }
  return new CommandError(`${objectName(s)} is full (--nowait)${detail}`, EXIT.WOULD_BLOCK);
}

/** A message of `size` bytes can never fit a queue whose qbytes is smaller: it would block forever. */
export function neverFits(s: Situation, size: number, qbytes: number): CommandError {
  return new CommandError(
    `message of ${size} bytes can never fit ${objectName(s)}: its qbytes limit is ${qbytes} bytes ` +
      `(raise it with 'svipc msg set TARGET --qbytes N'; new queues get ${lim('msgmnb')})`,
  );
}

/** A semaphore value above SEMVMX. */
export function valueTooLarge(value: number): CommandError {
  return new CommandError(`semaphore value ${value} is larger than the maximum: ${lim('semvmx')}`);
}

/**
 * Run `fn`, throwing `translate(e)` for what it throws, or, when it returns a promise, for
 * what that rejects with: the one wrapper behind `explained` and `posixExplained`.
 */
export function translatingErrors<T>(fn: () => T, translate: (e: unknown) => unknown): T {
  let result: T;
  try {
    result = fn();
  } catch (e) {
    throw translate(e);
  }
  if (!(result instanceof Promise)) return result;
  return result.catch((e: unknown) => {
    throw translate(e);
  }) as T;
}

/** Run `fn`, explaining what it throws (or its promise rejects with). */
export function explained<T>(s: Situation, fn: () => T): T {
  return translatingErrors(fn, (e) => explain(e, s));
}
