// The System V IPC limits in /proc/sys/kernel, read the way util-linux's ipcutils.c reads
// them for `ipcs -l` (so the numbers, the fallbacks and the failures are the same):
//   msg: msgmni, msgmnb (fscanf %d), msgmax (%lu), when all three files exist; else IPC_INFO.
//   shm: shmall, shmmax, shmmni (%lu), when all three exist; else IPC_INFO.
//   sem: "SEMMSL SEMMNS SEMOPM SEMMNI" from `sem` when all four scan; else IPC_INFO.
// Pure scanners (C's fscanf semantics) over file text, and one reader of those files.
// 64-bit values are bigint: shmmax and shmall default to ULONG_MAX - 2^24 (above 2^53).
import { accessSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const KERNEL_DIR = '/proc/sys/kernel';

const U64_MAX = (1n << 64n) - 1n;
const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);

/** fscanf("%d"): leading white space, a sign, digits (strtol, then the int's low 32 bits); null if none. */
export function scanInt(text: string): number | null {
  const m = /^\s*([-+]?)([0-9]+)/.exec(text);
  if (!m) return null;
  let v = BigInt(m[2]!);
  if (m[1] === '-') v = -v;
  if (v > LONG_MAX) v = LONG_MAX;
  if (v < LONG_MIN) v = LONG_MIN;
  return Number(BigInt.asIntN(32, v));
}

/** fscanf("%lu"): strtoul's rules (a '-' negates modulo 2^64, overflow gives ULONG_MAX); null if none. */
export function scanU64(text: string): bigint | null {
  const m = /^\s*([-+]?)([0-9]+)/.exec(text);
  if (!m) return null;
  let v = BigInt(m[2]!);
  if (v > U64_MAX) return U64_MAX;
  if (m[1] === '-') v = BigInt.asUintN(64, -v);
  return v;
}

export interface SemLimitsLine {
  semmsl: number;
  semmns: number;
  semopm: number;
  semmni: number;
}

/** fscanf("%d\t%d\t%d\t%d") over /proc/sys/kernel/sem: null unless all four scan. */
export function scanSemLine(text: string): SemLimitsLine | null {
  const values: number[] = [];
  let rest = text;
  for (let i = 0; i < 4; i++) {
    const m = /^\s*[-+]?[0-9]+/.exec(rest);
    if (!m) return null;
    values.push(scanInt(m[0])!);
    rest = rest.slice(m[0].length);
  }
  const [semmsl, semmns, semopm, semmni] = values as [number, number, number, number];
  return { semmsl, semmns, semopm, semmni };
}

/** What the files say, or why they cannot be used. */
export type ProcLimits<T> =
  /** The files are there and were read. */
  | { status: 'ok'; limits: T }
  /** Some file is missing: util-linux asks the kernel (IPC_INFO) instead. */
  | { status: 'missing' }
  /** The files are there but one did not scan: util-linux gives up ("unable to fetch ..."). */
  | { status: 'unreadable' };

export interface MsgLimits {
  msgmni: number;
  msgmnb: number;
  msgmax: bigint;
}

export interface ShmLimits {
  shmall: bigint;
  shmmax: bigint;
  shmmni: bigint;
}

export type MsgLimitFiles = Record<'msgmni' | 'msgmnb' | 'msgmax', string | null>;
export type ShmLimitFiles = Record<'shmall' | 'shmmax' | 'shmmni', string | null>;

/** msgmni, msgmnb, msgmax from their files' text (null = the file does not exist). */
export function parseMsgLimits(files: MsgLimitFiles): ProcLimits<MsgLimits> {
  if (files.msgmni === null || files.msgmnb === null || files.msgmax === null) return { status: 'missing' };
  const msgmni = scanInt(files.msgmni);
  const msgmnb = scanInt(files.msgmnb);
  const msgmax = scanU64(files.msgmax);
  if (msgmni === null || msgmnb === null || msgmax === null) return { status: 'unreadable' };
  return { status: 'ok', limits: { msgmni, msgmnb, msgmax } };
}

/** shmall, shmmax, shmmni (util-linux ignores a value that does not scan: it counts as 0 here). */
export function parseShmLimits(files: ShmLimitFiles): ProcLimits<ShmLimits> {
  if (files.shmall === null || files.shmmax === null || files.shmmni === null) return { status: 'missing' };
  return {
    status: 'ok',
    limits: {
      shmall: scanU64(files.shmall) ?? 0n,
      shmmax: scanU64(files.shmmax) ?? 0n,
      shmmni: scanU64(files.shmmni) ?? 0n,
    },
  };
}

/** The `sem` file: 'missing' when absent or when its four numbers do not scan (both fall back). */
export function parseSemLimits(text: string | null): ProcLimits<SemLimitsLine> {
  const line = text === null ? null : scanSemLine(text);
  return line === null ? { status: 'missing' } : { status: 'ok', limits: line };
}

/** A file's text; null when it does not exist; '' when it exists but cannot be read. */
function readKernelFile(dir: string, name: string): string | null {
  const path = join(dir, name);
  try {
    accessSync(path);
  } catch {
    return null;
  }
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

export function readMsgLimits(dir: string = KERNEL_DIR): ProcLimits<MsgLimits> {
  return parseMsgLimits({
    msgmni: readKernelFile(dir, 'msgmni'),
    msgmnb: readKernelFile(dir, 'msgmnb'),
    msgmax: readKernelFile(dir, 'msgmax'),
  });
}

export function readShmLimits(dir: string = KERNEL_DIR): ProcLimits<ShmLimits> {
  return parseShmLimits({
    shmall: readKernelFile(dir, 'shmall'),
    shmmax: readKernelFile(dir, 'shmmax'),
    shmmni: readKernelFile(dir, 'shmmni'),
  });
}

export function readSemLimits(dir: string = KERNEL_DIR): ProcLimits<SemLimitsLine> {
  return parseSemLimits(readKernelFile(dir, 'sem'));
}
