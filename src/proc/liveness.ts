// Is a process still there? One answer for the protocols: kill(pid, 0) (EPERM: it exists,
// someone else's), and a zombie (state Z or X in /proc/PID/stat) counts as gone: it holds no
// attach and will never take its turn. And the one reader of /proc/PID/stat's fields.
import { readFileSync } from 'node:fs';

/**
 * Field `n` of a /proc/PID/stat line as proc(5) numbers them (3 state, 9 flags, 22 starttime),
 * found after the last ')' (comm may hold spaces and ')'); undefined when the line has none.
 */
function pidStatField(stat: string, n: number): string | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  return stat
    .slice(close + 2)
    .trim()
    .split(/\s+/)[n - 3];
}

/** A numeric field of a /proc/PID/stat line (see pidStatField); null when absent or not digits. */
export function pidStatNumber(stat: string, n: number): number | null {
  const v = pidStatField(stat, n);
  return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : null;
}

/** The state letter of a /proc/PID/stat line ("1234 (node) S ..."; comm may hold ')'). */
export function procState(stat: string): string {
  return pidStatField(stat, 3) ?? '';
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
