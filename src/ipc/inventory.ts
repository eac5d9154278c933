// The inventory: one normalized record per System V IPC object, gathered in ONE place for
// every command that lists objects (ipcs, snapshot, diff, leaks). /proc/sysvipc first, parsed
// by header names; the *_STAT_ANY syscalls over every kernel index when /proc/sysvipc is not
// there (util-linux's ipcutils.c does the same). Renderers never see where a record came from.
//
// Records are plain objects. Times are seconds since the epoch, 0 = never (as in types.ts).
// Keys are key_t values (signed 32-bit); print them with formatKey() as 0x%08x.
import { readMsgLimits, readSemLimits, readShmLimits } from '../proc/limits.js';
import {
  type ProcMsgRow,
  type ProcSemRow,
  type ProcShmRow,
  parseMsgTable,
  parseSemTable,
  parseShmTable,
  readSysvipcBytes,
  SYSVIPC_DIR,
  type SysvipcRow,
  streamSysvipc,
} from '../proc/sysvipc.js';
import { IpcError, ipcError, isIpcError } from './errors.js';
import { C, fn } from './libc.js';
import { MessageQueue } from './msg.js';
import { SEMVMX, SemaphoreSet } from './sem.js';
import { SharedMemory } from './shm.js';
import type { IpcPerm, MsgInfo, MsqidDs, SemInfo, SemidDs, ShmInfo, ShmidDs } from './types.js';

export type IpcKind = 'msg' | 'sem' | 'shm';
/** Where records came from: /proc/sysvipc, or the *_STAT_ANY syscalls. */
export type InventorySource = 'proc' | 'syscall';

/** What every record has: struct ipc_perm, normalized. */
export interface IpcRecordBase {
  kind: IpcKind;
  /** key_t (signed 32-bit); 0 is IPC_PRIVATE (and the key of a segment marked for removal). */
  key: number;
  id: number;
  /** Owner. */
  uid: number;
  gid: number;
  /** Creator. */
  cuid: number;
  cgid: number;
  /** The kernel's mode word: permission bits (mode & 0o777) plus status bits (SHM_DEST, SHM_LOCKED). */
  mode: number;
}

export interface QueueRecord extends IpcRecordBase {
  kind: 'msg';
  /** Bytes in the queue's messages (msg_cbytes). */
  cbytes: number;
  /** Messages queued (msg_qnum). */
  qnum: number;
  /** The queue's byte limit (msg_qbytes); null when not read (listings from /proc don't have it). */
  qbytes: number | null;
  /** Pid of the last msgsnd / msgrcv (0 = none). */
  lspid: number;
  lrpid: number;
  stime: number;
  rtime: number;
  ctime: number;
}

/** One semaphore of a set, as GETVAL/GETNCNT/GETZCNT/GETPID report it. */
export interface SemElement {
  semnum: number;
  value: number;
  /** Processes waiting for the value to grow. */
  ncount: number;
  /** Processes waiting for it to become zero. */
  zcount: number;
  /** Pid of the last semop on it (0 = none). */
  pid: number;
}

export interface SemaphoreRecord extends IpcRecordBase {
  kind: 'sem';
  nsems: number;
  /** Last semop (0 = never). */
  otime: number;
  ctime: number;
  /** Per-semaphore values; null unless asked for (getSemaphore, or listSemaphores({ values: true })). */
  elements: SemElement[] | null;
}

export interface SegmentRecord extends IpcRecordBase {
  kind: 'shm';
  /** Size in bytes (shm_segsz). */
  size: number;
  /** Creator pid, and pid of the last shmat/shmdt. */
  cpid: number;
  lpid: number;
  /** Attached processes (shm_nattch). */
  nattch: number;
  atime: number;
  dtime: number;
  ctime: number;
  /** Resident / swapped bytes: null when the source has no such column (old kernels, syscalls). */
  rss: number | null;
  swap: number | null;
  /** Marked for removal (IPC_RMID while attached): SHM_DEST. */
  dest: boolean;
  /** Locked in memory (SHM_LOCK): SHM_LOCKED. */
  locked: boolean;
}

export type IpcRecord = QueueRecord | SemaphoreRecord | SegmentRecord;

export interface InventoryOptions {
  /** Where /proc/sysvipc is (tests). */
  procDir?: string;
  /** 'auto' (default): /proc/sysvipc when readable, else syscalls. */
  source?: 'auto' | InventorySource;
  /**
   * The syscall scan: 'any' (default) uses *_STAT_ANY and sees every object; 'checked' uses
   * *_STAT, which skips objects the caller may not read, as util-linux 2.38.1's fallback does.
   */
  fallbackStat?: 'any' | 'checked';
}

