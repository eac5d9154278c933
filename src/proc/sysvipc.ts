// Pure parsers for /proc/sysvipc/{msg,sem,shm}, by header names: a column is found by its
// name, not its position, so every kernel's column set parses (today's 16-column shm file
// with rss/swap, the 14-column one of Linux <= 3.x, a reordered header). Plus the one reader
// of those files (readSysvipc), so nothing else in svipc touches /proc/sysvipc.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type SysvipcKind = 'msg' | 'sem' | 'shm';

/** The header names and the rows of one file, as text. */
export interface SysvipcTable {
  columns: string[];
  rows: Record<string, string>[];
}

/** One line of /proc/sysvipc/msg. Times are seconds since the epoch (0 = never). */
export interface ProcMsgRow {
  key: number;
  id: number;
  mode: number;
  cbytes: number;
  qnum: number;
  lspid: number;
  lrpid: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  stime: number;
  rtime: number;
  ctime: number;
}

export interface ProcSemRow {
  key: number;
  id: number;
  mode: number;
  nsems: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  otime: number;
  ctime: number;
}

export interface ProcShmRow {
  key: number;
  id: number;
  /** Permission bits plus SHM_DEST (0o1000) and SHM_LOCKED (0o2000). */
  mode: number;
  size: number;
  cpid: number;
  lpid: number;
  nattch: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  atime: number;
  dtime: number;
  ctime: number;
  /** Resident bytes; null on kernels whose file has no rss column. */
  rss: number | null;
  /** Swapped bytes; null on kernels whose file has no swap column. */
  swap: number | null;
}

/** Split the text into header names and rows keyed by them; short or empty lines are skipped. */
export function parseSysvipcTable(text: string): SysvipcTable {
  const lines = text.split('\n');
  const columns = (lines[0] ?? '').trim().split(/\s+/).filter(Boolean);
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/).filter(Boolean);
    if (fields.length === 0 || fields.length < columns.length) continue;
    const row: Record<string, string> = {};
    columns.forEach((c, i) => {
      row[c] = fields[i]!;
    });
    rows.push(row);
  }
  return { columns, rows };
}

// The row parsers below are on the hot path of every listing (37,000 objects is a real
// host): the header is read once into column indexes, each line is split once, and numbers
// are read with a digit loop, with no per-row map of strings and no regular expression per
// field. A line whose numbers do not parse is skipped, as util-linux skips it.

/** A column the parser needs: its header name(s), octal or decimal, and whether it may be absent. */
interface ColumnSpec {
  names: readonly string[];
  octal?: boolean;
  optional?: boolean;
}

const col = (name: string, opts: Omit<ColumnSpec, 'names'> = {}): ColumnSpec => ({ names: [name], ...opts });
/** The id column: msqid/semid/shmid, or plain "id" in a hypothetical header. */
const idCol = (name: string): ColumnSpec => ({ names: [name, 'id'] });
const perms = col('perms', { octal: true });

/** A decimal integer ([-+]digits), or NaN. Exact: past 15 digits Number() does the rounding. */
function decimal(s: string): number {
  const n = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 45 || c === 43) i = 1;
  if (i >= n) return Number.NaN;
  let v = 0;
  for (let j = i; j < n; j++) {
    c = s.charCodeAt(j) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  if (n - i > 15) v = Number(s.slice(i));
  return s.charCodeAt(0) === 45 ? -v : v;
}

/** Octal digits, or NaN. */
function octalOf(s: string): number {
  if (s.length === 0) return Number.NaN;
  let v = 0;
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j) - 48;
    if (c < 0 || c > 7) return Number.NaN;
    v = v * 8 + c;
  }
  return v;
}

/** Marks an optional column the header does not have. */
const ABSENT = -1;

/**
 * Rows of `text` as `build` makes them from the spec's values, in spec order (an absent
 * optional column reads as null). Lines shorter than the header, or with a value that is not
 * a number, are skipped; a header without a required column gives no rows.
 */
