// Pure parsers for what Linux tells about who holds a System V IPC object:
//   /proc/PID/maps            an attached segment is a line `... INODE /SYSV%08x (deleted)`, and its
//                             inode is the shmid (ipc/shm.c promises this to proc tools);
//   /proc/PID/task/TID/syscall the call a thread is blocked in and its arguments: `NR ARG1..ARG6 SP PC`,
//                             `-1 SP PC` outside a call, `running` when it runs;
//   /proc/PID/stat            the flags (field 9), to tell kernel threads (which hold nothing);
//   /proc/self/mountinfo      /proc's hidepid= option (other users' processes hidden).
// Reading those files is src/hygiene/holders.ts's job; nothing here touches the file system.
import { pidStatNumber } from './liveness.js';

/** The System V calls a thread can be blocked in, and the kind of object each waits on. */
export type BlockingCall = 'msgrcv' | 'msgsnd' | 'semop' | 'semtimedop';
export const CALL_KIND: Record<BlockingCall, 'msg' | 'sem'> = {
  msgrcv: 'msg',
  msgsnd: 'msg',
  semop: 'sem',
  semtimedop: 'sem',
};

/**
 * Syscall numbers by `process.arch`: x86_64's own table, and the generic table
 * (include/uapi/asm-generic/unistd.h) that aarch64 uses. Other architectures: unknown.
 */
export const BLOCKING_SYSCALLS: Readonly<Record<string, Readonly<Record<number, BlockingCall>>>> = {
  x64: { 69: 'msgsnd', 70: 'msgrcv', 65: 'semop', 220: 'semtimedop' },
  arm64: { 189: 'msgsnd', 188: 'msgrcv', 193: 'semop', 192: 'semtimedop' },
};

/** A thread blocked in a System V call: the call and the id (its first argument). */
export interface BlockedCall {
  call: BlockingCall;
  id: number;
}

/**
 * The System V call of one /proc/PID/task/TID/syscall line, or null when the thread is in
 * another call, running, or outside any call. `table` is BLOCKING_SYSCALLS[arch].
 * The id is an int: the low 32 bits of the first argument.
 */
export function parseSyscallLine(
  line: string,
  table: Readonly<Record<number, BlockingCall>>,
): BlockedCall | null {
  const f = line.trim().split(/\s+/);
  if (f.length < 2 || !/^[0-9]+$/.test(f[0]!)) return null;
  const call = table[Number(f[0])];
  const arg = f[1]!;
  if (call === undefined || !/^0x[0-9a-f]+$/i.test(arg)) return null;
  const id = Number(BigInt.asIntN(32, BigInt(arg)));
  return id < 0 ? null : { call, id };
}

/** The shmids a /proc/PID/maps file shows attached (each once, in order of first mapping). */
export function parseMapsSysv(maps: string): number[] {
  const ids = new Set<number>();
  for (const line of maps.split('\n')) {
    // address perms offset dev inode path: the path of a segment is /SYSV<key as %08x> (deleted).
    const m = /^\S+\s+\S+\s+\S+\s+\S+\s+([0-9]+)\s+\/SYSV[0-9a-f]{8} \(deleted\)$/.exec(line);
    if (m) ids.add(Number(m[1]));
  }
  return [...ids];
}

/** PF_KTHREAD of include/linux/sched.h. */
const PF_KTHREAD = 0x00200000;

/** Whether a /proc/PID/stat line is a kernel thread's (flags, field 9); null when it does not parse. */
export function isKernelThread(stat: string): boolean | null {
  const flags = pidStatNumber(stat, 9);
  return flags === null ? null : (flags & PF_KTHREAD) !== 0;
}

/**
 * The hidepid= option of the proc file system mounted at `mountPoint`, from /proc/self/mountinfo:
 * '0'/'off' shows every process; '1'/'noaccess', '2'/'invisible', '4'/'ptraceable' hide or lock
 * other users' processes. null when that mount is not found (or is not proc).
 */
export function parseHidepid(mountinfo: string, mountPoint = '/proc'): string | null {
  let found: string | null = null;
  for (const line of mountinfo.split('\n')) {
    // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    if (left[4] !== mountPoint || right[0] !== 'proc') continue;
    const opt = (right[2] ?? '').split(',').find((o) => o.startsWith('hidepid='));
    // The last mount on that point is the one in force.
    found = opt === undefined ? '0' : opt.slice('hidepid='.length);
  }
  return found;
}