export interface Scan<T> {
  source: InventorySource;
  records: T[];
}

// ---------------------------------------------------------------- records from /proc rows

// The three below spell each field out: an object spread cost ~0.8 us a row when warm, the
// largest part of a listing's own time per object (ipcs at 4,000 segments).

/** A record from a parsed /proc/sysvipc/msg line (qbytes unknown: null). */
export function queueFromProc(r: ProcMsgRow): QueueRecord {
  return {
    kind: 'msg',
    key: r.key,
    id: r.id,
    mode: r.mode,
    cbytes: r.cbytes,
    qnum: r.qnum,
    lspid: r.lspid,
    lrpid: r.lrpid,
    uid: r.uid,
    gid: r.gid,
    cuid: r.cuid,
    cgid: r.cgid,
    stime: r.stime,
    rtime: r.rtime,
    ctime: r.ctime,
    qbytes: null,
  };
}

/** A record from a parsed /proc/sysvipc/sem line (elements not read: null). */
export function semaphoreFromProc(r: ProcSemRow): SemaphoreRecord {
  return {
    kind: 'sem',
    key: r.key,
    id: r.id,
    mode: r.mode,
    nsems: r.nsems,
    uid: r.uid,
    gid: r.gid,
    cuid: r.cuid,
    cgid: r.cgid,
    otime: r.otime,
    ctime: r.ctime,
    elements: null,
  };
}

/** A record from a parsed /proc/sysvipc/shm line. */
export function segmentFromProc(r: ProcShmRow): SegmentRecord {
  return {
    kind: 'shm',
    key: r.key,
    id: r.id,
    mode: r.mode,
    size: r.size,
    cpid: r.cpid,
    lpid: r.lpid,
    nattch: r.nattch,
    uid: r.uid,
    gid: r.gid,
    cuid: r.cuid,
    cgid: r.cgid,
    atime: r.atime,
    dtime: r.dtime,
    ctime: r.ctime,
    rss: r.rss,
    swap: r.swap,
    dest: (r.mode & C.SHM_DEST) !== 0,
    locked: (r.mode & C.SHM_LOCKED) !== 0,
  };
}

// ---------------------------------------------------------------- records from syscalls

/** What the three classes offer for a scan: MSG_INFO/SEM_INFO/SHM_INFO and *_STAT(_ANY) by index. */
interface IndexedKind<D> {
  usage(): { maxIndex: number };
  statIndex(index: number, opts: { checked?: boolean }): { id: number; ds: D };
}

/**
 * Every kernel index 0..maxIndex statted (with *_STAT when `checked`, else *_STAT_ANY) and made
 * a record by `record`; indexes that fail are skipped, and a kernel without this kind gives [].
 */
function scanIndexes<D, T>(cls: IndexedKind<D>, checked: boolean, record: (id: number, ds: D) => T): T[] {
  let max: number;
  try {
    max = cls.usage().maxIndex;
  } catch (e) {
    if (isIpcError(e)) return []; // kernel without this kind of IPC
    throw e;
  }
  const out: T[] = [];
  for (let i = 0; i <= max; i++) {
    try {
      const { id, ds } = cls.statIndex(i, { checked });
      out.push(record(id, ds));
    } catch (e) {
      if (!isIpcError(e)) throw e;
    }
  }
  return out;
}

/** The fields `keys` of `o`, in that order. */
function fieldsOf<T, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = o[k];
  return out;
}

/** The struct ipc_perm part of a record (IpcRecordBase but for kind), from a stat. */
function permPart(id: number, p: IpcPerm): Omit<IpcRecordBase, 'kind'> {
  return { key: p.key, id, uid: p.uid, gid: p.gid, cuid: p.cuid, cgid: p.cgid, mode: p.mode };
}

function queuesBySyscall(checked: boolean): QueueRecord[] {
  return scanIndexes(MessageQueue, checked, (id, ds: MsqidDs) => ({
    kind: 'msg',
    ...permPart(id, ds.perm),
    ...fieldsOf(ds, ['cbytes', 'qnum', 'qbytes', 'lspid', 'lrpid', 'stime', 'rtime', 'ctime']),
  }));
}

