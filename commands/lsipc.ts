// svipc lsipc: util-linux 2.38.1's lsipc for System V objects, byte for byte (options,
// columns, formats, messages, exit codes) when not writing to a terminal. Parse options ->
// choose columns (src/render/lsipc-columns.ts) -> rows from the inventory -> libsmartcols'
// formats (src/render/smartcols.ts) or the --id listing.
import { readFileSync } from 'node:fs';
import type { CommandContext } from '../src/cli/context.js';
import type { LongOption } from '../src/cli/getopt.js';
import { writeOrReport } from '../src/cli/output.js';
import { getoptFailed, getoptUtilLinux, tryStrtos32, UTIL_LINUX_VERSION } from '../src/cli/util-linux.js';
import { IpcError, strerror } from '../src/ipc/errors.js';
import {
  type IpcRecord,
  pageSize,
  queueLimits,
  readSemElements,
  type Scan,
  scanQueues,
  scanSegments,
  scanSemaphores,
  segmentLimits,
  semaphoreLimits,
} from '../src/ipc/inventory.js';
import { groupName, userName } from '../src/ipc/users.js';
import {
  type CellContext,
  COLUMN_SECTIONS,
  cellValue,
  columnIndex,
  DEFAULT_COLUMNS,
  type GlobalRow,
  LSIPC_COLUMNS,
  type LsipcKind,
  type LsipcRow,
  type TimeFormat,
} from '../src/render/lsipc-columns.js';
import { renderScols, type ScolsMode } from '../src/render/smartcols.js';

// util-linux's order: it decides how an ambiguous abbreviation lists its candidates.
const LONGOPTS: LongOption[] = [
  { name: 'bytes', arg: 'none', key: 'b' },
  { name: 'creator', arg: 'none', key: 'c' },
  { name: 'export', arg: 'none', key: 'e' },
  { name: 'global', arg: 'none', key: 'g' },
  { name: 'help', arg: 'none', key: 'h' },
  { name: 'id', arg: 'required', key: 'i' },
  { name: 'json', arg: 'none', key: 'J' },
  { name: 'list', arg: 'none', key: 'l' },
  { name: 'newline', arg: 'none', key: 'n' },
  { name: 'noheadings', arg: 'none', key: 'noheadings' },
  { name: 'notruncate', arg: 'none', key: 'notruncate' },
  { name: 'numeric-perms', arg: 'none', key: 'P' },
  { name: 'output', arg: 'required', key: 'o' },
  { name: 'queues', arg: 'none', key: 'q' },
  { name: 'raw', arg: 'none', key: 'r' },
  { name: 'semaphores', arg: 'none', key: 's' },
  { name: 'shmems', arg: 'none', key: 'm' },
  { name: 'time', arg: 'none', key: 't' },
  { name: 'time-format', arg: 'required', key: 'time-format' },
  { name: 'version', arg: 'none', key: 'V' },
  { name: 'shell', arg: 'none', key: 'y' },
];
const OPTSTRING = 'bceghi:Jlmno:PqrstVy';

/**
 * util-linux 2.38.1's rows of mutually exclusive options, as written there. The check
 * (err_exclusive_options) stops at the first row whose first option sorts after the one
 * seen; rows not in ASCII order mean -c is never checked (-c -t passes, -o -t does not).
 */
const EXCLUSIVE: readonly string[][] = [
  ['J', 'e', 'l', 'n', 'r'],
  ['g', 'i'],
  ['c', 'o', 't'],
  ['m', 'q', 's'],
];

/** getopt's value of an option: its letter's code, or past CHAR_MAX for long-only ones. */
const optCode = (key: string): number => (key.length === 1 ? key.charCodeAt(0) : 0x100);

type OutMode = 'table' | 'list' | 'pretty' | ScolsMode;

/** Thrown to end the run with util-linux's message and exit code. */
class Exit extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(text);
  }
}

