// `svipc who`: for each System V object, the processes that hold it right now and the ones the
// kernel remembers. Built on the one holder scan (src/hygiene/holders.ts, shared with `leaks`):
// attached processes with their address ranges (/proc/PID/maps), threads blocked on a queue or a
// set with their call (/proc/PID/task/TID/syscall) and, for semop/semtimedop, the struct sembuf
// array the thread passed, read from its memory (/proc/PID/mem: ptrace rights needed, otherwise
// "unknown"); the creator and last-operation pids, alive or not. What could not be looked at is
// said per object, never guessed.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import type { HolderScan, Mapping, Waiter } from '../hygiene/holders.js';
import { type PidState, ProcessChecker } from '../hygiene/processes.js';
import type { IpcKind, IpcRecord } from '../ipc/inventory.js';
import { KINDS } from '../ipc/kinds.js';
import { userName } from '../ipc/users.js';
import { parseSembufs, parseSyscallArgs, SEMBUF_SIZE, type SemOpSeen } from '../proc/holders.js';

/** A process as /proc shows it now; command and uid null when unreadable. */
export interface ProcessFacts {
  pid: number;
  command: string | null;
  uid: number | null;
  user: string | null;
}

/** A pid the kernel recorded on the object, and whether that process is still there. */
export interface RecordedPid {
  /** What the kernel recorded it for: 'creator', 'msgsnd', 'msgrcv', 'shmat/shmdt', 'semop'. */
  role: string;
  /** 0 = none recorded. */
  pid: number;
  state: PidState;
  /** The semaphore it last operated on (semop pids are per semaphore). */
  semnum?: number;
  command: string | null;
}

export interface AttachedProcess extends ProcessFacts {
  /** Each mapping of the segment in that process. */
  ranges: { start: bigint; end: bigint; bytes: bigint; perms: string }[];
}

export interface WaitingThread extends ProcessFacts {
  tid: number;
  call: Waiter['call'];
  /** The operations a semop/semtimedop waits to do; null when not seen (see opsUnknown). */
  ops: SemOpSeen[] | null;
  /** Why ops is null, for semaphore waits. */
  opsUnknown: string | null;
}

export interface WhoReport {
  record: IpcRecord;
  /** The pids the kernel recorded (the kernel records no creator for queues and sets). */
  recorded: RecordedPid[];
  /** Why some recorded pids are missing (a set's per-semaphore pids need read permission), or null. */
  recordedUnknown: string | null;
  attached: AttachedProcess[];
  waiting: WaitingThread[];
  /** Why this report may miss a holder, or null when every process was looked at. */
  blind: string | null;
}

export interface WhoOptions {
  proc?: string;
  littleEndian?: boolean;
}

/** comm, uid and user of a pid; nulls where /proc does not say. */
export function processFacts(pid: number, proc = '/proc'): ProcessFacts {
  let command: string | null = null;
  let uid: number | null = null;
  try {
    command = readFileSync(`${proc}/${pid}/comm`, 'utf8').replace(/\n$/, '');
  } catch {}
  try {
    const m = /^Uid:\s+([0-9]+)/m.exec(readFileSync(`${proc}/${pid}/status`, 'utf8'));
    if (m) uid = Number(m[1]);
  } catch {}
  return { pid, command, uid, user: uid === null ? null : userName(uid) };
}

/** Largest sembuf array read from another process (the kernel's SEMOPM is 500 by default). */
const MAX_SOPS = 4096;

/**
 * The struct sembuf array a thread blocked in semop/semtimedop passed: its syscall line is read
 * again now (a waiter may restart its call between the scan and this read), the array read from
 * /proc/PID/mem at the call's second argument, and the line read once more: only when the thread
 * is still in that very call is the array what it waits to do.
 */
export function readWaitingOps(
  scan: HolderScan,
  w: Waiter,
  opts: WhoOptions = {},
): { ops: SemOpSeen[] | null; why: string | null } {
  const proc = opts.proc ?? '/proc';
  const lineFile = `${proc}/${w.pid}/task/${w.tid}/syscall`;
  const current = (): string | null => {
    try {
      return readFileSync(lineFile, 'utf8').trim();
    } catch {
      return null;
    }
  };
  const before = current();
  const args = before === null ? null : parseSyscallArgs(before);
  const scanned = scan.syscallArgs(w.pid, w.tid);
  if (args === null || scanned === null || args[0] !== scanned[0] || before!.split(/\s+/)[0] === '-1')
    return { ops: null, why: 'the call ended meanwhile' };
  const [, sops, nsops] = args;
  const n = Number(nsops! & 0xffffffffn);
  if (n < 1 || n > MAX_SOPS) return { ops: null, why: `implausible nsops ${n}` };
  const buf = Buffer.alloc(n * SEMBUF_SIZE);
  let fd: number;
  try {
    fd = openSync(`${proc}/${w.pid}/mem`, 'r');
  } catch (e) {
    return {
      ops: null,
      why: `/proc/${w.pid}/mem: ${(e as NodeJS.ErrnoException).code} (needs ptrace rights)`,
    };
  }
  try {
    const got = readSync(fd, buf, 0, buf.length, sops!);
    if (got !== buf.length) return { ops: null, why: `/proc/${w.pid}/mem: short read` };
  } catch (e) {
    return {
      ops: null,
      why: `/proc/${w.pid}/mem: ${(e as NodeJS.ErrnoException).code} (needs ptrace rights)`,
    };
  } finally {
    closeSync(fd);
  }
  if (current() !== before) return { ops: null, why: 'the call ended meanwhile' };
  return { ops: parseSembufs(buf, opts.littleEndian ?? endianness() === 'LE'), why: null };
}

