// lsipc's columns as data (util-linux's coldescs[]): name, help, the pretty name of `--id`'s
// listing, alignment, where the column applies, and how each kind of row gets its value from
// the inventory's records. Two orders: 2.38.1's (LSIPC_COLUMNS: the --id listing, the help
// text, the column limit) and 2.42.2's with the POSIX columns (LSIPC_COLUMNS_POSIX), for a
// command line with a POSIX option. Values are byte strings (see smartcols.ts); null = no data.
import type { QueueRecord, SegmentRecord, SemaphoreRecord } from '../ipc/inventory.js';
import type { PosixQueueRecord, PosixSegmentRecord, PosixSemaphoreRecord } from '../ipc/posix-inventory.js';
import { permString, sizeToHumanString } from './human.js';
import { ctime } from './time.js';

/** The kinds of rows lsipc prints: System V, POSIX (util-linux 2.41+), the --global lines. */
export type LsipcKind = 'msg' | 'shm' | 'sem' | 'pmsg' | 'pshm' | 'psem' | 'global';

export const isPosixKind = (k: LsipcKind | null): k is 'pmsg' | 'pshm' | 'psem' =>
  k === 'pmsg' || k === 'pshm' || k === 'psem';

/** One line of --global: a resource, its limit and (for the counted ones) its use. */
export interface GlobalRow {
  resource: string;
  description: string;
  limit: bigint;
  /** null: not counted ("-"). */
  used: bigint | null;
  /** Limit and use are bytes (human-readable unless --bytes). */
  bytes: boolean;
}

export type LsipcRow =
  | { kind: 'msg'; record: QueueRecord }
  | { kind: 'shm'; record: SegmentRecord }
  | { kind: 'sem'; record: SemaphoreRecord }
  | { kind: 'pmsg'; record: PosixQueueRecord }
  | { kind: 'pshm'; record: PosixSegmentRecord }
  | { kind: 'psem'; record: PosixSemaphoreRecord }
  | { kind: 'global'; record: GlobalRow };

export type TimeFormat = 'short' | 'full' | 'iso';

export interface CellContext {
  bytes: boolean;
  numericPerms: boolean;
  time: TimeFormat;
  /** "now" for the short format (seconds). */
  now: number;
  user(uid: number): string | null;
  group(gid: number): string | null;
  /** /proc/PID/cmdline as util-linux reads it; null when there is none. */
  command(pid: number): string | null;
}

type Getters = {
  [K in LsipcRow['kind']]?: (r: Extract<LsipcRow, { kind: K }>['record'], c: CellContext) => string | null;
};

export interface LsipcColumn {
  name: string;
  help: string;
  /** The label of the --id listing. */
  pretty: string;
  right: boolean;
  /**
   * 'generic' columns may be asked for with any kind; the others only with their own (a
   * POSIX kind also takes every column that has a getter for it: NAME, MTIME, SIZE...).
   */
  scope: 'generic' | 'posix' | LsipcKind;
  get: Getters;
}

type PermRecord = QueueRecord | SegmentRecord | SemaphoreRecord;
type PosixRecord = PosixQueueRecord | PosixSegmentRecord | PosixSemaphoreRecord;

const TWO = (n: number) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** util-linux's make_time(): short (strtime_short), full (asctime) or iso (ISO_TIMESTAMP_T), local time. */
export function formatTime(seconds: number, format: TimeFormat, now: number): string {
  const d = new Date(seconds * 1000);
  if (format === 'full') return ctime(seconds);
  if (format === 'iso') {
    const off = -d.getTimezoneOffset();
    const sign = off < 0 ? '-' : '+';
    const a = Math.abs(off);
    return (
      `${d.getFullYear()}-${TWO(d.getMonth() + 1)}-${TWO(d.getDate())}T` +
      `${TWO(d.getHours())}:${TWO(d.getMinutes())}:${TWO(d.getSeconds())}${sign}${TWO(Math.floor(a / 60))}:${TWO(a % 60)}`
    );
  }
  const n = new Date(now * 1000);
  const month = `${MONTHS[d.getMonth()]}${TWO(d.getDate())}`;
  if (d.getFullYear() !== n.getFullYear()) return `${d.getFullYear()}-${month}`;
  if (d.getMonth() === n.getMonth() && d.getDate() === n.getDate()) {
    return `${TWO(d.getHours())}:${TWO(d.getMinutes())}`;
  }
  return month;
}

