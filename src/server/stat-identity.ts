// Who asked: the stat server acts with its client's privileges, never with its own.
//
// System V messages carry no sender. What the kernel offers, and how it is used here:
//   - msg_lspid of the request queue: the pid of the last msgsnd. It names the sender of a
//     given request only when that request was the last one sent, so the server keeps a
//     mirror of its request queue (SenderTracker): before every receive it reads msg_qnum
//     and msg_lspid (one IPC_STAT, both read under the queue's lock), and the newest of the
//     messages that arrived since the previous look is attributed to msg_lspid. When two or
//     more arrived between two looks, all but the newest have no known sender.
//   - /proc/PID/status of that pid: effective and filesystem uids and gids, supplementary
//     groups, and CapEff (CAP_IPC_OWNER): the credentials the kernel itself would check.
//   - the reply queue's ipc_perm: its creator (cuid/cgid, set by the kernel, unchangeable),
//     owner (uid/gid, which the owner may give away) and mode.
// With those, a reply queue is used only if the sender could write it (the kernel's own
// ipcperms rule), and file content only goes into a queue no one but the sender's user can
// read. Files are opened with the sender's fsuid/fsgid/groups on the server's main thread
// (setfsuid/setfsgid and the raw setgroups syscall change only the calling thread), so the
// kernel decides what the sender could open, ACLs and all.
// Residual risks (man page, "WHO IS ASKING"): a pid reused between the msgsnd and the read of
// /proc (the window is microseconds, pids wrap after pid_max); a sender that changes its
// credentials after sending is judged by its new ones; a root (CAP_IPC_OWNER) sender is
// trusted with everything; a server without CAP_SETUID/CAP_SETGID cannot take its client's
// identity and then serves other users only what every user may read.
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import type { IpcPerm, MsqidDs } from '../ipc/index.js';
import { fn } from '../ipc/libc.js';

/** CAP_IPC_OWNER: bypasses System V IPC permission checks. */
const CAP_IPC_OWNER = 15;

export interface Creds {
  pid: number;
  /** Effective uid and gid: what the kernel checks for System V IPC. */
  euid: number;
  egid: number;
  /** Filesystem uid and gid: what the kernel checks for files. */
  fsuid: number;
  fsgid: number;
  groups: number[];
  /** CAP_IPC_OWNER in the effective set. */
  ipcOwner: boolean;
}

const statusBuf = Buffer.alloc(16384);

/**
 * Open /proc/PID/status files of recent senders, by pid. Such a descriptor belongs to the
 * process it was opened for, not to its pid: once that process is gone a read fails (ESRCH)
 * even if a new process has the pid, so a read through it is always the credentials of the
 * same process, read afresh (a pread from offset 0 makes the kernel write the file anew).
 * It saves the path lookup, open and close of every request but the first of a process.
 */
const statusFds = new Map<number, number>();
/** At most this many descriptors are kept (the least recently used one is closed). */
export const STATUS_FDS = 64;

function openStatus(pid: number): number {
  let fd = statusFds.get(pid);
  if (fd !== undefined) {
    statusFds.delete(pid);
    statusFds.set(pid, fd);
    return fd;
  }
  fd = openSync(`/proc/${pid}/status`, 'r');
  statusFds.set(pid, fd);
  if (statusFds.size > STATUS_FDS) {
    const [old, oldFd] = statusFds.entries().next().value!;
    statusFds.delete(old);
    closeSync(oldFd);
  }
  return fd;
}

function forgetStatus(pid: number): void {
  const fd = statusFds.get(pid);
  if (fd === undefined) return;
  statusFds.delete(pid);
  closeSync(fd);
}

/** Close every kept /proc descriptor (the server's shutdown). */
export function closeStatusFds(): void {
  for (const pid of [...statusFds.keys()]) forgetStatus(pid);
}

/** How many /proc descriptors are kept (tests). */
export function statusFdCount(): number {
  return statusFds.size;
}

/**
 * /proc/PID/status in one read (readFileSync reads a size-0 file in many: 4x slower), through
 * a kept descriptor when this process was asked about before. A kept descriptor that fails
 * (its process is gone) is closed and the pid looked up anew once: a new process may have it.
 */
function readStatus(pid: number): string {
  for (let fresh = statusFds.has(pid) ? 0 : 1; fresh < 2; fresh++) {
    let n: number;
    try {
      n = readSync(openStatus(pid), statusBuf, 0, statusBuf.length, 0);
    } catch (e) {
      forgetStatus(pid);
      if (fresh === 1) throw e;
      continue;
    }
    if (n < statusBuf.length) return statusBuf.toString('latin1', 0, n);
    forgetStatus(pid);
    return readFileSync(`/proc/${pid}/status`, 'latin1');
  }
  throw new Error('unreachable');
}