export function lsipcHelp(prog: string): string {
  let s = `
Usage:
 ${prog} [options]

Show information on IPC facilities.

Resource options:
 -m, --shmems      shared memory segments
 -q, --queues      message queues
 -s, --semaphores  semaphores
 -g, --global      info about system-wide usage (may be used with -m, -q and -s)
 -i, --id <id>     print details on resource identified by <id>

Options:
     --noheadings         don't print headings
     --notruncate         don't truncate output
     --time-format=<type> display dates in short, full or iso format
 -b, --bytes              print SIZE in bytes rather than in human readable format
 -c, --creator            show creator and owner
 -e, --export             display in an export-able output format
 -J, --json               use the JSON output format
 -n, --newline            display each piece of information on a new line
 -l, --list               force list output format (for example with --id)
 -o, --output[=<list>]    define the columns to output
 -P, --numeric-perms      print numeric permissions (PERMS column)
 -r, --raw                display in raw mode
 -t, --time               show attach, detach and change times
 -y, --shell              use column names to be usable as shell variable identifiers

 -h, --help               display this help
 -V, --version            display version
`;
  for (const section of COLUMN_SECTIONS) {
    s += `\n${section.title}\n`;
    for (const c of LSIPC_COLUMNS.filter((c) => c.scope === section.scope)) {
      s += ` ${c.name.padStart(14)}  ${c.help}\n`;
    }
  }
  return `${s}\nFor more details see lsipc(1).\n`;
}

interface Control {
  mode: OutMode;
  noheadings: boolean;
  shellvar: boolean;
  bytes: boolean;
  numericPerms: boolean;
  time: TimeFormat | null;
}

export async function run(ctx: CommandContext): Promise<number> {
  let out = '';
  let code: number;
  try {
    code = lsipc(ctx, (s) => {
      out += s;
    });
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    if (e.text) ctx.stderr.write(e.text);
    code = e.code;
  }
  // close_stdout_atexit(): the output written once, at the end (bytes: escapes are latin1).
  return writeOrReport(ctx, Buffer.from(out, 'latin1'), code);
}