const time = (t: number, c: CellContext): string | null => (t ? formatTime(t, c.time, c.now) : null);
const size = (n: number | bigint, c: CellContext): string => (c.bytes ? String(n) : sizeToHumanString(n));

/** The same getter for the three System V kinds. */
function sysv(f: (r: PermRecord, c: CellContext) => string | null): Getters {
  return { msg: f, shm: f, sem: f };
}

/** The same getter for the three POSIX kinds (util-linux 2.42.2: owner = creator = the file's). */
function posix(f: (r: PosixRecord, c: CellContext) => string | null): Getters {
  return { pmsg: f, pshm: f, psem: f };
}

/** %#o: "0" for 0, else a leading 0. */
function octal(mode: number): string {
  const m = mode & 0o777;
  return m === 0 ? '0' : `0${m.toString(8)}`;
}

function usePercent(used: bigint, limit: bigint): string {
  const v = (Number(used) / Number(limit)) * 100;
  if (Number.isNaN(v)) return '-nan%';
  if (!Number.isFinite(v)) return 'inf%';
  return `${v.toFixed(2)}%`;
}

const col = (
  name: string,
  help: string,
  pretty: string,
  right: boolean,
  scope: LsipcColumn['scope'],
  get: Getters,
): LsipcColumn => ({ name, help, pretty, right, scope, get });

const G = 'generic';