function semaphoresBySyscall(checked: boolean): SemaphoreRecord[] {
  return scanIndexes(SemaphoreSet, checked, (id, ds: SemidDs) => ({
    kind: 'sem',
    ...permPart(id, ds.perm),
    ...fieldsOf(ds, ['nsems', 'otime', 'ctime']),
    elements: null,
  }));
}

function segmentsBySyscall(checked: boolean): SegmentRecord[] {
  return scanIndexes(SharedMemory, checked, (id, ds: ShmidDs) => ({
    kind: 'shm',
    ...permPart(id, ds.perm),
    size: ds.segsz,
    ...fieldsOf(ds, ['cpid', 'lpid', 'nattch', 'atime', 'dtime', 'ctime']),
    rss: null,
    swap: null,
    dest: (ds.perm.mode & C.SHM_DEST) !== 0,
    locked: (ds.perm.mode & C.SHM_LOCKED) !== 0,
  }));
}

// ---------------------------------------------------------------- scans

function scan<T>(
  kind: IpcKind,
  opts: InventoryOptions,
  fromProc: (text: Uint8Array) => T[],
  bySyscall: (checked: boolean) => T[],
): Scan<T> {
  const source = opts.source ?? 'auto';
  if (source !== 'syscall') {
    const text = readSysvipcBytes(kind, opts.procDir ?? SYSVIPC_DIR);
    if (text !== null) return { source: 'proc', records: fromProc(text) };
    if (source === 'proc') return { source: 'proc', records: [] };
  }
  return { source: 'syscall', records: bySyscall(opts.fallbackStat === 'checked') };
}

/**
 * A scan whose records are made as /proc is read, never all held at once: for output, where
 * each record is written and dropped (ipcs at 37,000 objects). Without /proc, the syscall scan.
 */
export interface Stream<T> {
  source: InventorySource;
  records: Iterable<T>;
}

function* mapped<A, B>(items: Iterable<A>, f: (a: A) => B): Generator<B, void, undefined> {
  for (const a of items) yield f(a);
}

function stream<K extends 'msg' | 'sem' | 'shm', T>(
  kind: K,
  opts: InventoryOptions,
  fromRow: (row: SysvipcRow[K]) => T,
  bySyscall: (checked: boolean) => T[],
): Stream<T> {
  const source = opts.source ?? 'auto';
  if (source !== 'syscall') {
    // Each record made as it is taken, not a chunk's at a time inside the parser: records made
    // in batches live through V8's young-generation passes, which then grows it (snapshot at
    // 37,096 objects: 72 -> 89 MB peak when they were).
    const rows = streamSysvipc(kind, opts.procDir ?? SYSVIPC_DIR);
    if (rows !== null) return { source: 'proc', records: mapped(rows, fromRow) };
    if (source === 'proc') return { source: 'proc', records: [] };
  }
  return { source: 'syscall', records: bySyscall(opts.fallbackStat === 'checked') };
}

/** Every message queue, as /proc is read (see Stream). */
export function streamQueues(opts: InventoryOptions = {}): Stream<QueueRecord> {
  return stream('msg', opts, queueFromProc, queuesBySyscall);
}

/** Every semaphore set (with `values`, its elements too), as /proc is read (see Stream). */
export function streamSemaphores(
  opts: InventoryOptions & { values?: boolean } = {},
): Stream<SemaphoreRecord> {
  const s = stream('sem', opts, semaphoreFromProc, semaphoresBySyscall);
  return opts.values ? { source: s.source, records: mapped(s.records, withElements) } : s;
}

/** listAll's records as they are read (see Stream): for output that is written and dropped. */
export function streamAll(opts: InventoryOptions & { values?: boolean } = {}): {
  queues: Iterable<QueueRecord>;
  semaphores: Iterable<SemaphoreRecord>;
  segments: Iterable<SegmentRecord>;
} {
  return {
    queues: streamQueues(opts).records,
    semaphores: streamSemaphores(opts).records,
    segments: streamSegments(opts).records,
  };
}

/** Every shared memory segment, as /proc is read (see Stream). */
export function streamSegments(opts: InventoryOptions = {}): Stream<SegmentRecord> {
  return stream('shm', opts, segmentFromProc, segmentsBySyscall);
}

export function scanQueues(opts: InventoryOptions = {}): Scan<QueueRecord> {
  return scan('msg', opts, (t) => parseMsgTable(t).map(queueFromProc), queuesBySyscall);
}

