// Who holds each System V IPC object right now: the processes that have a segment attached
// (/proc/PID/maps) and the threads blocked in msgrcv/msgsnd on a queue or in semop/semtimedop on
// a set (/proc/PID/task/TID/syscall), in this process's IPC namespace only (an id means another
// object in another namespace). In the same pass, when asked (ScanOptions.posix), who holds each
// POSIX object: the processes with its file open (/proc/PID/fd: a queue's link is "/NAME", a shm
// object's "/dev/shm/NAME") or mapped (/proc/PID/maps: shared memory, and semaphores, which glibc
// maps from /dev/shm/sem.NAME), matched by (device, inode), so a process of any IPC or mount
// namespace counts. And, as honestly, what could not be looked at: another user's
// entries are unreadable without root, hidepid= hides processes, an unknown architecture has
// unknown syscall numbers. `svipc leaks` judges with it; a `who` command lists it.
// The parsers are in src/proc/holders.ts; this module only reads.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { identityOf } from '../ipc/posix-common.js';
import {
  BLOCKING_SYSCALLS,
  type BlockingCall,
  CALL_KIND,
  hidesProcesses,
  isKernelThread,
  parseHidepid,
  parseMapsFileIds,
  parseMapsSysv,
  parseMapsSysvRanges,
  parseSyscallArgs,
  parseSyscallLine,
  type SysvMapping,
} from '../proc/holders.js';
import type { PosixTarget } from './posix.js';

export type { BlockingCall, SysvMapping } from '../proc/holders.js';

/** A segment mapping seen in a process's maps (`svipc who`). */
export interface Mapping extends SysvMapping {
  pid: number;
}

/** A thread blocked in a System V call on an object. */
export interface Waiter {
  pid: number;
  tid: number;
  call: BlockingCall;
}

/** Who holds one object: pids with the segment attached; threads waiting on the queue or set. */
export interface Holders {
  attached: number[];
  waiting: Waiter[];
}

/** A process whose entries could not be read, so it may hold anything. */
export interface UnreadableProcess {
  pid: number;
  /** The /proc file that failed: 'ns/ipc', 'maps', 'task', 'task/TID/syscall'. */
  file: string;
  /** Its errno code (EACCES, EPERM...). */
  code: string;
}

/** Who holds one POSIX object: pids with its file open, pids with it mapped. */
export interface PosixHolders {
  open: number[];
  mapped: number[];
}

export interface HolderScan {
  holders(kind: 'msg' | 'sem' | 'shm', id: number): Holders;
  /** Who holds the POSIX object of identity `id` ("DEV:INODE", one of ScanOptions.posix). */
  posixHolders(id: string): PosixHolders;
  /** Why a process holding a POSIX object may have been missed, or null when all were looked at. */
  posixBlind: string | null;
  /** Why an attached process may have been missed, or null when every process was looked at. */
  attachBlind: string | null;
  /** Why a waiting thread may have been missed, or null when every thread was looked at. */
  waitBlind: string | null;
  unreadable: UnreadableProcess[];
  /** How many processes were looked at (in this IPC namespace, kernel threads left out). */
  processes: number;
  /** The address ranges by which segment `id` is mapped, per process (`svipc who`). */
  mappings(id: number): Mapping[];
  /** The six syscall arguments of a waiting thread, as /proc/PID/task/TID/syscall showed them. */
  syscallArgs(pid: number, tid: number): bigint[] | null;
}

export interface ScanOptions {
  /** Where proc is mounted (tests). */
  proc?: string;
  /** `process.arch` (tests). */
  arch?: string;
  /** The effective uid: root sees past hidepid= (tests). */
  euid?: number;
  /** The POSIX objects to look for (posixTargets()); none: /proc/PID/fd is not read. */
  posix?: readonly PosixTarget[];
}

/** The process (or thread) is gone: what a read of its entries fails with after it exits. */
const GONE = new Set(['ENOENT', 'ESRCH']);

