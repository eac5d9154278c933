// Pure parsers for /proc/sysvipc/{msg,sem,shm}, by header names: a column is found by its
// name, not its position, so every kernel's column set parses (today's 16-column shm file
// with rss/swap, the 14-column one of Linux <= 3.x, a reordered header). Plus the one reader
// of those files (readSysvipc), so nothing else in svipc touches /proc/sysvipc.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
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

/** Marks an optional column the header does not have. */
const ABSENT = -1;
const NL = 10;
/** Field separators of the kernel's format: space and tab (and a stray CR). */
const isBlank = (c: number): boolean => c === 32 || c === 9 || c === 13;

/** The text as bytes (the files are ASCII; latin1 keeps any byte as it is). */
const asBytes = (text: string | Uint8Array): Uint8Array =>
  typeof text === 'string' ? Buffer.from(text, 'latin1') : text;

/** Where each field of a line goes: the spec slot it fills (-1: not needed) and its base. */
interface Layout {
  fields: number;
  /** How many values a row has (the spec's length). */
  width: number;
  slot: Int32Array;
  base: Uint8Array;
}

/** The layout a header line gives, or null when a required column is missing. */
function layoutOf(headerLine: string, spec: readonly ColumnSpec[]): Layout | null {
  const header = headerLine.trim().split(/\s+/).filter(Boolean);
  const index = spec.map((c) => {
    const i = c.names.map((n) => header.indexOf(n)).find((x) => x >= 0);
    return i ?? ABSENT;
  });
  if (spec.some((c, k) => index[k] === ABSENT && !c.optional)) return null;
  const slot = new Int32Array(header.length).fill(-1);
  const base = new Uint8Array(header.length).fill(10);
  for (let k = 0; k < spec.length; k++) {
    const i = index[k]!;
    if (i !== ABSENT) {
      slot[i] = k;
      if (spec[k]!.octal) base[i] = 8;
    }
  }
  return { fields: header.length, width: spec.length, slot, base };
}

/**
 * The rows of the complete lines in buf[p, end) (end just after a newline, or the end of the
 * text), each as `build` makes it from the spec's values (an absent optional column reads as
 * null), appended to `out`. Lines shorter than the header, or with a value that is not a
 * number, are skipped, as util-linux skips them.
 *
 * One pass over the bytes, numbers accumulated digit by digit as they go by: no line or field
 * strings, no regular expression, nothing for the collector but the rows themselves.
 */
function parseLines<T>(
  buf: Uint8Array,
  p: number,
  end: number,
  layout: Layout,
  build: (v: (number | null)[]) => T | undefined,
  out: T[],
): void {
  const { slot, base } = layout;
  const values: (number | null)[] = new Array(layout.width).fill(null);
  while (p < end) {
    let field = 0;
    let ok = true;
    for (;;) {
      while (p < end && isBlank(buf[p]!)) p++;
      if (p >= end || buf[p] === NL) break;
      const k = field < slot.length ? slot[field]! : -1;
      if (k < 0) {
        while (p < end && !isBlank(buf[p]!) && buf[p] !== NL) p++;
      } else {
        const radix = base[field]!;
        let negative = false;
        let c = buf[p]!;
        if (radix === 10 && (c === 45 || c === 43)) {
          negative = c === 45;
          p++;
        }
        const digits = p;
        let v = 0;
        while (p < end) {
          c = buf[p]!;
          if (isBlank(c) || c === NL) break;
          const d = c - 48;
          if (d < 0 || d >= radix) ok = false;
          v = v * radix + d;
          p++;
        }
        if (p === digits) ok = false;
        // Past 15 decimal digits the running sum may round: Number() rounds as the old parser did.
        if (ok && radix === 10 && p - digits > 15)
          v = Number(Buffer.from(buf.buffer, buf.byteOffset + digits, p - digits).toString('latin1'));
        values[k] = negative ? -v : v;
      }
      field++;
    }
    p++; // the newline
    if (field > 0 && field >= layout.fields && ok) {
      const row = build(values);
      if (row !== undefined) out.push(row);
    }
  }
}

/** The rows of a whole text (see parseLines); a header without a required column gives none. */
function parseRows<T>(
  text: string | Uint8Array,
  spec: readonly ColumnSpec[],
  build: (v: (number | null)[]) => T,
): T[] {
  const buf = asBytes(text);
  let eol = buf.indexOf(NL);
  if (eol < 0) eol = buf.length;
  const layout = layoutOf(Buffer.from(buf.buffer, buf.byteOffset, eol).toString('latin1'), spec);
  const out: T[] = [];
  if (layout !== null) parseLines(buf, eol + 1, buf.length, layout, build, out);
  return out;
}

/** How much of a /proc/sysvipc file is read at a time when it is streamed. */
const STREAM_CHUNK = 64 * 1024;

/**
 * The rows of an open /proc/sysvipc file, read STREAM_CHUNK bytes at a time and parsed as they
 * come: a listing of 37,000 objects never holds the file, or all its rows, at once. Closes fd.
 */