/** A process's credentials from /proc/PID/status; null when it is gone or unreadable. */
export function credsOf(pid: number): Creds | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    text = readStatus(pid);
  } catch {
    return null;
  }
  // Called for every request: plain string scanning, no regular expressions, no BigInt.
  const uid = ids(text, 'Uid');
  const gid = ids(text, 'Gid');
  const cap = field(text, 'CapEff');
  const state = field(text, 'State');
  if (uid.length < 4 || gid.length < 4 || cap === undefined) return null;
  // A zombie has no credentials worth trusting (it cannot be waiting for an answer).
  if (state === undefined || state.startsWith('Z') || state.startsWith('X')) return null;
  return {
    pid,
    euid: uid[1]!,
    egid: gid[1]!,
    fsuid: uid[3]!,
    fsgid: gid[3]!,
    groups: ids(text, 'Groups'),
    ipcOwner: hasCapability(cap.trim(), CAP_IPC_OWNER),
  };
}

/** The value of `name:\t...` in /proc/PID/status text (not the first line), to its line's end. */
function field(text: string, name: string): string | undefined {
  const at = text.indexOf(`\n${name}:\t`);
  if (at < 0) return undefined;
  const start = at + name.length + 3;
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? undefined : end);
}

/** A field of whitespace-separated decimal numbers (Uid, Gid, Groups); [] when absent or empty. */
function ids(text: string, name: string): number[] {
  const v = field(text, name);
  const out: number[] = [];
  if (v === undefined) return out;
  let n = 0;
  let inNumber = false;
  for (let i = 0; i <= v.length; i++) {
    const c = i < v.length ? v.charCodeAt(i) : 32;
    if (c === 32 || (c >= 9 && c <= 13)) {
      if (inNumber) out.push(n);
      inNumber = false;
      n = 0;
    } else {
      // Anything but a digit makes the number NaN (as Number() would).
      n = c >= 48 && c <= 57 ? n * 10 + (c - 48) : Number.NaN;
      inNumber = true;
    }
  }
  return out;
}

/** Whether bit `bit` is set in a capability set shown in hex (CapEff: 16 hex digits). */
export function hasCapability(hex: string, bit: number): boolean {
  const at = hex.length - 1 - (bit >> 2);
  if (at < 0) return false;
  const digit = Number.parseInt(hex[at]!, 16);
  if (Number.isNaN(digit)) throw new SyntaxError(`not a capability set: ${hex}`);
  return ((digit >> (bit & 3)) & 1) === 1;
}

/** msgrcv's syscall number, as /proc/PID/task/TID/syscall shows it. */
const SYS_MSGRCV = process.arch === 'arm64' ? 188 : 70;

/**
 * The processes blocked in msgrcv right now, by queue id, from /proc/PID/task/TID/syscall
 * (readable for the processes this one may ptrace: all of them for root), in this process's
 * IPC namespace only; `among`: only these pids (those of them that are gone are added to
 * `gone`). Both the lecture's client and svipc's wait there on their reply queue after
 * sending a request.
 */
export function blockedReaders(among?: Iterable<number>, gone?: Set<number>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  let pids: string[];
  let ns: string;
  try {
    pids = among ? [...among].map(String) : readdirSync('/proc').filter((d) => /^\d+$/.test(d));
    ns = readlinkSync('/proc/self/ns/ipc');
  } catch {
    return out;
  }
  for (const pid of pids) {
    // Queue ids are per IPC namespace: a process of another one waits on another queue.
    try {
      if (readlinkSync(`/proc/${pid}/ns/ipc`) !== ns) continue;
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') gone?.add(Number(pid));
      continue;
    }
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      let line: string;
      try {
        line = readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'latin1');
      } catch {
        continue;
      }
      const f = line.split(' ');
      if (Number(f[0]) !== SYS_MSGRCV || f[1] === undefined) continue;
      const id = Number.parseInt(f[1], 16);
      const list = out.get(id) ?? [];
      if (!list.includes(Number(pid))) list.push(Number(pid));
      out.set(id, list);
    }
  }
  return out;
}

/** The kernel's ipcperms(): the mode bits that apply to `c` on an object with `perm`. */
function bitsFor(c: Creds, perm: IpcPerm): number {
  const mode = perm.mode & 0o777;
  if (c.euid === perm.uid || c.euid === perm.cuid) return (mode >> 6) & 7;
  const inGroup = (g: number) => c.egid === g || c.groups.includes(g);
  if (inGroup(perm.gid) || inGroup(perm.cgid)) return (mode >> 3) & 7;
  return mode & 7;
}