/**
 * A listed set with its elements read; left null when they cannot be (no read permission, or
 * gone meanwhile). One GETALL for the values, then GETNCNT, GETZCNT and GETPID per semaphore
 * (the kernel has no call for all of a set's counts): a listing of 1,000 sets of 250 makes
 * 751,000 calls instead of readSemElements's 1,000,000, straight to libc (no IpcError to make
 * only to drop it). Exported for `svipc diff`, which reads the elements of new sets only.
 */
export function withElements(r: SemaphoreRecord): SemaphoreRecord {
  const { id, nsems } = r;
  const values = Buffer.allocUnsafe(2 * Math.max(nsems, 1));
  if (nsems > 0 && (fn.semctlPtr(id, 0, C.GETALL, values) as number) < 0) return r;
  const out: SemElement[] = new Array(nsems);
  for (let i = 0; i < nsems; i++) {
    const ncount = fn.semctl(id, i, C.GETNCNT) as number;
    const zcount = fn.semctl(id, i, C.GETZCNT) as number;
    const pid = fn.semctl(id, i, C.GETPID) as number;
    if (ncount < 0 || zcount < 0 || pid < 0) return r;
    out[i] = { semnum: i, value: values.readUInt16LE(2 * i), ncount, zcount, pid };
  }
  r.elements = out;
  return r;
}

export function scanSemaphores(opts: InventoryOptions & { values?: boolean } = {}): Scan<SemaphoreRecord> {
  const s = scan('sem', opts, (t) => parseSemTable(t).map(semaphoreFromProc), semaphoresBySyscall);
  if (opts.values) for (const r of s.records) withElements(r);
  return s;
}

export function scanSegments(opts: InventoryOptions = {}): Scan<SegmentRecord> {
  return scan('shm', opts, (t) => parseShmTable(t).map(segmentFromProc), segmentsBySyscall);
}

/** Every message queue, in kernel index order. */
export function listQueues(opts: InventoryOptions = {}): QueueRecord[] {
  return scanQueues(opts).records;
}

/** Every semaphore set; with `values`, each set's elements too (null where unreadable). */
export function listSemaphores(opts: InventoryOptions & { values?: boolean } = {}): SemaphoreRecord[] {
  return scanSemaphores(opts).records;
}

/** Every shared memory segment. */
export function listSegments(opts: InventoryOptions = {}): SegmentRecord[] {
  return scanSegments(opts).records;
}

/** Everything at once. */
export function listAll(opts: InventoryOptions & { values?: boolean } = {}): {
  queues: QueueRecord[];
  semaphores: SemaphoreRecord[];
  segments: SegmentRecord[];
} {
  return { queues: listQueues(opts), semaphores: listSemaphores(opts), segments: listSegments(opts) };
}

/** One queue by id, with its byte limit (IPC_STAT; left null if that fails); null when absent. */
export function getQueue(id: number, opts: InventoryOptions = {}): QueueRecord | null {
  const r = listQueues(opts).find((q) => q.id === id) ?? null;
  if (r && r.qbytes === null) r.qbytes = queueBytesLimit(r.id);
  return r;
}

/** msg_qbytes of a queue (IPC_STAT), or null when it cannot be read. */
export function queueBytesLimit(id: number): number | null {
  try {
    return new MessageQueue(id).stat().qbytes;
  } catch (e) {
    if (isIpcError(e)) return null;
    throw e;
  }
}

/**
 * One semaphore set by id, with its elements; null when absent.
 * Throws IpcError (syscall 'semctl(GETVAL)', 'semctl(GETNCNT)'...) when an element cannot be read.
 */
export function getSemaphore(id: number, opts: InventoryOptions = {}): SemaphoreRecord | null {
  const r = listSemaphores(opts).find((s) => s.id === id) ?? null;
  if (r) r.elements = readSemElements(r.id, r.nsems);
  return r;
}

/** One segment by id; null when absent. */
export function getSegment(id: number, opts: InventoryOptions = {}): SegmentRecord | null {
  return listSegments(opts).find((s) => s.id === id) ?? null;
}

/**
 * GETVAL, GETNCNT, GETZCNT, GETPID of every semaphore of set `id`, in util-linux's order.
 * Throws IpcError whose syscall names the command that failed: 'semctl(GETVAL)'.
 */
