// POSIX IPC objects as util-linux 2.41+ finds them (ipcutils.c): shared memory and semaphores
// are files in /dev/shm (a "sem." prefix = a semaphore), message queues are files in the
// mqueue filesystem at /dev/mqueue whose first line is "QSIZE:<bytes>"; the queue limits are
// in /proc/sys/fs/mqueue. One typed record per object, as inventory.ts gives for System V.
//
// Reading never changes an object: a semaphore's value and a queue's message count are read by
// opening it (sem_open without O_CREAT, mq_open O_RDONLY) and closing it again. Where that is not
// possible (no permission, not mounted, not a real semaphore) the value is null: unknown.
import { closeSync, openSync, readdirSync, readFileSync, readSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import { isIpcError } from './errors.js';
import { MQUEUE_DIR, PosixMessageQueue } from './posix-mq.js';
import { PosixSemaphore, SEM_DIR } from './posix-sem.js';
import { SHM_DIR } from './posix-shm.js';

export type PosixKind = 'pmsg' | 'psem' | 'pshm';

/** What every POSIX record has: the object's file in /dev/shm or /dev/mqueue, normalized. */
export interface PosixRecordBase {
  kind: PosixKind;
  /** The name to open it by: "/NAME". */
  name: string;
  /** Its file: /dev/shm/NAME, /dev/shm/sem.NAME, /dev/mqueue/NAME. */
  path: string;
  /** Permission bits (st_mode & 0777). */
  mode: number;
  /** Owner (the creator's effective ids unless changed since). */
  uid: number;
  gid: number;
  /** Seconds since the epoch: last change of content (util-linux's MTIME), of the inode, last access. */
  mtime: number;
  ctime: number;
  atime: number;
}

export interface PosixSegmentRecord extends PosixRecordBase {
  kind: 'pshm';
  /** Size in bytes. */
  size: number;
}

export interface PosixSemaphoreRecord extends PosixRecordBase {
  kind: 'psem';
  /** sem_getvalue; null when it cannot be opened (permission) or the file is no semaphore. */
  value: number | null;
}

export interface PosixQueueRecord extends PosixRecordBase {
  kind: 'pmsg';
  /**
   * QSIZE: bytes of all messages on the queue; null when its file cannot be read (util-linux
   * leaves such a queue out; svipc lists it, with what it cannot know as null).
   */
  qsize: number | null;
  /** Messages on the queue (mq_getattr's mq_curmsgs); null when it cannot be opened. */
  msgs: number | null;
}

export type PosixRecord = PosixSegmentRecord | PosixSemaphoreRecord | PosixQueueRecord;

export interface PosixInventoryOptions {
  /** Where shm_open's objects and glibc's semaphores are (default /dev/shm). */
  shmDir?: string;
  /** Where the mqueue filesystem is mounted (default /dev/mqueue). */
  mqueueDir?: string;
}

/** /proc/sys/fs/mqueue: the POSIX message queue limits; a value that cannot be read is null. */
export interface PosixQueueLimits {
  /** queues_max: queues in this IPC namespace (util-linux's MQUMNI). */
  queuesMax: number | null;
  /** msg_max: the largest mq_maxmsg (MQUMNB). */
  msgMax: number | null;
  /** msgsize_max: the largest mq_msgsize (MQUMAX). */
  msgsizeMax: number | null;
  /** msg_default, msgsize_default: what a queue made without attributes gets. */
  msgDefault: number | null;
  msgsizeDefault: number | null;
}

// glibc's sem_t is 32 bytes on 64-bit Linux: a shorter "sem.*" file is no semaphore, and
// mapping it to read the value would fault (SIGBUS) past its end.
const SEM_T_SIZE = 32;

function base<K extends PosixKind>(kind: K, name: string, path: string, st: Stats) {
  return {
    kind,
    name,
    path,
    mode: st.mode & 0o777,
    uid: st.uid,
    gid: st.gid,
    mtime: Math.floor(st.mtimeMs / 1000),
    ctime: Math.floor(st.ctimeMs / 1000),
    atime: Math.floor(st.atimeMs / 1000),
  };
}

/** Regular files of a directory with their stat; [] when the directory is not there. */
function files(dir: string): { file: string; path: string; st: Stats }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: { file: string; path: string; st: Stats }[] = [];
  for (const file of names.sort()) {
    const path = join(dir, file);
    try {
      const st = statSync(path);
      if (st.isFile()) out.push({ file, path, st });
    } catch {
      // Removed between readdir and stat: not there any more.
    }
  }
  return out;
}