function lsipc(ctx: CommandContext, write: (s: string) => void): number {
  const warn = (msg: string) => ctx.stderr.write(`${ctx.prog}: ${msg}\n`);
  const fail = (msg: string): never => {
    throw new Exit(1, `${ctx.prog}: ${msg}\n`);
  };
  const ctl: Control = {
    mode: 'table',
    noheadings: false,
    shellvar: false,
    bytes: false,
    numericPerms: false,
    time: null,
  };
  const kinds = { msg: false, shm: false, sem: false };
  let id = -1;
  let global = false;
  let showTime = false;
  let showCreator = false;
  let outarg: string | null = null;
  // util-linux's columns[]: twice the number of columns, no more.
  const limit = LSIPC_COLUMNS.length * 2;
  let columns: number[] = [];
  let scope: LsipcKind | null = null;
  const add = (names: readonly string[]) => {
    for (const n of names) {
      if (columns.length >= limit) fail(`too many columns specified, the limit is ${limit - 1} columns`);
      columns.push(columnIndex(n));
    }
  };
  const seen: number[] = EXCLUSIVE.map(() => 0);
  const exclusive = (key: string) => {
    const c = optCode(key);
    for (let e = 0; e < EXCLUSIVE.length && EXCLUSIVE[e]![0]!.charCodeAt(0) <= c; e++) {
      const row = EXCLUSIVE[e]!;
      const hit = row.find((k) => k.charCodeAt(0) <= c && k.charCodeAt(0) === c);
      if (hit === undefined) continue;
      if (seen[e] === 0) seen[e] = c;
      else if (seen[e] !== c) {
        const names = row.map((k) => `--${LONGOPTS.find((o) => o.key === k)!.name}`);
        fail(`mutually exclusive arguments: ${names.join(' ')}`);
      }
    }
  };

  const operands: string[] = []; // util-linux ignores operands
  try {
    for (const opt of getoptUtilLinux(ctx, OPTSTRING, LONGOPTS, operands)) {
      exclusive(opt.key);
      switch (opt.key) {
        case 'b':
          ctl.bytes = true;
          break;
        case 'i': {
          const text = opt.value ?? '';
          const r = tryStrtos32(text);
          if ('error' in r) {
            fail(
              `failed to parse IPC identifier: '${text}'${r.error === 'ERANGE' ? `: ${strerror(34)}` : ''}`,
            );
          } else id = r.value;
          break;
        }
        case 'e':
          ctl.mode = 'export';
          break;
        case 'r':
          ctl.mode = 'raw';
          break;
        case 'o':
          outarg = opt.value ?? '';
          break;
        case 'g':
          global = true;
          break;
        case 'q':
          kinds.msg = true;
          add(DEFAULT_COLUMNS.msg);
          scope = 'msg';
          break;
        case 'l':
          ctl.mode = 'list';
          break;
        case 'm':
          kinds.shm = true;
          add(DEFAULT_COLUMNS.shm);
          scope = 'shm';
          break;
        case 'n':
          ctl.mode = 'newline';
          break;
        case 'P':
          ctl.numericPerms = true;
          break;
        case 's':
          kinds.sem = true;
          add(DEFAULT_COLUMNS.sem);
          scope = 'sem';
          break;
        case 'notruncate':
          break; // nothing to truncate: output that is not a terminal never is
        case 'noheadings':
          ctl.noheadings = true;
          break;
        case 'time-format': {
          const v = opt.value ?? '';
          if (v !== 'iso' && v !== 'full' && v !== 'short') fail(`unknown time format: ${v}`);
          ctl.time = v as TimeFormat;
          break;
        }
        case 'J':
          ctl.mode = 'json';
          break;
        case 't':
          showTime = true;
          break;
        case 'c':
          showCreator = true;
          break;
        case 'y':
          ctl.shellvar = true;
          break;
        case 'h':
          write(lsipcHelp(ctx.prog));
          return 0;
        case 'V':
          write(`${ctx.prog} from util-linux ${UTIL_LINUX_VERSION}\n`);
          return 0;
      }
    }
  } catch (e) {
    if (e instanceof Exit) throw e;
    return getoptFailed(ctx, e);
  }

  if (!kinds.msg && !kinds.shm && !kinds.sem) {
    kinds.msg = kinds.shm = kinds.sem = global = true;
    if (showTime || showCreator || id !== -1) {
      fail('--global is mutually exclusive with --creator, --id and --time');
    }
  }
  if (global) {
    add(DEFAULT_COLUMNS.global);
    scope = 'global';
  }
  if (id !== -1 && ctl.mode === 'table') ctl.mode = 'pretty';
  const timeFormat: TimeFormat = ctl.time ?? (ctl.mode === 'pretty' ? 'full' : 'short');

  if (ctl.mode === 'pretty' && !(showCreator || showTime)) {
    // every column, for lsipc --<RESOURCE> --id <ID>
    columns = LSIPC_COLUMNS.map((_, i) => i);
  } else {
    if (showCreator) add(['CUID', 'CGID', 'UID', 'GID']);
    if (kinds.msg && showTime) add(['SEND', 'RECV', 'CTIME']);
    if (kinds.shm && showTime) {
      // keep COMMAND the last column
      const cmd = columns[columns.length - 1] === columnIndex('COMMAND');
      if (cmd) columns.pop();
      add(['ATTACH', 'DETACH']);
      if (cmd) add(['COMMAND']);
    }
    if (kinds.sem && showTime) add(['OTIME', 'CTIME']);
  }

  if (outarg !== null) {
    const r = addOutputColumns(outarg, columns, limit, scope, warn);
    if (r === null) return 1;
    columns = r;
  }

  const cells: CellContext = {
    bytes: ctl.bytes,
    numericPerms: ctl.numericPerms,
    time: timeFormat,
    now: Math.floor(Date.now() / 1000),
    user: (uid) => bytes(userName(uid)),
    group: (gid) => bytes(groupName(gid)),
    command: procCommand,
  };

  let tableName: string | null = global ? 'ipclimits' : null;
  const rows: LsipcRow[] = [];
  let elements: string | null = null;
  const notFound = () => {
    if (id > -1) warn(`id ${id} not found`);
  };
  if (kinds.msg) {
    if (global) rows.push(...queueGlobals());
    else {
      const found = pick(asUtilLinux(scanQueues(AS_UTIL_LINUX)), id);
      if (found.length === 0) notFound();
      else {
        tableName = 'messages';
        rows.push(...found.map((record) => ({ kind: 'msg' as const, record })));
      }
    }
  }
  if (kinds.shm) {
    if (global) rows.push(...segmentGlobals());
    else {
      const found = pick(asUtilLinux(scanSegments(AS_UTIL_LINUX)), id);
      if (found.length === 0) notFound();
      else {
        tableName = 'sharedmemory';
        rows.push(...found.map((record) => ({ kind: 'shm' as const, record })));
      }
    }
  }
  if (kinds.sem) {
    if (global) rows.push(...semaphoreGlobals());
    else {
      tableName = 'semaphores';
      const found = pick(asUtilLinux(scanSemaphores(AS_UTIL_LINUX)), id);
      if (found.length === 0) notFound();
      else {
        rows.push(...found.map((record) => ({ kind: 'sem' as const, record })));
        const set = found[0]!;
        if (id > -1 && set.nsems > 0) elements = semElementsTable(ctx, set.id, set.nsems, cells);
      }
    }
  }

  const cols = columns.map((i) => LSIPC_COLUMNS[i]!);
  const data = rows.map((row) => cols.map((c) => cellValue(c, row, cells)));
  if (ctl.mode === 'pretty') {
    const first = data[0];
    if (first) {
      let s = '';
      cols.forEach((c, i) => {
        const v = first[i];
        if (v !== null && v !== undefined)
          s += `${c.pretty}:${' '.repeat(35 - c.pretty.length)}${v.padEnd(36)}\n`;
      });
      if (elements !== null) s += `Elements:\n\n${elements}`;
      write(s);
    }
    return 0;
  }
  write(
    renderScols(
      { name: tableName, columns: cols.map((c) => ({ name: c.name, right: c.right })), rows: data },
      { mode: ctl.mode === 'list' ? 'table' : ctl.mode, noheadings: ctl.noheadings, shellvar: ctl.shellvar },
    ),
  );
  return 0;
}

