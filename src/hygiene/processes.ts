// Is the process that did something to an IPC object still there? /proc/<pid> answers, unless
// the pid was reused: a process that started after the time of the operation it is supposed
// to have done is a different process. Pure parsers for /proc/<pid>/stat and /proc/stat, and
// a checker that reads them.
import { readFileSync } from 'node:fs';
import { pidStatNumber } from '../proc/liveness.js';

/** Field 22 of /proc/<pid>/stat (clock ticks after boot); the comm field may hold spaces and ')'. */
export function parseStartTicks(stat: string): number | null {
  return pidStatNumber(stat, 22);
}

/** `btime` of /proc/stat: boot time in seconds since the epoch. */
export function parseBootTime(stat: string): number | null {
  const m = /^btime\s+([0-9]+)$/m.exec(stat);
  return m ? Number(m[1]) : null;
}

/** Whether pid exists, asked of the kernel (kill with signal 0: EPERM means it exists). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** USER_HZ: the unit of /proc/<pid>/stat times; 100 on every Linux architecture svipc runs on. */
const CLK_TCK = 100;

export type PidState =
  /** pid 0: no process recorded. */
  | 'none'
  | 'alive'
  | 'gone'
  /** A process with that pid exists, but it started after the operation: the pid was reused. */
  | 'reused';

export class ProcessChecker {
  #boot: number | null | undefined;
  /** Each pid's start time, read once: one checker answers the same for a pid all along. */
  readonly #starts = new Map<number, number | null | 'unknown'>();
  constructor(private readonly proc = '/proc') {}

  #bootTime(): number | null {
    if (this.#boot === undefined) {
      try {
        this.#boot = parseBootTime(readFileSync(`${this.proc}/stat`, 'utf8'));
      } catch {
        this.#boot = null;
      }
    }
    return this.#boot;
  }

  /** When the process started, in seconds since the epoch; null when it does not exist. */
  startTime(pid: number): number | null | 'unknown' {
    let start = this.#starts.get(pid);
    if (start === undefined) {
      start = this.#readStartTime(pid);
      this.#starts.set(pid, start);
    }
    return start;
  }

  #readStartTime(pid: number): number | null | 'unknown' {
    let stat: string;
    try {
      stat = readFileSync(`${this.proc}/${pid}/stat`, 'utf8');
    } catch {
      // hidepid= hides other users' processes from /proc: the kernel still says whether they exist.
      return this.proc === '/proc' && exists(pid) ? 'unknown' : null;
    }
    const ticks = parseStartTicks(stat);
    const boot = this.#bootTime();
    return ticks === null || boot === null ? 'unknown' : boot + ticks / CLK_TCK;
  }

  /**
   * The state of `pid`, which did something at `when` (seconds since the epoch; 0 = unknown).
   * One second of slack: the kernel's times are whole seconds.
   */
  state(pid: number, when = 0): PidState {
    if (pid <= 0) return 'none';
    const start = this.startTime(pid);
    if (start === null) return 'gone';
    if (start !== 'unknown' && when > 0 && start > when + 1) return 'reused';
    return 'alive';
  }
}
