// lsipc's command line: the getopt tables (its spec: lsipc is a util-linux drop-in), the
// mutually exclusive options, the help text, and the rules that turn options into a request
// (kinds, output mode, columns). Two generations: a command line with a POSIX option
// (-M/-Q/-S/-N, util-linux 2.41+) is read as util-linux 2.42.2 reads it; every other one as
// 2.38.1 (the installed lsipc) reads it, message for message.

import { strerror } from '../ipc/errors.js';
import {
  applies,
  COLUMN_SECTIONS,
  columnNamed,
  DEFAULT_COLUMNS,
  LSIPC_COLUMNS,
  LSIPC_COLUMNS_POSIX,
  type LsipcColumn,
  type LsipcKind,
  type TimeFormat,
} from '../render/lsipc-columns.js';
import type { ScolsMode } from '../render/smartcols.js';
import type { CommandContext } from './context.js';
import { GetoptError, type LongOption } from './getopt.js';
import { eachOption, getoptUtilLinux, svipcVersionLine, tryStrtos32 } from './util-linux.js';

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

/** util-linux 2.42.2's table: --name and the three --posix-* options added. */
/** 2.42.2's table: 2.38.1's with the POSIX options (completion offers it whole). */
export const LONGOPTS_POSIX: LongOption[] = [
  ...LONGOPTS.slice(0, 8),
  { name: 'name', arg: 'required', key: 'N' },
  ...LONGOPTS.slice(8, 13),
  { name: 'posix-mqueues', arg: 'none', key: 'Q' },
  { name: 'posix-semaphores', arg: 'none', key: 'S' },
  { name: 'posix-shmems', arg: 'none', key: 'M' },
  ...LONGOPTS.slice(13),
];
const OPTSTRING_POSIX = 'bceghi:JlMmN:no:PQqrSstVy';
const POSIX_OPTIONS = new Set(['M', 'Q', 'S', 'N']);

/**
 * Rows of mutually exclusive options, as util-linux writes them. Its check
 * (err_exclusive_options) stops at the first row whose first option sorts after the one seen:
 * in 2.38.1 -c is never checked (-c -t passes); in 2.42.2 -M, -Q and -S are never checked
 * (-M -q passes). svipc checks every row of 2.42.2's table: the POSIX kinds exclude each other
 * and the System V ones, as that row says.
 */
const EXCLUSIVE: readonly string[][] = [
  ['J', 'e', 'l', 'n', 'r'],
  ['g', 'i'],
  ['c', 'o', 't'],
  ['m', 'q', 's'],
];
const EXCLUSIVE_POSIX: readonly string[][] = [
  ['J', 'e', 'l', 'n', 'r'],
  ['N', 'g', 'i'],
  ['c', 'o', 't'],
  ['M', 'Q', 'S', 'm', 'q', 's'],
];

/** getopt's value of an option: its letter's code, or past CHAR_MAX for long-only ones. */
const optCode = (key: string): number => (key.length === 1 ? key.charCodeAt(0) : 0x100);

export type OutMode = 'table' | 'list' | 'pretty' | ScolsMode;

/** Thrown to end the run with util-linux's message (may be empty) and exit code. */
export class LsipcExit extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(text);
  }
}

/** What the command line asks for. */
export interface LsipcRequest {
  /** A command line with a POSIX option: util-linux 2.42.2's rules and column table. */
  posix: boolean;
  /** The column table in use (its order: --id's listing; its size: the column limit). */
  table: readonly LsipcColumn[];
  kinds: Record<Exclude<LsipcKind, 'global'>, boolean>;
  global: boolean;
  /** -i; -1 when not given. */
  id: number;
  /** -N; null when not given. */
  name: string | null;
  mode: OutMode;
  noheadings: boolean;
  shellvar: boolean;
  bytes: boolean;
  numericPerms: boolean;
  time: TimeFormat;
  columns: LsipcColumn[];
}

/** util-linux 2.38.1's --help (the help stays 2.38.1's, also for the POSIX options: see svipc-lsipc(1)). */
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

/** Whether getopt, run over the 2.42.2 table, meets a POSIX option before anything it refuses. */
function hasPosixOption(ctx: CommandContext): boolean {
  try {
    for (const opt of getoptUtilLinux(ctx, OPTSTRING_POSIX, LONGOPTS_POSIX, [])) {
      if (POSIX_OPTIONS.has(opt.key)) return true;
    }
  } catch (e) {
    if (!(e instanceof GetoptError)) throw e;
  }
  return false;
}