class Unreadable extends Error {
  constructor(
    readonly file: string,
    readonly code: string,
  ) {
    super(`${file}: ${code}`);
  }
}

/** Read one /proc entry: its text, null when the process is gone, Unreadable otherwise. */
function read<T>(file: string, rel: string, fn: (path: string) => T): T | null {
  try {
    return fn(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    if (GONE.has(code)) return null;
    throw new Unreadable(rel, code);
  }
}

const text = (p: string) => readFileSync(p, 'utf8');

function blindText(unreadable: UnreadableProcess[]): string | null {
  if (unreadable.length === 0) return null;
  const codes = [...new Set(unreadable.map((u) => u.code))].join('/');
  const first = unreadable[0]!;
  const who = unreadable.length === 1 ? '1 process' : `${unreadable.length} processes`;
  return `the /proc entries of ${who} cannot be read (${codes}, e.g. /proc/${first.pid}/${first.file}): run as root to see them`;
}

/** Look at every process now. Each read that fails because the process just exited is skipped. */
export function scanHolders(opts: ScanOptions = {}): HolderScan {
  const proc = opts.proc ?? '/proc';
  const arch = opts.arch ?? process.arch;
  const euid = opts.euid ?? process.geteuid?.() ?? 0;
  const table = BLOCKING_SYSCALLS[arch];
  const attached = new Map<number, number[]>();
  const waiting = new Map<string, Waiter[]>();
  const unreadable: UnreadableProcess[] = [];
  const ranges = new Map<number, Mapping[]>();
  const args = new Map<string, bigint[]>();
  const notes: string[] = [];
  let processes = 0;

  let hidden: string | null = null;
  try {
    const hidepid = parseHidepid(text(`${proc}/self/mountinfo`), proc);
    if (hidepid !== null && hidesProcesses(hidepid) && euid !== 0)
      hidden = `${proc} is mounted with hidepid=${hidepid}: other users' processes are hidden`;
  } catch {
    hidden = `${proc}/self/mountinfo cannot be read: other users' processes may be hidden`;
  }
  let selfNs: string | null = null;
  try {
    selfNs = readlinkSync(`${proc}/self/ns/ipc`);
  } catch (e) {
    notes.push(`${proc}/self/ns/ipc cannot be read (${(e as NodeJS.ErrnoException).code})`);
  }

  // svipc itself holds no object as a user does: it may have inherited a descriptor from its shell.
  let selfPid: number | null = null;
  try {
    selfPid = Number(readlinkSync(`${proc}/self`));
  } catch {
    // A /proc without "self" (tests): nothing to leave out.
  }
  const posixIds = new Set((opts.posix ?? []).map((t) => t.id));
  const posixFiles = new Set((opts.posix ?? []).map((t) => t.file));
  const open = new Map<string, Set<number>>();
  const mapped = new Map<string, Set<number>>();
  const posixUnreadable: UnreadableProcess[] = [];
  const note = (m: Map<string, Set<number>>, id: string, pid: number) => {
    const set = m.get(id);
    if (set) set.add(pid);
    else m.set(id, new Set([pid]));
  };
  /** The POSIX objects a process maps (its maps, read already) or has open (its fds). */
  const lookPosix = (pid: number, dir: string, maps: string) => {
    for (const id of parseMapsFileIds(maps)) if (posixIds.has(id)) note(mapped, id, pid);
    const fds = read(`${dir}/fd`, 'fd', (p) => readdirSync(p));
    for (const fd of fds ?? []) {
      const link = read(`${dir}/fd/${fd}`, `fd/${fd}`, (p) => readlinkSync(p, 'utf8'));
      if (link === null || !link.startsWith('/')) continue;
      // Only a link to a file of the right name is worth a stat (which says which file it is).
      if (!posixFiles.has(link.slice(link.lastIndexOf('/') + 1))) continue;
      const id = identityOf(`${dir}/fd/${fd}`); // null: closed meanwhile
      if (id !== null && posixIds.has(id)) note(open, id, pid);
    }
  };

  const pids = readdirSync(proc)
    .filter((n) => /^[0-9]+$/.test(n))
    .map(Number);
  for (const pid of pids) {
    const dir = `${proc}/${pid}`;
    let same: boolean | undefined;
    try {
      const stat = read(`${dir}/stat`, 'stat', text);
      if (stat === null || isKernelThread(stat) === true) continue;
      const ns = read(`${dir}/ns/ipc`, 'ns/ipc', readlinkSync);
      if (ns === null) continue;
      same = selfNs === null || ns === selfNs;
      // Another IPC namespace's System V ids are other objects; its processes may hold POSIX ones.
      if (!same && posixIds.size === 0) continue;
      const maps = read(`${dir}/maps`, 'maps', text);
      if (maps === null) continue;
      if (same) {
        const tids = read(`${dir}/task`, 'task', (p) => readdirSync(p));
        if (tids === null) continue;
        if (table !== undefined) {
          for (const t of tids) {
            const line = read(`${dir}/task/${t}/syscall`, `task/${t}/syscall`, text);
            const blocked = line === null ? null : parseSyscallLine(line, table);
            if (blocked) {
              const k = `${CALL_KIND[blocked.call]}:${blocked.id}`;
              const w = { pid, tid: Number(t), call: blocked.call };
              const list = waiting.get(k);
              if (list) list.push(w);
              else waiting.set(k, [w]);
              const a = parseSyscallArgs(line!);
              if (a) args.set(`${pid}:${t}`, a);
            }
          }
        }
        // One push per attachment: the scan costs processes + attachments, not objects x processes.
        for (const id of parseMapsSysv(maps)) {
          const list = attached.get(id);
          if (list) list.push(pid);
          else attached.set(id, [pid]);
        }
        for (const m of parseMapsSysvRanges(maps)) {
          const list = ranges.get(m.id);
          if (list) list.push({ ...m, pid });
          else ranges.set(m.id, [{ ...m, pid }]);
        }
        processes++;
      }
      if (posixIds.size > 0 && pid !== selfPid) {
        try {
          lookPosix(pid, dir, maps);
        } catch (e) {
          if (!(e instanceof Unreadable)) throw e;
          posixUnreadable.push({ pid, file: e.file, code: e.code });
        }
      }
    } catch (e) {
      if (!(e instanceof Unreadable)) throw e;
      // A process of another IPC namespace matters to POSIX objects only.
      (same === false ? posixUnreadable : unreadable).push({ pid, file: e.file, code: e.code });
    }
  }

  const blind = [hidden, ...notes, blindText(unreadable)].filter((s): s is string => s !== null);
  const attachBlind = blind.length > 0 ? blind.join('; ') : null;
  const waitBlind =
    table === undefined
      ? [`svipc does not know the syscall numbers of ${arch}`, ...blind].join('; ')
      : attachBlind;
  const posixBlindParts = [hidden, blindText([...unreadable, ...posixUnreadable])].filter(
    (x): x is string => x !== null,
  );
  return {
    posixHolders: (id) => ({ open: [...(open.get(id) ?? [])], mapped: [...(mapped.get(id) ?? [])] }),
    posixBlind: posixBlindParts.length > 0 ? posixBlindParts.join('; ') : null,
    holders(kind, id) {
      return {
        attached: kind === 'shm' ? [...(attached.get(id) ?? [])] : [],
        waiting: kind === 'shm' ? [] : [...(waiting.get(`${kind}:${id}`) ?? [])],
      };
    },
    attachBlind,
    waitBlind,
    unreadable,
    processes,
    mappings: (id) => [...(ranges.get(id) ?? [])],
    syscallArgs: (pid, tid) => args.get(`${pid}:${tid}`) ?? null,
  };
}
