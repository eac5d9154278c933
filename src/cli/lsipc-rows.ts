// Where lsipc's rows come from, as util-linux reads them: System V objects from the inventory
// (/proc/sysvipc, else the permission-checked *_STAT scan, with 2.38.1's quirks), POSIX objects
// from /dev/shm and /dev/mqueue in directory order (util-linux 2.42.2's readdir walk), the
// --global lines of both, a semaphore set's elements, a creator's command line. Warnings go
// to `warn` ("id 5 not found", "/dev/mqueue does not seem to be mounted...").
import { existsSync, opendirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { IpcError, strerror } from '../ipc/errors.js';
import {
  type IpcRecord,
  pageSize,
  queueLimits,
  readSemElements,
  type Scan,
  type SemaphoreRecord,
  type SemElement,
  scanQueues,
  scanSegments,
  scanSemaphores,
  segmentLimits,
  semaphoreLimits,
} from '../ipc/inventory.js';
import {
  listPosixQueues,
  listPosixSegments,
  listPosixSemaphores,
  type PosixRecord,
  posixQueueLimits,
} from '../ipc/posix-inventory.js';
import { MQUEUE_DIR } from '../ipc/posix-mq.js';
import { SHM_DIR } from '../ipc/posix-shm.js';
import type { GlobalRow, LsipcRow } from '../render/lsipc-columns.js';
import type { LsipcRequest } from './lsipc-options.js';
import { LsipcExit } from './lsipc-options.js';

/** The rows of a listing, the JSON array's name, and a semaphore set's elements (with --id). */
export interface LsipcRows {
  rows: LsipcRow[];
  tableName: string | null;
  /** semctl GETVAL/GETNCNT/GETZCNT/GETPID per semaphore, for --id on a set; null otherwise. */
  elements: SemElement[] | null;
}

/** Records as util-linux reads them: /proc/sysvipc, else the permission-checked *_STAT scan. */
const AS_UTIL_LINUX = { fallbackStat: 'checked' } as const;

/** util-linux's syscall fallback copies cuid into cgid for segments and semaphores. */
function asUtilLinux<T extends IpcRecord>(scan: Scan<T>): T[] {
  if (scan.source === 'proc' || scan.records[0]?.kind === 'msg') return scan.records;
  return scan.records.map((r) => ({ ...r, cgid: r.cuid }));
}

/** id > -1: that object only; otherwise (no id, or a negative one) every object. */
function pick<T extends IpcRecord>(records: T[], id: number): T[] {
  return id > -1 ? records.filter((r) => r.id === id) : records;
}

const SYSV = {
  msg: { table: 'messages', scan: () => scanQueues(AS_UTIL_LINUX) },
  shm: { table: 'sharedmemory', scan: () => scanSegments(AS_UTIL_LINUX) },
  sem: { table: 'semaphores', scan: () => scanSemaphores(AS_UTIL_LINUX) },
} as const;

/**
 * One System V kind's rows (all, or the object of a non-negative --id), or `notFound()`. The
 * JSON array is named for the kind when rows are listed; for semaphores also when none are
 * (util-linux names it before it looks).
 */
function sysvListing(
  out: LsipcRows,
  kind: 'msg' | 'shm' | 'sem',
  id: number,
  notFound: () => void,
): IpcRecord[] {
  const { table, scan } = SYSV[kind];
  if (kind === 'sem') out.tableName = table;
  const found = pick<IpcRecord>(asUtilLinux<IpcRecord>(scan()), id);
  if (found.length === 0) notFound();
  else {
    out.tableName = table;
    out.rows.push(...found.map((record) => ({ kind, record }) as LsipcRow));
  }
  return found;
}

/** Every row the request asks for, in util-linux's order of kinds. */
export function lsipcRows(req: LsipcRequest, prog: string, warn: (msg: string) => void): LsipcRows {
  const out: LsipcRows = { rows: [], tableName: req.global ? 'ipclimits' : null, elements: null };
  const { kinds: k, global, id } = req;
  const notFound = () => {
    if (id > -1) warn(`id ${id} not found`);
  };
  if (k.msg) {
    if (global) out.rows.push(...queueGlobals());
    else sysvListing(out, 'msg', id, notFound);
  }
  if (k.pmsg) {
    if (global) out.rows.push(...posixQueueGlobals(warn));
    else posixListing(out, 'pmsg', req.name, warn);
  }
  if (k.shm) {
    if (global) out.rows.push(...segmentGlobals());
    else sysvListing(out, 'shm', id, notFound);
  }
  if (k.pshm && !global) posixListing(out, 'pshm', req.name, warn);
  if (k.sem) {
    if (global) out.rows.push(...semaphoreGlobals());
    else {
      const [set] = sysvListing(out, 'sem', id, notFound) as SemaphoreRecord[];
      if (set !== undefined && id > -1 && set.nsems > 0) out.elements = semElements(prog, set.id, set.nsems);
    }
  }
  if (k.psem && !global) posixListing(out, 'psem', req.name, warn);
  return out;
}

function semElements(prog: string, id: number, nsems: number): SemElement[] {
  try {
    return readSemElements(id, nsems);
  } catch (e) {
    if (e instanceof IpcError && e.syscall.startsWith('semctl(')) {
      throw new LsipcExit(1, `${prog}: ${e.syscall} failed: ${strerror(e.errno)}\n`);
    }
    throw e;
  }
}

/** util-linux's proc_get_command(): /proc/PID/cmdline (first 8192 bytes), NULs as spaces, last byte dropped. */
export function procCommand(pid: number): string | null {
  let buf: Buffer;
  try {
    buf = readFileSync(`/proc/${pid}/cmdline`);
  } catch {
    return null;
  }
  if (buf.length === 0) return null;
  const b = Buffer.from(buf.subarray(0, 8192));
  for (let i = 0; i < b.length; i++) if (b[i] === 0) b[i] = 0x20;
  return b.subarray(0, b.length - 1).toString('latin1');
}

// ---------------------------------------------------------------- POSIX (util-linux 2.42.2)

const POSIX = {
  pmsg: { table: 'posix-messages', noun: 'message queue', dir: MQUEUE_DIR, list: listPosixQueues },
  pshm: { table: 'posix-sharedmemory', noun: 'shared memory segment', dir: SHM_DIR, list: listPosixSegments },
  psem: { table: 'posix-semaphores', noun: 'semaphore', dir: SHM_DIR, list: listPosixSemaphores },
} as const;

export const MQUEUE_NOT_MOUNTED = `${MQUEUE_DIR} does not seem to be mounted. Use 'mount -t mqueue none ${MQUEUE_DIR}' to mount it.`;

/**
 * One POSIX kind's rows (all, or the one named by -N). The JSON array is named for the kind
 * also when nothing is listed (util-linux 2.42.2 names it ""). An object util-linux cannot
 * open (a semaphore, a queue of another user) is listed, its values empty, not left out.
 */
function posixListing(
  out: LsipcRows,
  kind: 'pmsg' | 'pshm' | 'psem',
  name: string | null,
  warn: (msg: string) => void,
): void {
  const p = POSIX[kind];
  out.tableName = p.table;
  const refusal =
    kind !== 'pmsg'
      ? !existsSync(SHM_DIR) && `cannot open ${SHM_DIR}`
      : !existsSync(MQUEUE_DIR)
        ? MQUEUE_NOT_MOUNTED
        : name !== null && !name.startsWith('/') && `message queue name must start with '/': ${name}`;
  if (refusal) {
    warn(refusal);
    return;
  }
  let records = inDirectoryOrder<PosixRecord>(p.dir, p.list());
  if (name !== null) {
    // A queue is named with its '/', as util-linux wants; segments and semaphores with or without.
    records = records
      .filter((r) => r.name === name || (kind !== 'pmsg' && r.name === `/${name}`))
      .slice(0, 1);
    if (records.length === 0) warn(`${p.noun} ${name} not found`);
  }
  out.rows.push(...records.map((record) => ({ kind, record }) as LsipcRow));
}

/** The records in the order readdir(3) gives their files (util-linux's order), not sorted. */
function inDirectoryOrder<T extends PosixRecord>(dir: string, records: T[]): T[] {
  const order = new Map<string, number>();
  try {
    const d = opendirSync(dir);
    try {
      for (let e = d.readSync(); e !== null; e = d.readSync()) order.set(e.name, order.size);
    } finally {
      d.closeSync();
    }
  } catch {
    return records;
  }
  const at = (r: T) => order.get(basename(r.path)) ?? order.size;
  return [...records].sort((a, b) => at(a) - at(b));
}

function posixQueueGlobals(warn: (msg: string) => void): LsipcRow[] {
  const lim = posixQueueLimits();
  let n = 0;
  if (!existsSync(MQUEUE_DIR)) warn(MQUEUE_NOT_MOUNTED);
  else n = listPosixQueues().length;
  return [
    g('MQUMNI', 'Number of POSIX message queues', big(lim.queuesMax), big(n), false),
    g('MQUMAX', 'Max size of POSIX message (bytes)', big(lim.msgsizeMax), null, true),
    g('MQUMNB', 'Number of messages in POSIX message queue', big(lim.msgMax), null, false),
  ];
}

// ---------------------------------------------------------------- System V --global (2.38.1)

const big = (n: number | bigint | null | undefined): bigint => BigInt(n ?? 0);

function queueGlobals(): LsipcRow[] {
  const lim = queueLimits();
  const n = scanQueues(AS_UTIL_LINUX).records.length;
  return [
    g('MSGMNI', 'Number of message queues', big(lim?.msgmni), big(n), false),
    g('MSGMAX', 'Max size of message (bytes)', big(lim?.msgmax), null, true),
    g('MSGMNB', 'Default max size of queue (bytes)', big(lim?.msgmnb), null, true),
  ];
}

function segmentGlobals(): LsipcRow[] {
  const lim = segmentLimits();
  const segs = scanSegments(AS_UTIL_LINUX).records;
  const total = segs.reduce((sum, s) => sum + BigInt(s.size), 0n);
  const page = BigInt(pageSize());
  return [
    g('SHMMNI', 'Shared memory segments', big(lim?.shmmni), big(segs.length), false),
    g('SHMALL', 'Shared memory pages', big(lim?.shmall), total / page, false),
    g('SHMMAX', 'Max size of shared memory segment (bytes)', big(lim?.shmmax), null, true),
    g('SHMMIN', 'Min size of shared memory segment (bytes)', big(lim?.shmmin), null, true),
  ];
}

function semaphoreGlobals(): LsipcRow[] {
  const lim = semaphoreLimits();
  const sets = scanSemaphores(AS_UTIL_LINUX).records;
  // util-linux 2.38.1 adds the first set's size once per set: SEMMNS used = sets x its nsems.
  const sems = sets.length * (sets[0]?.nsems ?? 0);
  return [
    g('SEMMNI', 'Number of semaphore identifiers', big(lim?.semmni), big(sets.length), false),
    g('SEMMNS', 'Total number of semaphores', big(lim?.semmns), big(sems), false),
    g('SEMMSL', 'Max semaphores per semaphore set.', big(lim?.semmsl), null, false),
    g('SEMOPM', 'Max number of operations per semop(2)', big(lim?.semopm), null, false),
    g('SEMVMX', 'Semaphore max value', big(lim?.semvmx), null, false),
  ];
}

function g(
  resource: string,
  description: string,
  limit: bigint,
  used: bigint | null,
  bytes: boolean,
): LsipcRow {
  const record: GlobalRow = { resource, description, limit, used, bytes };
  return { kind: 'global', record };
}
