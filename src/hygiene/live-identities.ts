// The System V objects now, as `svipc diff` needs them: each one's identity (kind, id, key), and
// the whole document record only of the ones it prints. /proc/sysvipc is read in pieces and
// each line's key and id are read from its bytes where they are; no row or record is made for
// an object the snapshot already has (at 37,096 objects, making them all was a third of a diff).
//
// A line counts exactly when src/proc/sysvipc.ts's parser takes it: which columns it checks,
// and how (decimal or octal), and where the key and id are, are learned from that parser itself,
// by giving it the file's header with a few made-up lines; a line this reader cannot vouch for
// (a number of more than 15 digits, a value the parser may refuse) is given to the parser, and
// so is every line whose record is printed. (The byte loop over the lines repeats the parser's
// in small: for the inventory's owner to fold in.)
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import {
  queueFromProc,
  type SemaphoreRecord,
  segmentFromProc,
  semaphoreFromProc,
  withElements,
} from '../ipc/inventory.js';
import {
  type ProcMsgRow,
  type ProcSemRow,
  type ProcShmRow,
  parseMsgTable,
  parseSemTable,
  parseShmTable,
  SYSVIPC_DIR,
  type SysvipcKind,
} from '../proc/sysvipc.js';
import { queueJson, segmentJson, semaphoreJson } from '../render/ipcs-json.js';
import type { NameResolver } from '../render/names.js';
import type { Obj } from './snapshot.js';

type Row = ProcMsgRow | ProcSemRow | ProcShmRow;

/** Per kind: the parser of its file, and a parsed row as the snapshot's document record. */
const KINDS: Record<
  SysvipcKind,
  { parse(text: Uint8Array): Row[]; json(row: Row, names: NameResolver): Obj }
> = {
  msg: { parse: parseMsgTable, json: (row, names) => queueJson(queueFromProc(row as ProcMsgRow), names) },
  shm: { parse: parseShmTable, json: (row, names) => segmentJson(segmentFromProc(row as ProcShmRow), names) },
  sem: {
    parse: parseSemTable,
    // A new set's elements are read now, when it is printed (the others' never).
    json: (row, names) =>
      semaphoreJson(withElements(semaphoreFromProc(row as ProcSemRow) as SemaphoreRecord), names),
  },
};

const NL = 10;
const isBlank = (c: number): boolean => c === 32 || c === 9 || c === 13;
/** What the parser asks of a field: nothing, a decimal number (a sign allowed), an octal one. */
const ANY = 0;
const DECIMAL = 10;
const OCTAL = 8;

/** How the lines under one header are read: learned from the parser (see the top of this file). */
export interface LineLayout {
  /** The header line's fields: a line with fewer is not an object. */
  fields: number;
  /** Per field, what the parser asks of it (ANY, DECIMAL, OCTAL). */
  check: Uint8Array;
  key: number;
  id: number;
}

/** The parser's rows of `header` with one line of `fields`. */
function rowsOf(kind: SysvipcKind, header: Buffer, fields: string[]): Row[] {
  return KINDS[kind].parse(Buffer.concat([header, Buffer.from(`\n${fields.join(' ')}\n`, 'latin1')]));
}

/**
 * The layout of the lines under `header` (its bytes, without the newline), as the parser reads
 * them; null when the parser takes no line under it (a column it needs is missing), or the key
 * or id is not where this reader can find it: then the parser reads every line.
 */
export function lineLayout(kind: SysvipcKind, header: Buffer): LineLayout | 'none' | null {
  const fields = header.toString('latin1').trim().split(/\s+/).filter(Boolean).length;
  const zeros = new Array<string>(fields).fill('0');
  if (rowsOf(kind, header, zeros).length !== 1) return 'none';
  const check = new Uint8Array(fields);
  let key = -1;
  let id = -1;
  for (let i = 0; i < fields; i++) {
    const line = (v: string) => {
      const one = [...zeros];
      one[i] = v;
      return rowsOf(kind, header, one);
    };
    if (line('x').length === 1) check[i] = ANY;
    else check[i] = line('8').length === 1 ? DECIMAL : OCTAL;
    const [one] = line('1');
    if (one?.key === 1) key = i;
    if (one?.id === 1) id = i;
  }
  if (key < 0 || id < 0 || check[key] !== DECIMAL || check[id] !== DECIMAL) return null;
  return { fields, check, key, id };
}