function parseRows<T>(text: string, spec: readonly ColumnSpec[], build: (v: (number | null)[]) => T): T[] {
  const lines = text.split('\n');
  const header = (lines[0] ?? '').trim().split(/\s+/).filter(Boolean);
  const index = spec.map((c) => {
    const i = c.names.map((n) => header.indexOf(n)).find((x) => x >= 0);
    return i ?? ABSENT;
  });
  if (spec.some((c, k) => index[k] === ABSENT && !c.optional)) return [];
  const out: T[] = [];
  const values: (number | null)[] = new Array(spec.length);
  rows: for (let l = 1; l < lines.length; l++) {
    const line = lines[l]!.trim();
    if (line === '') continue;
    const fields = line.split(/\s+/);
    if (fields.length < header.length) continue;
    for (let k = 0; k < spec.length; k++) {
      const i = index[k]!;
      if (i === ABSENT) {
        values[k] = null;
        continue;
      }
      const v = spec[k]!.octal ? octalOf(fields[i]!) : decimal(fields[i]!);
      if (Number.isNaN(v)) continue rows;
      values[k] = v;
    }
    out.push(build(values));
  }
  return out;
}

const MSG_COLUMNS = [
  col('key'),
  idCol('msqid'),
  perms,
  ...['cbytes', 'qnum', 'lspid', 'lrpid', 'uid', 'gid', 'cuid', 'cgid', 'stime', 'rtime', 'ctime'].map((n) =>
    col(n),
  ),
];

export function parseMsgTable(text: string): ProcMsgRow[] {
  return parseRows(text, MSG_COLUMNS, (v) => ({
    // Keys are key_t (signed 32-bit); the kernel prints them with %d. Fold an unsigned spelling.
    key: v[0]! | 0,
    id: v[1]!,
    mode: v[2]!,
    cbytes: v[3]!,
    qnum: v[4]!,
    lspid: v[5]!,
    lrpid: v[6]!,
    uid: v[7]!,
    gid: v[8]!,
    cuid: v[9]!,
    cgid: v[10]!,
    stime: v[11]!,
    rtime: v[12]!,
    ctime: v[13]!,
  }));
}

const SEM_COLUMNS = [
  col('key'),
  idCol('semid'),
  perms,
  ...['nsems', 'uid', 'gid', 'cuid', 'cgid', 'otime', 'ctime'].map((n) => col(n)),
];

export function parseSemTable(text: string): ProcSemRow[] {
  return parseRows(text, SEM_COLUMNS, (v) => ({
    key: v[0]! | 0,
    id: v[1]!,
    mode: v[2]!,
    nsems: v[3]!,
    uid: v[4]!,
    gid: v[5]!,
    cuid: v[6]!,
    cgid: v[7]!,
    otime: v[8]!,
    ctime: v[9]!,
  }));
}

const SHM_COLUMNS = [
  col('key'),
  idCol('shmid'),
  perms,
  ...['size', 'cpid', 'lpid', 'nattch', 'uid', 'gid', 'cuid', 'cgid', 'atime', 'dtime', 'ctime'].map((n) =>
    col(n),
  ),
  col('rss', { optional: true }),
  col('swap', { optional: true }),
];

export function parseShmTable(text: string): ProcShmRow[] {
  return parseRows(text, SHM_COLUMNS, (v) => ({
    key: v[0]! | 0,
    id: v[1]!,
    mode: v[2]!,
    size: v[3]!,
    cpid: v[4]!,
    lpid: v[5]!,
    nattch: v[6]!,
    uid: v[7]!,
    gid: v[8]!,
    cuid: v[9]!,
    cgid: v[10]!,
    atime: v[11]!,
    dtime: v[12]!,
    ctime: v[13]!,
    /** Resident bytes; null on kernels whose file has no rss column. */
    rss: v[14] ?? null,
    swap: v[15] ?? null,
  }));
}

/** Where the files live; tests point it elsewhere. */
export const SYSVIPC_DIR = '/proc/sysvipc';

/** The text of /proc/sysvipc/<kind>, or null when it cannot be read (no /proc, no SysV IPC). */
export function readSysvipc(kind: SysvipcKind, dir: string = SYSVIPC_DIR): string | null {
  try {
    return readFileSync(join(dir, kind), 'latin1');
  } catch {
    return null;
  }
}