export const LSIPC_COLUMNS: readonly LsipcColumn[] = [
  col(
    'KEY',
    'Resource key',
    'Key',
    false,
    G,
    sysv((r) => `0x${(r.key >>> 0).toString(16).padStart(8, '0')}`),
  ),
  col(
    'ID',
    'Resource ID',
    'ID',
    false,
    G,
    sysv((r) => String(r.id)),
  ),
  col('OWNER', "Owner's username or UID", 'Owner', true, G, {
    ...sysv((r, c) => c.user(r.uid) ?? String(r.uid)),
    ...posix((r, c) => c.user(r.uid) ?? String(r.uid)),
  }),
  col('PERMS', 'Permissions', 'Permissions', true, G, {
    // util-linux 2.38.1 sets no data for a queue's numeric permissions (-P): PERMS is empty.
    msg: (r, c) => (c.numericPerms ? null : permString(r.mode)),
    shm: (r, c) => (c.numericPerms ? octal(r.mode) : permString(r.mode)),
    sem: (r, c) => (c.numericPerms ? octal(r.mode) : permString(r.mode)),
    // util-linux 2.42.2 leaves a POSIX queue's numeric PERMS empty too; svipc prints it.
    ...posix((r, c) => (c.numericPerms ? octal(r.mode) : permString(r.mode))),
  }),
  col('CUID', 'Creator UID', 'Creator UID', true, G, {
    ...sysv((r) => String(r.cuid)),
    ...posix((r) => String(r.uid)),
  }),
  col('CUSER', 'Creator user', 'Creator user', false, G, {
    ...sysv((r, c) => c.user(r.cuid)),
    ...posix((r, c) => c.user(r.uid)),
  }),
  col('CGID', 'Creator GID', 'Creator GID', true, G, {
    // util-linux 2.38.1 prints the creator's UID here for queues and segments.
    msg: (r) => String(r.cuid),
    shm: (r) => String(r.cuid),
    sem: (r) => String(r.cgid),
    ...posix((r) => String(r.gid)),
  }),
  col('CGROUP', 'Creator group', 'Creator group', false, G, {
    ...sysv((r, c) => c.group(r.cgid)),
    ...posix((r, c) => c.group(r.gid)),
  }),
  col(
    'UID',
    'User ID',
    'UID',
    true,
    G,
    sysv((r) => String(r.uid)),
  ),
  col(
    'USER',
    'User name',
    'User name',
    false,
    G,
    sysv((r, c) => c.user(r.uid)),
  ),
  col(
    'GID',
    'Group ID',
    'GID',
    true,
    G,
    sysv((r) => String(r.gid)),
  ),
  col(
    'GROUP',
    'Group name',
    'Group name',
    false,
    G,
    sysv((r, c) => c.group(r.gid)),
  ),
  col(
    'CTIME',
    'Time of the last change',
    'Last change',
    true,
    G,
    sysv((r, c) => time(r.ctime, c)),
  ),

  col('SIZE', 'Segment size', 'Segment size', true, 'shm', {
    shm: (r, c) => size(r.size, c),
    pshm: (r, c) => size(r.size, c),
  }),
  col('NATTCH', 'Number of attached processes', 'Attached processes', true, 'shm', {
    shm: (r) => String(r.nattch),
  }),
  col('STATUS', 'Status', 'Status', false, 'shm', {
    shm: (r) => [r.dest ? 'dest' : '', r.locked ? 'locked' : ''].filter(Boolean).join(','),
  }),
  col('ATTACH', 'Attach time', 'Attach time', true, 'shm', { shm: (r, c) => time(r.atime, c) }),
  col('DETACH', 'Detach time', 'Detach time', true, 'shm', { shm: (r, c) => time(r.dtime, c) }),
  col('COMMAND', 'Creator command line', 'Creator command', false, 'shm', {
    shm: (r, c) => c.command(r.cpid),
  }),
  col('CPID', 'PID of the creator', 'Creator PID', true, 'shm', { shm: (r) => String(r.cpid) }),
  col('LPID', 'PID of last user', 'Last user PID', true, 'shm', { shm: (r) => String(r.lpid) }),

  col('USEDBYTES', 'Bytes used', 'Bytes used', true, 'msg', {
    msg: (r, c) => size(r.cbytes, c),
    pmsg: (r, c) => (r.qsize === null ? null : size(r.qsize, c)),
  }),
  col('MSGS', 'Number of messages', 'Messages', false, 'msg', {
    msg: (r) => String(r.qnum),
    pmsg: (r) => (r.msgs === null ? null : String(r.msgs)),
  }),
  col('SEND', 'Time of last msg sent', 'Msg sent', true, 'msg', { msg: (r, c) => time(r.stime, c) }),
  col('RECV', 'Time of last msg received', 'Msg received', true, 'msg', { msg: (r, c) => time(r.rtime, c) }),
  col('LSPID', 'PID of the last msg sender', 'Msg sender', true, 'msg', { msg: (r) => String(r.lspid) }),
  col('LRPID', 'PID of the last msg receiver', 'Msg receiver', true, 'msg', { msg: (r) => String(r.lrpid) }),

  col('NSEMS', 'Number of semaphores', 'Semaphores', true, 'sem', { sem: (r) => String(r.nsems) }),
  col('OTIME', 'Time of the last operation', 'Last operation', true, 'sem', {
    sem: (r, c) => time(r.otime, c),
  }),

  col('RESOURCE', 'Resource name', 'Resource', false, 'global', { global: (r) => r.resource }),
  col('DESCRIPTION', 'Resource description', 'Description', false, 'global', {
    global: (r) => r.description,
  }),
  col('LIMIT', 'System-wide limit', 'Limit', true, 'global', {
    global: (r, c) => (r.bytes && !c.bytes ? sizeToHumanString(r.limit) : String(r.limit)),
  }),
  col('USED', 'Currently used', 'Used', true, 'global', {
    global: (r, c) =>
      r.used === null ? '-' : r.bytes && !c.bytes ? sizeToHumanString(r.used) : String(r.used),
  }),
  col('USE%', 'Currently use percentage', 'Use', true, 'global', {
    global: (r) => (r.used === null ? '-' : usePercent(r.used, r.limit)),
  }),
];

/** A file name as the byte string util-linux prints (see smartcols.ts). */
const utf8Bytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

