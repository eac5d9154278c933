// Which objects nobody uses any more. The kernel keeps, per object:
//   segments: the creator pid (shm_cpid), the last shmat/shmdt pid (shm_lpid), the attach count;
//   queues: the last msgsnd and msgrcv pids (msg_lspid, msg_lrpid), no creator pid;
//   semaphore sets: per semaphore the last semop pid (GETPID) and the waiters (GETNCNT/GETZCNT),
//   no creator pid.
// An object is leaked when every process it records is gone (or its pid was reused by a newer
// process) and nobody is attached to it or waiting on it. Every verdict comes with its reasons.
import type { IpcRecord, QueueRecord, SegmentRecord, SemaphoreRecord } from '../ipc/inventory.js';
import { type PidState, ProcessChecker } from './processes.js';

export interface Verdict {
  record: IpcRecord;
  leaked: boolean;
  /** Why (when leaked), or why not. */
  reasons: string[];
}

export interface LeakOptions {
  /** Now, in seconds since the epoch (tests). */
  now?: number;
  /** Objects changed (ctime) less than this many seconds ago are left out. */
  minAgeSeconds?: number;
  checker?: Pick<ProcessChecker, 'state'>;
}

const gone = (s: PidState) => s === 'gone' || s === 'reused' || s === 'none';

function pidText(role: string, pid: number, state: PidState, never: string): string {
  if (state === 'none') return never;
  if (state === 'reused') return `${role} pid ${pid} is gone (the pid now belongs to a newer process)`;
  return `${role} pid ${pid} ${state === 'gone' ? 'is gone' : 'is alive'}`;
}

function segment(r: SegmentRecord, c: Pick<ProcessChecker, 'state'>): Verdict {
  const cs = c.state(r.cpid, r.ctime);
  const ls = c.state(r.lpid, Math.max(r.atime, r.dtime));
  const reasons = [
    r.nattch === 0 ? 'nattch 0' : `${r.nattch} attached`,
    pidText('creator', r.cpid, cs, 'creator unknown'),
    pidText('last shmat/shmdt', r.lpid, ls, 'never attached'),
  ];
  return { record: r, leaked: r.nattch === 0 && !r.dest && gone(cs) && gone(ls), reasons };
}

function queue(r: QueueRecord, c: Pick<ProcessChecker, 'state'>): Verdict {
  const ss = c.state(r.lspid, r.stime);
  const rs = c.state(r.lrpid, r.rtime);
  const reasons = [
    pidText('last msgsnd', r.lspid, ss, 'no msgsnd ever'),
    pidText('last msgrcv', r.lrpid, rs, 'no msgrcv ever'),
    `${r.qnum} messages queued`,
    'the kernel records no creator pid for queues',
  ];
  return { record: r, leaked: gone(ss) && gone(rs), reasons };
}

function semaphores(r: SemaphoreRecord, c: Pick<ProcessChecker, 'state'>): Verdict {
  if (r.elements === null) {
    return {
      record: r,
      leaked: false,
      reasons: ['its semaphores cannot be read (no read permission): not judged'],
    };
  }
  const waiters = r.elements.reduce((n, e) => n + e.ncount + e.zcount, 0);
  const pids = [...new Set(r.elements.map((e) => e.pid).filter((p) => p > 0))];
  const states = pids.map((p) => [p, c.state(p, r.otime)] as const);
  const reasons = [
    waiters === 0 ? 'nobody waiting' : `${waiters} processes waiting`,
    pids.length === 0
      ? 'never operated on (no semop)'
      : states.map(([p, s]) => pidText('last semop', p, s, '')).join(', '),
    'the kernel records no creator pid for semaphore sets',
  ];
  return { record: r, leaked: waiters === 0 && states.every(([, s]) => gone(s)), reasons };
}

/** A verdict for each record (those younger than minAgeSeconds left out). */
export function judge(recordsIn: readonly IpcRecord[], opts: LeakOptions = {}): Verdict[] {
  const c = opts.checker ?? new ProcessChecker();
  const now = opts.now ?? Date.now() / 1000;
  const minAge = opts.minAgeSeconds ?? 0;
  return recordsIn
    .filter((r) => now - r.ctime >= minAge)
    .map((r) => (r.kind === 'shm' ? segment(r, c) : r.kind === 'msg' ? queue(r, c) : semaphores(r, c)));
}