function recordedPids(r: IpcRecord, checker: ProcessChecker, proc: string): RecordedPid[] {
  const one = (role: string, pid: number, when: number, semnum?: number): RecordedPid => {
    const state = checker.state(pid, when);
    return {
      role,
      pid,
      state,
      ...(semnum === undefined ? {} : { semnum }),
      command: state === 'alive' ? processFacts(pid, proc).command : null,
    };
  };
  if (r.kind === 'shm') {
    return [one('creator', r.cpid, r.ctime), one('shmat/shmdt', r.lpid, Math.max(r.atime, r.dtime))];
  }
  if (r.kind === 'msg') return [one('msgsnd', r.lspid, r.stime), one('msgrcv', r.lrpid, r.rtime)];
  // A set records the last semop pid per semaphore (GETPID); unread when the values are not readable.
  return (r.elements ?? []).map((e) => one('semop', e.pid, r.otime, e.semnum));
}

/** The report of each record, from one holder scan taken after the records were listed. */
export function whoReports(records: IpcRecord[], scan: HolderScan, opts: WhoOptions = {}): WhoReport[] {
  const proc = opts.proc ?? '/proc';
  const checker = new ProcessChecker(proc);
  const facts = new Map<number, ProcessFacts>();
  const factsOf = (pid: number) => {
    let f = facts.get(pid);
    if (!f) {
      f = processFacts(pid, proc);
      facts.set(pid, f);
    }
    return f;
  };
  return records.map((record) => {
    const h = scan.holders(record.kind, record.id);
    const byPid = new Map<number, Mapping[]>();
    for (const m of scan.mappings(record.id)) byPid.set(m.pid, [...(byPid.get(m.pid) ?? []), m]);
    const attached: AttachedProcess[] =
      record.kind === 'shm'
        ? h.attached.map((pid) => ({
            ...factsOf(pid),
            ranges: (byPid.get(pid) ?? []).map((m) => ({
              start: m.start,
              end: m.end,
              bytes: m.end - m.start,
              perms: m.perms,
            })),
          }))
        : [];
    const waiting: WaitingThread[] = h.waiting.map((w) => {
      const seen = record.kind === 'sem' ? readWaitingOps(scan, w, opts) : { ops: null, why: null };
      return { ...factsOf(w.pid), tid: w.tid, call: w.call, ops: seen.ops, opsUnknown: seen.why };
    });
    const notes = [record.kind === 'shm' ? scan.attachBlind : scan.waitBlind];
    // Each blocked semop is counted once in semncnt/semzcnt: more counted than seen is said.
    const counted =
      record.kind === 'sem' && record.elements !== null
        ? record.elements.reduce((n, e) => n + e.ncount + e.zcount, 0)
        : null;
    if (counted !== null && counted > waiting.length)
      notes.push(
        `the kernel counts ${counted} waiting, ${waiting.length} seen (a waiter may have been between two calls, or be unreadable)`,
      );
    const blind = notes.filter((n): n is string => n !== null).join('; ') || null;
    const recordedUnknown =
      record.kind === 'sem' && record.elements === null
        ? 'the last semop pids cannot be read (no read permission on the set)'
        : null;
    return {
      record,
      recorded: recordedPids(record, checker, proc),
      recordedUnknown,
      attached,
      waiting,
      blind,
    };
  });
}

/** An object named on the command line, as ipcrm names them: by id or by key (`text` as said). */
export interface WhoTarget {
  kind: IpcKind;
  by: 'id' | 'key';
  value: number;
  text: string;
}

/**
 * The named objects, in the listing's order and each once, and one phrase for every name that
 * matched nothing ("no message queue with id 7"). No names: every object.
 */
export function selectTargets(
  records: IpcRecord[],
  wanted: readonly WhoTarget[],
): { chosen: IpcRecord[]; missing: string[] } {
  if (wanted.length === 0) return { chosen: records, missing: [] };
  const hit = (w: WhoTarget, r: IpcRecord) => r.kind === w.kind && (w.by === 'id' ? r.id : r.key) === w.value;
  const missing = wanted
    .filter((w) => !records.some((r) => hit(w, r)))
    .map((w) => `no ${KINDS[w.kind].noun} with ${w.by} ${w.text}`);
  return { chosen: records.filter((r) => wanted.some((w) => hit(w, r))), missing };
}

export type { IpcKind };