/** util-linux 2.42.2's POSIX columns. */
const NAME = col('NAME', 'POSIX resource name', 'Name', false, 'posix', {
  // as util-linux 2.42.2 prints them: a queue with its '/', shared memory and semaphores without
  pmsg: (r) => utf8Bytes(r.name),
  pshm: (r) => utf8Bytes(r.name.slice(1)),
  psem: (r) => utf8Bytes(r.name.slice(1)),
});
const MTIME = col(
  'MTIME',
  'Time of last action',
  'Last action',
  true,
  'posix',
  posix((r, c) => time(r.mtime, c)),
);
const SVAL = col('SVAL', 'Semaphore value', 'Value', true, 'psem', {
  psem: (r) => (r.value === null ? null : String(r.value)),
});

const byName = (names: string): LsipcColumn[] =>
  names.split(' ').map((n) => LSIPC_COLUMNS.find((c) => c.name === n)!);

/** util-linux 2.42.2's coldescs[] order: generic, NAME, MTIME, queue, segment, set, summary, SVAL. */
export const LSIPC_COLUMNS_POSIX: readonly LsipcColumn[] = [
  ...byName('KEY ID OWNER PERMS CUID CUSER CGID CGROUP UID USER GID GROUP CTIME'),
  NAME,
  MTIME,
  ...byName('USEDBYTES MSGS SEND RECV LSPID LRPID SIZE NATTCH STATUS ATTACH DETACH COMMAND CPID LPID'),
  ...byName('NSEMS OTIME RESOURCE DESCRIPTION LIMIT USED USE%'),
  SVAL,
];

/** Whether `-o` may name column `c` for a listing of `scope` (util-linux's "does not apply"). */
export function applies(c: LsipcColumn, scope: LsipcKind | null): boolean {
  if (c.scope === 'generic' || c.scope === scope) return true;
  return isPosixKind(scope) && c.get[scope] !== undefined;
}

/** The help text's sections, in util-linux's order. */
export const COLUMN_SECTIONS: readonly { title: string; scope: LsipcColumn['scope'] }[] = [
  { title: 'Generic columns:', scope: 'generic' },
  { title: 'Shared-memory columns (--shmems):', scope: 'shm' },
  { title: 'Message-queue columns (--queues):', scope: 'msg' },
  { title: 'Semaphore columns (--semaphores):', scope: 'sem' },
  { title: 'Summary columns (--global):', scope: 'global' },
];

/** The default columns of each kind's listing, by name. */
export const DEFAULT_COLUMNS: Record<LsipcKind, readonly string[]> = {
  msg: ['KEY', 'ID', 'PERMS', 'OWNER', 'USEDBYTES', 'MSGS', 'LSPID', 'LRPID'],
  shm: ['KEY', 'ID', 'PERMS', 'OWNER', 'SIZE', 'NATTCH', 'STATUS', 'CTIME', 'CPID', 'LPID', 'COMMAND'],
  sem: ['KEY', 'ID', 'PERMS', 'OWNER', 'NSEMS'],
  pmsg: ['NAME', 'PERMS', 'OWNER', 'MTIME', 'USEDBYTES', 'MSGS'],
  pshm: ['NAME', 'PERMS', 'OWNER', 'SIZE', 'MTIME'],
  psem: ['NAME', 'PERMS', 'OWNER', 'MTIME', 'SVAL'],
  global: ['RESOURCE', 'DESCRIPTION', 'LIMIT', 'USED', 'USE%'],
};

/** A column of `table` by name (exact, as written there). */
export function columnNamed(table: readonly LsipcColumn[], name: string): LsipcColumn {
  const c = table.find((x) => x.name === name);
  if (!c) throw new Error(`no lsipc column ${name}`);
  return c;
}

/** The value of column `c` for `row`: null when the column has nothing for that kind. */
export function cellValue(c: LsipcColumn, row: LsipcRow, ctx: CellContext): string | null {
  const get = c.get[row.kind] as ((r: LsipcRow['record'], ctx: CellContext) => string | null) | undefined;
  return get ? get(row.record, ctx) : null;
}
