// Who holds each System V IPC object right now: the processes that have a segment attached
// (/proc/PID/maps) and the threads blocked in msgrcv/msgsnd on a queue or in semop/semtimedop on
// a set (/proc/PID/task/TID/syscall), in this process's IPC namespace only (an id means another
// object in another namespace). And, as honestly, what could not be looked at: another user's
// entries are unreadable without root, hidepid= hides processes, an unknown architecture has
// unknown syscall numbers. `svipc leaks` judges with it; a `who` command lists it.
// The parsers are in src/proc/holders.ts; this module only reads.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import {
  BLOCKING_SYSCALLS,
  type BlockingCall,
  CALL_KIND,
  hidesProcesses,
  isKernelThread,
  parseHidepid,
  parseMapsSysv,
  parseMapsSysvRanges,
  parseSyscallArgs,
  parseSyscallLine,
  type SysvMapping,
} from '../proc/holders.js';

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

export interface HolderScan {
  holders(kind: 'msg' | 'sem' | 'shm', id: number): Holders;
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

  const pids = readdirSync(proc)
    .filter((n) => /^[0-9]+$/.test(n))
    .map(Number);
  for (const pid of pids) {
    const dir = `${proc}/${pid}`;
    try {
      const stat = read(`${dir}/stat`, 'stat', text);
      if (stat === null || isKernelThread(stat) === true) continue;
      const ns = read(`${dir}/ns/ipc`, 'ns/ipc', readlinkSync);
      if (ns === null || (selfNs !== null && ns !== selfNs)) continue;
      const maps = read(`${dir}/maps`, 'maps', text);
      if (maps === null) continue;
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
    } catch (e) {
      if (!(e instanceof Unreadable)) throw e;
      unreadable.push({ pid, file: e.file, code: e.code });
    }
  }

  const blind = [hidden, ...notes, blindText(unreadable)].filter((s): s is string => s !== null);
  const attachBlind = blind.length > 0 ? blind.join('; ') : null;
  const waitBlind =
    table === undefined
      ? [`svipc does not know the syscall numbers of ${arch}`, ...blind].join('; ')
      : attachBlind;
  return {
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
