// lsipc's columns as data (util-linux 2.38.1's coldescs[]): name, help, the pretty name of
// `--id`'s listing, alignment, where the column applies, and how each kind of row gets its
// value from the inventory's records. The order is util-linux's: it is the order of the
// --id listing and of the help text. Values are byte strings (see smartcols.ts); null = no data.
import type { QueueRecord, SegmentRecord, SemaphoreRecord } from '../ipc/inventory.js';
import { permString, sizeToHumanString } from './human.js';
import { ctime } from './time.js';

/** The kinds of rows lsipc prints; later kinds (POSIX) add theirs here. */
export type LsipcKind = 'msg' | 'shm' | 'sem' | 'global';

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
  /** 'generic' columns may be asked for with any kind; the others only with their own. */
  scope: 'generic' | LsipcKind;
  get: Getters;
}

type PermRecord = QueueRecord | SegmentRecord | SemaphoreRecord;

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
  col(
    'OWNER',
    "Owner's username or UID",
    'Owner',
    true,
    G,
    sysv((r, c) => c.user(r.uid) ?? String(r.uid)),
  ),
  col('PERMS', 'Permissions', 'Permissions', true, G, {
    // util-linux 2.38.1 sets no data for a queue's numeric permissions (-P): PERMS is empty.
    msg: (r, c) => (c.numericPerms ? null : permString(r.mode)),
    shm: (r, c) => (c.numericPerms ? octal(r.mode) : permString(r.mode)),
    sem: (r, c) => (c.numericPerms ? octal(r.mode) : permString(r.mode)),
  }),
  col(
    'CUID',
    'Creator UID',
    'Creator UID',
    true,
    G,
    sysv((r) => String(r.cuid)),
  ),
  col(
    'CUSER',
    'Creator user',
    'Creator user',
    false,
    G,
    sysv((r, c) => c.user(r.cuid)),
  ),
  col('CGID', 'Creator GID', 'Creator GID', true, G, {
    // util-linux 2.38.1 prints the creator's UID here for queues and segments.
    msg: (r) => String(r.cuid),
    shm: (r) => String(r.cuid),
    sem: (r) => String(r.cgid),
  }),
  col(
    'CGROUP',
    'Creator group',
    'Creator group',
    false,
    G,
    sysv((r, c) => c.group(r.cgid)),
  ),
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

  col('SIZE', 'Segment size', 'Segment size', true, 'shm', { shm: (r, c) => size(r.size, c) }),
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

  col('USEDBYTES', 'Bytes used', 'Bytes used', true, 'msg', { msg: (r, c) => size(r.cbytes, c) }),
  col('MSGS', 'Number of messages', 'Messages', false, 'msg', { msg: (r) => String(r.qnum) }),
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

/** The help text's sections, in util-linux's order. */
export const COLUMN_SECTIONS: readonly { title: string; scope: LsipcColumn['scope'] }[] = [
  { title: 'Generic columns:', scope: 'generic' },
  { title: 'Shared-memory columns (--shmems):', scope: 'shm' },
  { title: 'Message-queue columns (--queues):', scope: 'msg' },
  { title: 'Semaphore columns (--semaphores):', scope: 'sem' },
  { title: 'Summary columns (--global):', scope: 'global' },
];

/** The default columns of each kind's listing, by name. */
export const DEFAULT_COLUMNS: Record<Exclude<LsipcKind, 'global'>, readonly string[]> & {
  global: readonly string[];
} = {
  msg: ['KEY', 'ID', 'PERMS', 'OWNER', 'USEDBYTES', 'MSGS', 'LSPID', 'LRPID'],
  shm: ['KEY', 'ID', 'PERMS', 'OWNER', 'SIZE', 'NATTCH', 'STATUS', 'CTIME', 'CPID', 'LPID', 'COMMAND'],
  sem: ['KEY', 'ID', 'PERMS', 'OWNER', 'NSEMS'],
  global: ['RESOURCE', 'DESCRIPTION', 'LIMIT', 'USED', 'USE%'],
};

/** A column's index by name (exact, as written in this table). */
export function columnIndex(name: string): number {
  const i = LSIPC_COLUMNS.findIndex((c) => c.name === name);
  if (i < 0) throw new Error(`no lsipc column ${name}`);
  return i;
}

/** The value of column `c` for `row`: null when the column has nothing for that kind. */
export function cellValue(c: LsipcColumn, row: LsipcRow, ctx: CellContext): string | null {
  const get = c.get[row.kind] as ((r: LsipcRow['record'], ctx: CellContext) => string | null) | undefined;
  return get ? get(row.record, ctx) : null;
}