/** Could `c` itself msgsnd to a queue with `perm`? */
export function mayWrite(c: Creds, perm: IpcPerm): boolean {
  return c.ipcOwner || (bitsFor(c, perm) & 2) !== 0;
}

/**
 * Why a queue with `perm` may be read by someone other than `c`'s user (null: it may not).
 * Readers are the owner and the creator (owner bits), members of the owner's and creator's
 * groups (group bits), everyone (other bits), and holders of CAP_IPC_OWNER (root: trusted).
 */
export function readableByOthers(c: Creds, perm: IpcPerm): string | null {
  const mode = perm.mode & 0o777;
  if (perm.cuid !== c.euid) return `it was created by uid ${perm.cuid}`;
  if (perm.uid !== c.euid && mode & 0o400) return `it is owned by uid ${perm.uid}`;
  if (mode & 0o044) return `its mode ${mode.toString(8).padStart(4, '0')} lets group or others read it`;
  return null;
}

/**
 * The mirror of the request queue: for each message still in it, the pid that sent it
 * (null when it cannot be told). `look(ds)` before each receive, `next()` for the head.
 */
export class SenderTracker {
  private readonly pending: (number | null)[] = [];

  /** Account for what IPC_STAT says is in the queue now. */
  look(ds: Pick<MsqidDs, 'qnum' | 'lspid'>): void {
    const arrived = ds.qnum - this.pending.length;
    if (arrived < 0) {
      // Someone else took messages (root, or the queue's owner): nothing is known any more.
      this.pending.length = 0;
      for (let i = 0; i < ds.qnum; i++) this.pending.push(null);
      return;
    }
    for (let i = 0; i < arrived; i++) this.pending.push(i === arrived - 1 && ds.lspid > 0 ? ds.lspid : null);
  }

  /** The sender of the message just received (the head); null if unknown. */
  next(): number | null {
    return this.pending.shift() ?? null;
  }

  /** A message was received without a look first: whatever was known no longer lines up. */
  reset(): void {
    this.pending.length = 0;
  }
}

// ---- acting as the client, on this thread only ----

const SYS_SETGROUPS = process.arch === 'arm64' ? 159 : 116;
const NO_CHANGE = 0xffffffff;

function setGroups(groups: number[]): boolean {
  const buf = Buffer.alloc(4 * Math.max(1, groups.length));
  for (const [i, g] of groups.entries()) buf.writeUInt32LE(g >>> 0, 4 * i);
  return Number(fn.syscall(SYS_SETGROUPS, 'long', groups.length, 'void *', buf)) === 0;
}

/** setfsuid/setfsgid never fail loudly: they return the old value; ask again to see. */
function setFs(set: (id: number) => unknown, id: number): boolean {
  set(id >>> 0);
  return Number(set(NO_CHANGE)) === id;
}

export class ActAs {
  private readonly uid = process.geteuid?.() ?? -1;
  private readonly gid = process.getegid?.() ?? -1;
  private readonly groups = process.getgroups?.() ?? [];
  /** Whether this process can take another user's filesystem identity (CAP_SETUID/SETGID). */
  readonly able: boolean;

  constructor() {
    this.able = this.uid === 0 && this.tryOnce();
  }

  /** Whether `c` is this server's own user (nothing to change). */
  isSelf(c: Creds): boolean {
    return c.fsuid === this.uid && c.fsgid === this.gid;
  }

  private tryOnce(): boolean {
    try {
      const ok = setFs(fn.setfsgid, 65534) && setFs(fn.setfsuid, 65534);
      this.restore();
      return ok;
    } catch {
      return false;
    }
  }

  private restore(): void {
    // Order matters: fsuid 0 first gives back the filesystem capabilities.
    if (!setFs(fn.setfsuid, this.uid) || !setFs(fn.setfsgid, this.gid) || !setGroups(this.groups)) {
      // Never go on with someone else's identity.
      process.stderr.write('stat-server: cannot restore its own credentials: aborting\n');
      process.abort();
    }
  }

  /**
   * Run `f` (synchronous filesystem calls only) with `c`'s fsuid, fsgid and groups on this
   * thread. Throws EPERM-like errors as `null` result when the switch fails.
   */
  run<T>(c: Creds, f: () => T): T {
    if (this.isSelf(c)) return f();
    if (!this.able) throw Object.assign(new Error('cannot act as the client'), { code: 'EPERM' });
    try {
      if (!setGroups(c.groups) || !setFs(fn.setfsgid, c.fsgid) || !setFs(fn.setfsuid, c.fsuid))
        throw Object.assign(new Error('cannot act as the client'), { code: 'EPERM' });
      return f();
    } finally {
      this.restore();
    }
  }
}
