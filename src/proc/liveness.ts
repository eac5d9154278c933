// Is a process still there? One answer for the protocols: kill(pid, 0) (EPERM: it exists,
// someone else's), and a zombie (state Z or X in /proc/PID/stat) counts as gone: it holds no
// attach and will never take its turn.
import { readFileSync } from 'node:fs';

/** The state letter of a /proc/PID/stat line ("1234 (node) S ..."; comm may hold ')'). */
export function procState(stat: string): string {
  const close = stat.lastIndexOf(')');
  return close < 0 ? '' : stat.charAt(close + 2);
}

/** Whether `pid` names a live process (EPERM: alive, someone else's; a zombie is dead). */
export function alive(pid: number, proc = '/proc'): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const state = procState(readFileSync(`${proc}/${pid}/stat`, 'utf8'));
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}