function* streamRows<T>(
  fd: number,
  spec: readonly ColumnSpec[],
  build: (v: (number | null)[]) => T | undefined,
): Generator<T, void, undefined> {
  try {
    let buf = Buffer.allocUnsafe(STREAM_CHUNK);
    let have = 0; // bytes in buf not parsed yet
    let layout: Layout | null | undefined;
    const rows: T[] = [];
    for (;;) {
      if (have === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2); // a line longer than a chunk
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const n = readSync(fd, buf, have, buf.length - have, null);
      const end = have + n;
      // Parse up to the last complete line (all of it at the end of the file).
      let last = n === 0 ? end : buf.lastIndexOf(NL, end - 1) + 1;
      let p = 0;
      if (layout === undefined && last > 0) {
        const eol = buf.indexOf(NL);
        const headerEnd = eol < 0 || eol >= end ? end : eol;
        layout = layoutOf(buf.toString('latin1', 0, headerEnd), spec);
        if (layout === null) return;
        p = Math.min(headerEnd + 1, end);
        if (last < p) last = p;
      }
      if (layout) parseLines(buf, p, last, layout, build, rows);
      yield* rows;
      rows.length = 0;
      if (n === 0) return;
      buf.copy(buf, 0, last, end);
      have = end - last;
    }
  } finally {
    closeSync(fd);
  }
}

const MSG_COLUMNS = [
  col('key'),
  idCol('msqid'),
  perms,
  ...['cbytes', 'qnum', 'lspid', 'lrpid', 'uid', 'gid', 'cuid', 'cgid', 'stime', 'rtime', 'ctime'].map((n) =>
    col(n),
  ),
];

const msgRow = (v: (number | null)[]): ProcMsgRow => ({
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
});

export function parseMsgTable(text: string | Uint8Array): ProcMsgRow[] {
  return parseRows(text, MSG_COLUMNS, msgRow);
}

const SEM_COLUMNS = [
  col('key'),
  idCol('semid'),
  perms,
  ...['nsems', 'uid', 'gid', 'cuid', 'cgid', 'otime', 'ctime'].map((n) => col(n)),
];

const semRow = (v: (number | null)[]): ProcSemRow => ({
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
});

export function parseSemTable(text: string | Uint8Array): ProcSemRow[] {
  return parseRows(text, SEM_COLUMNS, semRow);
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

const shmRow = (v: (number | null)[]): ProcShmRow => ({
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
});

export function parseShmTable(text: string | Uint8Array): ProcShmRow[] {
  return parseRows(text, SHM_COLUMNS, shmRow);
}

/** Where the files live; tests point it elsewhere. */
export const SYSVIPC_DIR = '/proc/sysvipc';

/** The text of /proc/sysvipc/<kind>, or null when it cannot be read (no /proc, no SysV IPC). */
export function readSysvipc(kind: SysvipcKind, dir: string = SYSVIPC_DIR): string | null {
  return readSysvipcBytes(kind, dir)?.toString('latin1') ?? null;
}

/** The bytes of /proc/sysvipc/<kind> (what the parsers read fastest), or null. */
export function readSysvipcBytes(kind: SysvipcKind, dir: string = SYSVIPC_DIR): Buffer | null {
  try {
    return readFileSync(join(dir, kind));
  } catch {
    return null;
  }
}

const STREAMS = {
  msg: { spec: MSG_COLUMNS, row: msgRow },
  sem: { spec: SEM_COLUMNS, row: semRow },
  shm: { spec: SHM_COLUMNS, row: shmRow },
};
/** The row type of each file. */
export type SysvipcRow = { msg: ProcMsgRow; sem: ProcSemRow; shm: ProcShmRow };

type RowOf<K extends SysvipcKind> = (v: (number | null)[]) => SysvipcRow[K];

/** /proc/sysvipc/<kind> open and streamed with the builder `build` makes of the kind's row builder; null when it cannot be opened. */
function streamed<K extends SysvipcKind, T>(
  kind: K,
  dir: string,
  build: (row: RowOf<K>) => (v: (number | null)[]) => T | undefined,
): Generator<T, void, undefined> | null {
  let fd: number;
  try {
    fd = openSync(join(dir, kind), 'r');
  } catch {
    return null;
  }
  const { spec, row } = STREAMS[kind] as unknown as { spec: ColumnSpec[]; row: RowOf<K> };
  return streamRows(fd, spec, build(row));
}

/**
 * The rows of /proc/sysvipc/<kind> as they are read (see streamRows), or null when the file
 * cannot be opened (no /proc, no SysV IPC). The file is open until the rows are all taken (or
 * the loop over them ends).
 */
export function streamSysvipc<K extends SysvipcKind>(
  kind: K,
  dir: string = SYSVIPC_DIR,
): Generator<SysvipcRow[K], void, undefined> | null {
  return streamed(kind, dir, (row) => row);
}

/**
 * The rows of /proc/sysvipc/<kind> whose key and id `wanted` wants, as they are read (see
 * streamRows), or null when the file cannot be opened. Every line is checked as the parser
 * checks it, but a row is made only for a line that is wanted: `svipc diff` reads 37,000
 * objects to find the few that are new.
 */
export function streamSysvipcWhere<K extends SysvipcKind>(
  kind: K,
  wanted: (key: number, id: number) => boolean,
  dir: string = SYSVIPC_DIR,
): Generator<SysvipcRow[K], void, undefined> | null {
  // Every kind's spec starts with the key and the id (MSG_COLUMNS, SEM_COLUMNS, SHM_COLUMNS).
  return streamed(kind, dir, (row) => (v) => (wanted(v[0]! | 0, v[1]!) ? row(v) : undefined));
}