/** Whether a hidepid= value keeps svipc (not root) from seeing other users' processes. */
export function hidesProcesses(hidepid: string): boolean {
  return !(hidepid === '0' || hidepid === 'off');
}

/** One mapping of an attached segment in /proc/PID/maps: the shmid, its address range, its perms. */
export interface SysvMapping {
  id: number;
  /** First address and the address past the end (exact: bigint). */
  start: bigint;
  end: bigint;
  /** The maps perms column: "rw-s", "r--s". */
  perms: string;
}

/** Every System V segment mapping of a /proc/PID/maps file, in file order. */
export function parseMapsSysvRanges(maps: string): SysvMapping[] {
  const out: SysvMapping[] = [];
  for (const line of maps.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S+)\s+\S+\s+\S+\s+([0-9]+)\s+\/SYSV[0-9a-f]{8} \(deleted\)$/.exec(
      line,
    );
    if (m) out.push({ id: Number(m[4]), start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), perms: m[3]! });
  }
  return out;
}

/** The six arguments of a /proc/PID/task/TID/syscall line in a call; null outside a call or running. */
export function parseSyscallArgs(line: string): bigint[] | null {
  const f = line.trim().split(/\s+/);
  if (f.length < 7 || !/^[0-9]+$/.test(f[0]!)) return null;
  const args = f.slice(1, 7);
  return args.every((a) => /^0x[0-9a-f]+$/i.test(a)) ? args.map((a) => BigInt(a)) : null;
}

/** One struct sembuf: unsigned short sem_num; short sem_op; short sem_flg (6 bytes, native order). */
export interface SemOpSeen {
  semnum: number;
  op: number;
  flags: number;
}
export const SEMBUF_SIZE = 6;

/** The struct sembuf array in `buf` (as read from the process's memory), little- or big-endian. */
export function parseSembufs(buf: Buffer, littleEndian = true): SemOpSeen[] {
  const out: SemOpSeen[] = [];
  for (let o = 0; o + SEMBUF_SIZE <= buf.length; o += SEMBUF_SIZE) {
    out.push(
      littleEndian
        ? { semnum: buf.readUInt16LE(o), op: buf.readInt16LE(o + 2), flags: buf.readUInt16LE(o + 4) }
        : { semnum: buf.readUInt16BE(o), op: buf.readInt16BE(o + 2), flags: buf.readUInt16BE(o + 4) },
    );
  }
  return out;
}

/**
 * The st_dev that stat(2) gives for a device /proc/PID/maps shows as "MAJ:MIN" (hex): glibc's
 * makedev(), so a mapping can be matched with a file by (device, inode).
 */
export function mapsDevice(field: string): bigint | null {
  const m = /^([0-9a-f]+):([0-9a-f]+)$/i.exec(field);
  if (!m) return null;
  const major = BigInt(`0x${m[1]}`);
  const minor = BigInt(`0x${m[2]}`);
  return ((major & 0xfffn) << 8n) | ((major & ~0xfffn) << 32n) | (minor & 0xffn) | ((minor & ~0xffn) << 12n);
}

/** One file mapping of /proc/PID/maps: "DEV:INODE" (decimal, DEV as stat's st_dev) and its path. */
export interface MappedFile {
  id: string;
  path: string;
}

/** Every file a /proc/PID/maps file shows mapped (inode not 0), each once. */
export function parseMapsFiles(maps: string): MappedFile[] {
  const seen = new Map<string, MappedFile>();
  for (const line of maps.split('\n')) {
    // address perms offset dev inode path
    const m = /^\S+\s+\S+\s+\S+\s+(\S+)\s+([0-9]+)\s+(.*)$/.exec(line);
    if (!m || m[2] === '0') continue;
    const dev = mapsDevice(m[1]!);
    const id = `${dev}:${m[2]}`;
    if (dev !== null && !seen.has(id)) seen.set(id, { id, path: m[3]! });
  }
  return [...seen.values()];
}

/**
 * The identities of every file a maps file shows mapped: how a POSIX shared memory object or a
 * semaphore (/dev/shm/sem.NAME, mapped by sem_open) is found mapped, whatever path or mount
 * namespace the process reached it by.
 */
export function parseMapsFileIds(maps: string): string[] {
  return parseMapsFiles(maps).map((f) => f.id);
}