export function readSemElements(id: number, nsems: number): SemElement[] {
  const set = new SemaphoreSet(id);
  const call = (name: string, f: () => number): number => {
    try {
      return f();
    } catch (e) {
      if (e instanceof IpcError) throw ipcError(`semctl(${name})`, e.errno);
      throw e;
    }
  };
  const out: SemElement[] = [];
  for (let i = 0; i < nsems; i++) {
    out.push({
      semnum: i,
      value: call('GETVAL', () => set.getValue(i)),
      ncount: call('GETNCNT', () => set.getNcnt(i)),
      zcount: call('GETZCNT', () => set.getZcnt(i)),
      pid: call('GETPID', () => set.getPid(i)),
    });
  }
  return out;
}

// ---------------------------------------------------------------- limits and usage

export type LimitsSource = 'proc' | 'ipc_info';

/** Message queue limits. msgmax is 64-bit in /proc (bigint). */
export interface QueueLimits {
  source: LimitsSource;
  /** Max queues system-wide. */
  msgmni: number;
  /** Max bytes of one message. */
  msgmax: bigint;
  /** Default byte limit of a new queue. */
  msgmnb: number;
}

/** Shared memory limits (bigint: shmmax and shmall default to ULONG_MAX - 2^24). */
export interface SegmentLimits {
  source: LimitsSource;
  /** Max segments system-wide. */
  shmmni: bigint;
  /** Max bytes of one segment. */
  shmmax: bigint;
  /** Max pages of all segments together. */
  shmall: bigint;
  /** Min bytes of a segment (SHMMIN, 1 on Linux). */
  shmmin: bigint;
  /** The page size shmall counts in. */
  pageSize: number;
}

export interface SemaphoreLimits {
  source: LimitsSource;
  /** Max sets system-wide. */
  semmni: number;
  /** Max semaphores per set. */
  semmsl: number;
  /** Max semaphores system-wide. */
  semmns: number;
  /** Max operations per semop call. */
  semopm: number;
  /** Max value of a semaphore (SEMVMX, a constant). */
  semvmx: number;
}

export interface LimitsOptions {
  /** Where /proc/sys/kernel is (tests). */
  kernelDir?: string;
}

const ipcInfo = <T>(f: () => T): T | null => {
  try {
    return f();
  } catch (e) {
    if (isIpcError(e)) return null;
    throw e;
  }
};

/** As `ipcs -l` reads them; null when they cannot be fetched ("unable to fetch message limits"). */
export function queueLimits(opts: LimitsOptions = {}): QueueLimits | null {
  const p = readMsgLimits(opts.kernelDir);
  if (p.status === 'ok') return { source: 'proc', ...p.limits };
  if (p.status === 'unreadable') return null;
  const i = ipcInfo(() => MessageQueue.limits());
  return i && { source: 'ipc_info', msgmni: i.msgmni, msgmax: BigInt(i.msgmax), msgmnb: i.msgmnb };
}

/** The page size, in bytes (shmall counts pages). */
export function pageSize(): number {
  return fn.getpagesize() as number;
}

export function segmentLimits(opts: LimitsOptions = {}): SegmentLimits | null {
  const pageSize_ = pageSize();
  const p = readShmLimits(opts.kernelDir);
  if (p.status === 'ok') return { source: 'proc', ...p.limits, shmmin: 1n, pageSize: pageSize_ };
  if (p.status === 'unreadable') return null;
  const i = ipcInfo(() => SharedMemory.limits());
  return (
    i && {
      source: 'ipc_info',
      ...fieldsOf(i, ['shmmni', 'shmmax', 'shmall']),
      shmmin: 1n,
      pageSize: pageSize_,
    }
  );
}

export function semaphoreLimits(opts: LimitsOptions = {}): SemaphoreLimits | null {
  const p = readSemLimits(opts.kernelDir);
  if (p.status === 'ok') return { source: 'proc', ...p.limits, semvmx: SEMVMX };
  const i = ipcInfo(() => SemaphoreSet.limits());
  return (
    i && { source: 'ipc_info', ...fieldsOf(i, ['semmni', 'semmsl', 'semmns', 'semopm']), semvmx: SEMVMX }
  );
}

/** MSG_INFO; null when the kernel has no message queues. */
export function queueUsage(): MsgInfo | null {
  return ipcInfo(() => MessageQueue.usage());
}

/** SEM_INFO; null when the kernel has no semaphores. */
export function semaphoreUsage(): SemInfo | null {
  return ipcInfo(() => SemaphoreSet.usage());
}

/** SHM_INFO; null when the kernel has no shared memory. */
export function segmentUsage(): ShmInfo | null {
  return ipcInfo(() => SharedMemory.usage());
}