/**
 * -o LIST (string_add_to_idarray): "+LIST" appends, LIST replaces. An empty name, an unknown
 * column (the message quotes the rest of the list), a column of another kind, or too many
 * columns end the run with exit 1; null then.
 */
function addOutputColumns(
  list: string,
  columns: number[],
  limit: number,
  scope: LsipcKind | null,
  warn: (msg: string) => void,
): number[] | null {
  let rest = list;
  let out = columns;
  if (rest.startsWith('+')) rest = rest.slice(1);
  else out = [];
  if (list === '' || rest === '') return null;
  const room = limit - out.length;
  const added: number[] = [];
  let begin = 0;
  for (let p = 0; p < rest.length; p++) {
    if (added.length >= room) return null;
    const end = p + 1 === rest.length ? p + 1 : rest[p] === ',' ? p : -1;
    if (end < 0) continue;
    if (end <= begin) return null;
    const name = rest.slice(begin, end);
    const i = LSIPC_COLUMNS.findIndex((c) => asciiLower(c.name) === asciiLower(name));
    if (i < 0) {
      warn(`unknown column: ${rest.slice(begin)}`);
      return null;
    }
    const c = LSIPC_COLUMNS[i]!;
    if (c.scope !== 'generic' && c.scope !== scope) {
      warn(`column ${rest.slice(begin)} does not apply to the specified IPC`);
      return null;
    }
    added.push(i);
    if (added.length >= room) return null;
    begin = p + 1;
  }
  return [...out, ...added];
}

/** c_strncasecmp's folding: ASCII letters only. */
const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (ch) => ch.toLowerCase());

/** Records as util-linux reads them: /proc/sysvipc, else the permission-checked *_STAT scan. */
const AS_UTIL_LINUX = { fallbackStat: 'checked' } as const;

/** util-linux's syscall fallback copies cuid into cgid for segments and semaphores. */
function asUtilLinux<T extends IpcRecord>(scan: Scan<T>): T[] {
  if (scan.source === 'proc' || scan.records[0]?.kind === 'msg') return scan.records;
  return scan.records.map((r) => ({ ...r, cgid: r.cuid }));
}

/** id > -1: that object only; otherwise (no id, or a negative one) every object. */
function pick<T extends IpcRecord>(records: T[], id: number): T[] {
  return id > -1 ? records.filter((r) => r.id === id) : records;
}