/** POSIX shared memory objects: the files of /dev/shm without the "sem." prefix. */
export function listPosixSegments(opts: PosixInventoryOptions = {}): PosixSegmentRecord[] {
  return files(opts.shmDir ?? SHM_DIR)
    .filter((f) => !f.file.startsWith('sem.'))
    .map((f) => ({ ...base('pshm', `/${f.file}`, f.path, f.st), size: f.st.size }));
}

/** POSIX named semaphores: /dev/shm/sem.NAME, each value read with sem_open/sem_getvalue. */
export function listPosixSemaphores(opts: PosixInventoryOptions = {}): PosixSemaphoreRecord[] {
  const dir = opts.shmDir ?? SHM_DIR;
  return files(dir)
    .filter((f) => f.file.startsWith('sem.') && f.file.length > 4)
    .map((f) => {
      const name = `/${f.file.slice(4)}`;
      // sem_open finds semaphores in /dev/shm only: elsewhere (a test's copy) the value is unknown.
      const value = dir === SEM_DIR && f.st.size >= SEM_T_SIZE ? semValue(name) : null;
      return { ...base('psem', name, f.path, f.st), value };
    });
}

/** POSIX message queues: the files of /dev/mqueue (every one is a queue); [] when it is not mounted. */
export function listPosixQueues(opts: PosixInventoryOptions = {}): PosixQueueRecord[] {
  const dir = opts.mqueueDir ?? MQUEUE_DIR;
  const out: PosixQueueRecord[] = [];
  for (const f of files(dir)) {
    const qsize = readQsize(f.path);
    const name = `/${f.file}`;
    const msgs = dir === MQUEUE_DIR ? queueMessages(name) : null;
    out.push({ ...base('pmsg', name, f.path, f.st), qsize, msgs });
  }
  return out;
}

/** Every POSIX object of one kind. */
export function listPosixKind(kind: PosixKind, opts: PosixInventoryOptions = {}): PosixRecord[] {
  if (kind === 'pmsg') return listPosixQueues(opts);
  return kind === 'psem' ? listPosixSemaphores(opts) : listPosixSegments(opts);
}

/** Every POSIX object: queues, semaphores, shared memory. */
export function listPosix(opts: PosixInventoryOptions = {}): PosixRecord[] {
  return [...listPosixQueues(opts), ...listPosixSemaphores(opts), ...listPosixSegments(opts)];
}

/** Whether the mqueue filesystem is mounted where queues are looked for (util-linux warns when not). */
export function mqueueMounted(opts: PosixInventoryOptions = {}): boolean {
  try {
    return statSync(opts.mqueueDir ?? MQUEUE_DIR).isDirectory();
  } catch {
    return false;
  }
}

/** /proc/sys/fs/mqueue/{queues_max,msg_max,msgsize_max,msg_default,msgsize_default}. */
export function posixQueueLimits(opts: { procDir?: string } = {}): PosixQueueLimits {
  const dir = join(opts.procDir ?? '/proc', 'sys/fs/mqueue');
  const read = (f: string): number | null => {
    try {
      const v = readFileSync(join(dir, f), 'utf8').trim();
      return /^\d+$/.test(v) ? Number(v) : null;
    } catch {
      return null;
    }
  };
  return {
    queuesMax: read('queues_max'),
    msgMax: read('msg_max'),
    msgsizeMax: read('msgsize_max'),
    msgDefault: read('msg_default'),
    msgsizeDefault: read('msgsize_default'),
  };
}

/** The "QSIZE:<bytes>" at the start of a queue's file; null when it cannot be read. */
function readQsize(path: string): number | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(128);
    const n = readSync(fd, buf, 0, buf.length, null);
    const m = /^QSIZE:(\d+)/.exec(buf.subarray(0, n).toString('latin1'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

function semValue(name: string): number | null {
  let s: PosixSemaphore | undefined;
  try {
    s = PosixSemaphore.open(name);
    return s.value();
  } catch (e) {
    if (isIpcError(e)) return null;
    throw e;
  } finally {
    s?.close();
  }
}

function queueMessages(name: string): number | null {
  let q: PosixMessageQueue | undefined;
  try {
    q = PosixMessageQueue.open(name, { access: 'read' });
    return q.attributes().currentMessages;
  } catch (e) {
    if (isIpcError(e)) return null;
    throw e;
  } finally {
    q?.close();
  }
}
