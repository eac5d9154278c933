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

class ParseError extends Error {}

function dec(row: Record<string, string>, name: string, optional = false): number | null {
  const v = row[name];
  if (v === undefined) {
    if (optional) return null;
    throw new ParseError(`missing column ${name}`);
  }
  if (!/^[-+]?[0-9]+$/.test(v)) throw new ParseError(`bad ${name}: ${v}`);
  return Number(v);
}

const int = (row: Record<string, string>, name: string): number => dec(row, name)!;

function oct(row: Record<string, string>, name: string): number {
  const v = row[name];
  if (v === undefined || !/^[0-7]+$/.test(v)) throw new ParseError(`bad ${name}: ${String(v)}`);
  return Number.parseInt(v, 8);
}

/** The id column: msqid/semid/shmid, or plain "id" in a hypothetical header. */
function idOf(row: Record<string, string>, name: string): number {
  return row[name] !== undefined ? int(row, name) : int(row, 'id');
}

/** Keys are key_t (signed 32-bit); the kernel prints them with %d. Fold an unsigned spelling. */
function keyOf(row: Record<string, string>): number {
  return int(row, 'key') | 0;
}

function rowsOf<T>(text: string, convert: (row: Record<string, string>) => T): T[] {
  const out: T[] = [];
  for (const row of parseSysvipcTable(text).rows) {
    try {
      out.push(convert(row));
    } catch (e) {
      // A line that does not parse is skipped, as util-linux skips it.
      if (!(e instanceof ParseError)) throw e;
    }
  }
  return out;
}

export function parseMsgTable(text: string): ProcMsgRow[] {
  return rowsOf(text, (r) => ({
    key: keyOf(r),
    id: idOf(r, 'msqid'),
    mode: oct(r, 'perms'),
    cbytes: int(r, 'cbytes'),
    qnum: int(r, 'qnum'),
    lspid: int(r, 'lspid'),
    lrpid: int(r, 'lrpid'),
    uid: int(r, 'uid'),
    gid: int(r, 'gid'),
    cuid: int(r, 'cuid'),
    cgid: int(r, 'cgid'),
    stime: int(r, 'stime'),
    rtime: int(r, 'rtime'),
    ctime: int(r, 'ctime'),
  }));
}

export function parseSemTable(text: string): ProcSemRow[] {
  return rowsOf(text, (r) => ({
    key: keyOf(r),
    id: idOf(r, 'semid'),
    mode: oct(r, 'perms'),
    nsems: int(r, 'nsems'),
    uid: int(r, 'uid'),
    gid: int(r, 'gid'),
    cuid: int(r, 'cuid'),
    cgid: int(r, 'cgid'),
    otime: int(r, 'otime'),
    ctime: int(r, 'ctime'),
  }));
}

export function parseShmTable(text: string): ProcShmRow[] {
  return rowsOf(text, (r) => ({
    key: keyOf(r),
    id: idOf(r, 'shmid'),
    mode: oct(r, 'perms'),
    size: int(r, 'size'),
    cpid: int(r, 'cpid'),
    lpid: int(r, 'lpid'),
    nattch: int(r, 'nattch'),
    uid: int(r, 'uid'),
    gid: int(r, 'gid'),
    cuid: int(r, 'cuid'),
    cgid: int(r, 'cgid'),
    atime: int(r, 'atime'),
    dtime: int(r, 'dtime'),
    ctime: int(r, 'ctime'),
    rss: dec(r, 'rss', true),
    swap: dec(r, 'swap', true),
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