/** A name as bytes (see smartcols.ts): UTF-8 names become their bytes. */
function bytes(s: string | null): string | null {
  return s === null ? null : Buffer.from(s, 'utf8').toString('latin1');
}

/** util-linux's proc_get_command(): /proc/PID/cmdline (first 8192 bytes), NULs as spaces, last byte dropped. */
export function procCommand(pid: number): string | null {
  let buf: Buffer;
  try {
    buf = readFileSync(`/proc/${pid}/cmdline`);
  } catch {
    return null;
  }
  if (buf.length === 0) return null;
  const b = Buffer.from(buf.subarray(0, 8192));
  for (let i = 0; i < b.length; i++) if (b[i] === 0) b[i] = 0x20;
  return b.subarray(0, b.length - 1).toString('latin1');
}

/** The --id listing's "Elements:" table of a semaphore set. */
function semElementsTable(ctx: CommandContext, id: number, nsems: number, cells: CellContext): string {
  let elements: ReturnType<typeof readSemElements>;
  try {
    elements = readSemElements(id, nsems);
  } catch (e) {
    if (e instanceof IpcError && e.syscall.startsWith('semctl(')) {
      throw new Exit(1, `${ctx.prog}: ${e.syscall} failed: ${strerror(e.errno)}\n`);
    }
    throw e;
  }
  const names = ['SEMNUM', 'VALUE', 'NCOUNT', 'ZCOUNT', 'PID', 'COMMAND'];
  return renderScols(
    {
      name: 'elements',
      columns: names.map((name) => ({ name, right: true })),
      rows: elements.map((e) => [
        String(e.semnum),
        String(e.value),
        String(e.ncount),
        String(e.zcount),
        String(e.pid),
        cells.command(e.pid),
      ]),
    },
    { mode: 'table' },
  );
}

// ---------------------------------------------------------------- --global

const big = (n: number | bigint | undefined): bigint => BigInt(n ?? 0);

function queueGlobals(): LsipcRow[] {
  const lim = queueLimits();
  const n = scanQueues(AS_UTIL_LINUX).records.length;
  return [
    g('MSGMNI', 'Number of message queues', big(lim?.msgmni), big(n), false),
    g('MSGMAX', 'Max size of message (bytes)', big(lim?.msgmax), null, true),
    g('MSGMNB', 'Default max size of queue (bytes)', big(lim?.msgmnb), null, true),
  ];
}

function segmentGlobals(): LsipcRow[] {
  const lim = segmentLimits();
  const segs = scanSegments(AS_UTIL_LINUX).records;
  const total = segs.reduce((sum, s) => sum + BigInt(s.size), 0n);
  const page = BigInt(pageSize());
  return [
    g('SHMMNI', 'Shared memory segments', big(lim?.shmmni), big(segs.length), false),
    g('SHMALL', 'Shared memory pages', big(lim?.shmall), total / page, false),
    g('SHMMAX', 'Max size of shared memory segment (bytes)', big(lim?.shmmax), null, true),
    g('SHMMIN', 'Min size of shared memory segment (bytes)', big(lim?.shmmin), null, true),
  ];
}

function semaphoreGlobals(): LsipcRow[] {
  const lim = semaphoreLimits();
  const sets = scanSemaphores(AS_UTIL_LINUX).records;
  // util-linux 2.38.1 adds the first set's size once per set: SEMMNS used = sets x its nsems.
  const sems = sets.length * (sets[0]?.nsems ?? 0);
  return [
    g('SEMMNI', 'Number of semaphore identifiers', big(lim?.semmni), big(sets.length), false),
    g('SEMMNS', 'Total number of semaphores', big(lim?.semmns), big(sems), false),
    g('SEMMSL', 'Max semaphores per semaphore set.', big(lim?.semmsl), null, false),
    g('SEMOPM', 'Max number of operations per semop(2)', big(lim?.semopm), null, false),
    g('SEMVMX', 'Semaphore max value', big(lim?.semvmx), null, false),
  ];
}

function g(
  resource: string,
  description: string,
  limit: bigint,
  used: bigint | null,
  bytes: boolean,
): LsipcRow {
  const record: GlobalRow = { resource, description, limit, used, bytes };
  return { kind: 'global', record };
}