/**
 * The identity (`msg:ID:KEY`) of the line buf[p, end), end at its newline or the end; null when
 * it is not an object (blank, short, a value the parser refuses); undefined when this reader
 * cannot vouch for it (the parser must read it).
 */
function lineIdentity(
  kind: SysvipcKind,
  buf: Uint8Array,
  p: number,
  end: number,
  layout: LineLayout,
): string | null | undefined {
  const { check, fields } = layout;
  let field = 0;
  let key = 0;
  let id = 0;
  for (;;) {
    while (p < end && isBlank(buf[p]!)) p++;
    if (p >= end) break;
    const how = field < fields ? check[field]! : ANY;
    if (how === ANY) {
      while (p < end && !isBlank(buf[p]!)) p++;
    } else {
      let c = buf[p]!;
      let negative = false;
      if (how === DECIMAL && (c === 45 || c === 43)) {
        negative = c === 45;
        p++;
      }
      const digits = p;
      let v = 0;
      while (p < end) {
        c = buf[p]!;
        if (isBlank(c)) break;
        const d = c - 48;
        if (d < 0 || d >= how) return null;
        v = v * 10 + d;
        p++;
      }
      if (p === digits) return null;
      if (field === layout.key || field === layout.id) {
        if (p - digits > 15) return undefined; // the parser rounds such a number its own way
        if (field === layout.key) key = (negative ? -v : v) | 0;
        else id = negative ? -v : v;
      }
    }
    field++;
  }
  if (field === 0 || field < fields) return null;
  return `${kind}:${id}:${key}`;
}

/** How much of a /proc/sysvipc file is read at a time. */
const CHUNK = 256 * 1024;

/**
 * The objects of `kind` now, from /proc/sysvipc (`dir`): each one's identity goes to `isNew`,
 * and the document record of each it calls new is yielded, in the file's order, made as it is
 * yielded (a set's elements are read then). null when the file cannot be opened: the caller
 * asks the syscalls instead, as the inventory does.
 */
export function appearedSysv(
  kind: SysvipcKind,
  names: NameResolver,
  isNew: (identity: string) => boolean,
  dir: string = SYSVIPC_DIR,
): Generator<Obj, void, undefined> | null {
  let fd: number;
  try {
    fd = openSync(join(dir, kind), 'r');
  } catch {
    return null;
  }
  return readAppeared(fd, kind, names, isNew);
}

function* readAppeared(
  fd: number,
  kind: SysvipcKind,
  names: NameResolver,
  isNew: (identity: string) => boolean,
): Generator<Obj, void, undefined> {
  try {
    let buf = Buffer.allocUnsafe(CHUNK);
    let have = 0; // bytes in buf not read as lines yet
    let header: Buffer | null = null;
    let layout: LineLayout | 'none' | null = null;
    const fresh: Buffer[] = []; // the lines of new objects in this piece
    for (;;) {
      if (have === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2); // a line longer than a piece
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const n = readSync(fd, buf, have, buf.length - have, null);
      const end = have + n;
      let last = n === 0 ? end : buf.lastIndexOf(NL, end - 1) + 1; // after the last whole line
      let p = 0;
      if (header === null && last > 0) {
        const eol = buf.indexOf(NL);
        const headerEnd = eol < 0 || eol >= end ? end : eol;
        header = Buffer.from(buf.subarray(0, headerEnd));
        layout = lineLayout(kind, header);
        if (layout === 'none') return;
        p = Math.min(headerEnd + 1, end);
        if (last < p) last = p;
      }
      if (header !== null) {
        while (p < last) {
          let eol = buf.indexOf(NL, p);
          if (eol < 0 || eol >= last) eol = last;
          let identity = layout === null ? undefined : lineIdentity(kind, buf, p, eol, layout as LineLayout);
          if (identity === undefined) {
            const [row] = KINDS[kind].parse(Buffer.concat([header, Buffer.from('\n'), buf.subarray(p, eol)]));
            identity = row === undefined ? null : `${kind}:${row.id}:${row.key}`;
          }
          if (identity !== null && isNew(identity)) fresh.push(Buffer.from(buf.subarray(p, eol)));
          p = eol + 1;
        }
      }
      for (const line of fresh) {
        const [row] = KINDS[kind].parse(Buffer.concat([header!, Buffer.from('\n'), line]));
        yield KINDS[kind].json(row!, names);
      }
      fresh.length = 0;
      if (n === 0) return;
      buf.copy(buf, 0, last, end);
      have = end - last;
    }
  } finally {
    closeSync(fd);
  }
}