/**
 * Parse lsipc's command line. Returns the request, or the exit code when the run ends here
 * (--help, --version: their text given to `write`; a bad option: getopt's message and the
 * hint on stderr, 1). Throws LsipcExit for util-linux's other errors.
 */
export function parseLsipc(ctx: CommandContext, write: (s: string) => void): LsipcRequest | number {
  const posix = hasPosixOption(ctx);
  const longopts = posix ? LONGOPTS_POSIX : LONGOPTS;
  const table = posix ? LSIPC_COLUMNS_POSIX : LSIPC_COLUMNS;
  const fail = (msg: string): never => {
    throw new LsipcExit(1, `${ctx.prog}: ${msg}\n`);
  };
  const r: LsipcRequest = {
    posix,
    table,
    kinds: { msg: false, shm: false, sem: false, pmsg: false, pshm: false, psem: false },
    global: false,
    id: -1,
    name: null,
    mode: 'table',
    noheadings: false,
    shellvar: false,
    bytes: false,
    numericPerms: false,
    time: 'short',
    columns: [],
  };
  let time: TimeFormat | null = null;
  let showTime = false;
  let showCreator = false;
  let outarg: string | null = null;
  // util-linux's columns[]: twice the number of columns, no more.
  const limit = table.length * 2;
  let scope: LsipcKind | null = null;
  const add = (names: readonly string[]) => {
    for (const n of names) {
      if (r.columns.length >= limit) fail(`too many columns specified, the limit is ${limit - 1} columns`);
      r.columns.push(columnNamed(table, n));
    }
  };
  const kind = (k: Exclude<LsipcKind, 'global'>) => {
    r.kinds[k] = true;
    add(DEFAULT_COLUMNS[k]);
    scope = k;
  };
  const rows = posix ? EXCLUSIVE_POSIX : EXCLUSIVE;
  const seen: number[] = rows.map(() => 0);
  const longName = (k: string) => `--${longopts.find((o) => o.key === k)!.name}`;
  const exclusive = (key: string) => {
    const c = optCode(key);
    for (let e = 0; e < rows.length; e++) {
      const row = rows[e]!;
      if (!posix && row[0]!.charCodeAt(0) > c) break;
      if (!row.includes(key)) continue;
      if (seen[e] === 0) seen[e] = c;
      else if (seen[e] !== c) {
        if (!posix) fail(`mutually exclusive arguments: ${row.map(longName).join(' ')}`);
        fail(`options ${longName(String.fromCharCode(seen[e]!))} and ${longName(key)} cannot be combined`);
      }
    }
  };

  const texts = {
    help: () => lsipcHelp(ctx.prog),
    version: () => svipcVersionLine(ctx.prog),
  };
  const getopt = { optstring: posix ? OPTSTRING_POSIX : OPTSTRING, longopts, operands: [] };
  const stop = eachOption(ctx, getopt, texts, write, (opt) => {
    exclusive(opt.key);
    switch (opt.key) {
      case 'b':
        r.bytes = true;
        break;
      case 'i': {
        const text = opt.value ?? '';
        const n = tryStrtos32(text);
        if ('error' in n) {
          fail(`failed to parse IPC identifier: '${text}'${n.error === 'ERANGE' ? `: ${strerror(34)}` : ''}`);
        } else r.id = n.value;
        break;
      }
      case 'N':
        r.name = opt.value ?? '';
        break;
      case 'e':
        r.mode = 'export';
        break;
      case 'r':
        r.mode = 'raw';
        break;
      case 'o':
        outarg = opt.value ?? '';
        break;
      case 'g':
        r.global = true;
        break;
      case 'q':
        kind('msg');
        break;
      case 'Q':
        kind('pmsg');
        break;
      case 'l':
        r.mode = 'list';
        break;
      case 'm':
        kind('shm');
        break;
      case 'M':
        kind('pshm');
        break;
      case 'n':
        r.mode = 'newline';
        break;
      case 'P':
        r.numericPerms = true;
        break;
      case 's':
        kind('sem');
        break;
      case 'S':
        kind('psem');
        break;
      case 'notruncate':
        break; // nothing to truncate: output that is not a terminal never is
      case 'noheadings':
        r.noheadings = true;
        break;
      case 'time-format': {
        const v = opt.value ?? '';
        if (v !== 'iso' && v !== 'full' && v !== 'short') fail(`unknown time format: ${v}`);
        time = v as TimeFormat;
        break;
      }
      case 'J':
        r.mode = 'json';
        break;
      case 't':
        showTime = true;
        break;
      case 'c':
        showCreator = true;
        break;
      case 'y':
        r.shellvar = true;
        break;
    }
  });
  if (stop !== undefined) return stop;

  const k = r.kinds;
  const sysv = k.msg || k.shm || k.sem;
  const posixKind = k.pmsg || k.pshm || k.psem;
  // svipc's rule (util-linux 2.42.2 ignores the one that does not fit and lists everything)
  if (r.name !== null && sysv) fail('--name selects POSIX objects: use --id with -m, -q or -s');
  if (r.id !== -1 && posixKind) fail('--id selects System V objects: use --name with -M, -Q or -S');
  if (!sysv && !posixKind) {
    k.msg = k.shm = k.sem = r.global = true;
    if (showTime || showCreator || r.id !== -1 || r.name !== null) {
      fail(
        posix
          ? '--global is mutually exclusive with --creator, --id, --name and --time'
          : '--global is mutually exclusive with --creator, --id and --time',
      );
    }
  }
  if (r.global) {
    add(DEFAULT_COLUMNS.global);
    scope = 'global';
  }
  if ((r.id !== -1 || r.name !== null) && r.mode === 'table') r.mode = 'pretty';
  r.time = time ?? (r.mode === 'pretty' ? 'full' : 'short');

  if (r.mode === 'pretty' && !(showCreator || showTime)) {
    // every column, for lsipc --<RESOURCE> --id <ID>
    r.columns = [...table];
  } else {
    if (showCreator) add(posixKind ? ['CUID', 'CGID'] : ['CUID', 'CGID', 'UID', 'GID']);
    if (k.msg && showTime) add(['SEND', 'RECV', 'CTIME']);
    if (k.shm && showTime) {
      // keep COMMAND the last column
      const cmd = r.columns[r.columns.length - 1]?.name === 'COMMAND';
      if (cmd) r.columns.pop();
      add(['ATTACH', 'DETACH']);
      if (cmd) add(['COMMAND']);
    }
    if (k.sem && showTime) add(['OTIME', 'CTIME']);
  }

  if (outarg !== null) {
    const cols = addOutputColumns(ctx, outarg, r.columns, table, limit, scope);
    if (cols === null) throw new LsipcExit(1, '');
    r.columns = cols;
  }
  return r;
}

/**
 * -o LIST (string_add_to_idarray): "+LIST" appends, LIST replaces. An empty name, an unknown
 * column (the message quotes the rest of the list), a column of another kind, or too many
 * columns end the run with exit 1; null then.
 */
function addOutputColumns(
  ctx: CommandContext,
  list: string,
  columns: LsipcColumn[],
  table: readonly LsipcColumn[],
  limit: number,
  scope: LsipcKind | null,
): LsipcColumn[] | null {
  const warn = (msg: string) => ctx.stderr.write(`${ctx.prog}: ${msg}\n`);
  let rest = list;
  let out = columns;
  if (rest.startsWith('+')) rest = rest.slice(1);
  else out = [];
  if (list === '' || rest === '') return null;
  const room = limit - out.length;
  const added: LsipcColumn[] = [];
  let begin = 0;
  for (let p = 0; p < rest.length; p++) {
    if (added.length >= room) return null;
    const end = p + 1 === rest.length ? p + 1 : rest[p] === ',' ? p : -1;
    if (end < 0) continue;
    if (end <= begin) return null;
    const name = rest.slice(begin, end);
    const c = table.find((c) => asciiLower(c.name) === asciiLower(name));
    if (!c) {
      warn(`unknown column: ${rest.slice(begin)}`);
      return null;
    }
    if (!applies(c, scope)) {
      warn(`column ${rest.slice(begin)} does not apply to the specified IPC`);
      return null;
    }
    added.push(c);
    if (added.length >= room) return null;
    begin = p + 1;
  }
  return [...out, ...added];
}

/** c_strncasecmp's folding: ASCII letters only. */
const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (ch) => ch.toLowerCase());
