// What the msg, sem and shm subcommands share: the exit-status help text, --timeout/--nowait
// checks, stdin input, JSON output, --owner parsing, the stat text, a TARGET subcommand's spec.
import { fstatSync } from 'node:fs';
import { WaitAbortedError } from '../ipc/blocking.js';
import { formatKey, SemaphoreSet } from '../ipc/index.js';
import type { IpcRecord } from '../ipc/inventory.js';
import { type IpcKind, KINDS } from '../ipc/kinds.js';
import type { WaitOptions } from '../ipc/types.js';
import { groupName, userName } from '../ipc/users.js';
import { idDocument, recordJson } from '../render/ipcs-json.js';
import { toJson } from '../render/json.js';
import type { NameResolver } from '../render/names.js';
import type { CommandContext } from './context.js';
import { CommandError, UsageError } from './exit.js';
import { describeLimit, explained, limitNumber } from './explain.js';
import type { CommandSpec, OptionSpec } from './spec.js';
import { TARGET_HELP, TARGET_OPTIONS } from './target.js';
import { parseCount, parseSeconds } from './values.js';

export const EXIT_HELP =
  '\nExit status:\n' +
  '  0    ok\n' +
  '  1    the operation failed (missing object, permission, kernel limit...)\n' +
  '  2    usage error\n' +
  '  75   --nowait was given and the call would have blocked\n' +
  '  124  --timeout expired (the object is left as it was; at most 2147483647 s)\n' +
  '  130  interrupted by SIGINT (143 SIGTERM, 129 SIGHUP); the object is left as it was\n';

/** create's -m/--mode, and --nowait and --timeout as waitOptions reads them: declared once. */
export const MODE_OPTION: OptionSpec = {
  flags: '-m, --mode <mode>',
  description: 'permission bits, octal',
  default: '600',
};
export const NOWAIT_OPTION: OptionSpec = {
  flags: '--nowait',
  description: 'fail with exit 75 instead of waiting',
};
export const TIMEOUT_OPTION: OptionSpec = {
  flags: '--timeout <seconds>',
  description: 'give up waiting after this long (exit 124)',
};

export interface WaitFlags {
  nowait?: boolean;
  timeout?: string;
}

/** --nowait and --timeout as WaitOptions (they are exclusive). */
export function waitOptions(ctx: CommandContext, opts: WaitFlags): WaitOptions & { signal: AbortSignal } {
  if (opts.nowait && opts.timeout !== undefined) throw new UsageError('--nowait and --timeout are exclusive');
  const out: WaitOptions & { signal: AbortSignal } = { signal: ctx.signal };
  if (opts.nowait) out.nowait = true;
  if (opts.timeout !== undefined) out.timeout = parseSeconds(opts.timeout);
  return out;
}

/**
 * Refuse a directory on stdin (`cmd < /`): reading it fails (EISDIR), and a stream would
 * take that for an empty input. One line, exit 1, before anything is sent or written.
 */
export function refuseDirectoryStdin(fd: number | undefined): void {
  let dir = false;
  try {
    dir = fstatSync(fd ?? 0).isDirectory();
  } catch {
    // closed or unknown: the read says what it is
  }
  if (dir) throw new CommandError('stdin is a directory');
}

/**
 * Stdin as it arrives, chunk by chunk. A signal (ctx.signal) ends the wait at once:
 * WaitAbortedError. With `what` ("the message"), a terminal on stdin is told on stderr what is
 * being read and how to end it, so that a waiting command does not look hung.
 */
export async function* stdinChunks(ctx: CommandContext, what?: string): AsyncGenerator<Buffer, void, void> {
  refuseDirectoryStdin(ctx.stdin.fd);
  if (what !== undefined && ctx.stdin.isTTY)
    ctx.stderr.write(`${ctx.prog}: reading ${what} from stdin; end with Ctrl-D\n`);
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(new WaitAbortedError('read'));
    if (ctx.signal.aborted) fail();
    ctx.signal.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => {});
  const it = ctx.stdin[Symbol.asyncIterator]();
  for (;;) {
    const r = (await Promise.race([it.next(), aborted])) as IteratorResult<Buffer | string>;
    if (r.done) return;
    yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
  }
}

/** The most stdin a command takes, and what to say past it. */
export interface InputBound {
  max: number;
  /** The error past `max` (it has read max + 1 bytes and stopped). */
  tooLong: () => Error;
}

/**
 * All of stdin, as one buffer; with `bound`, it stops reading past bound.max bytes and
 * throws bound.tooLong() (nothing more is read or kept). A signal (ctx.signal) ends the wait
 * at once: WaitAbortedError.
 */
export async function readAll(ctx: CommandContext, bound?: InputBound, what?: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdinChunks(ctx, what)) {
    chunks.push(chunk);
    total += chunk.length;
    if (bound !== undefined && total > bound.max) {
      ctx.stdin.destroy();
      throw bound.tooLong();
    }
  }
  return Buffer.concat(chunks);
}

/** msg send's bound: one message is at most msgmax bytes (unknown limit: unbounded). */
export function messageBound(): InputBound | undefined {
  const max = limitNumber('msgmax');
  if (max === null) return undefined;
  return {
    max,
    tooLong: () =>
      new CommandError(`message of more than ${max} bytes is larger than msgmax: ${describeLimit('msgmax')}`),
  };
}

/** The bytes as a string when they are valid UTF-8, else null (the --json "text" field). */
export function utf8OrNull(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** DATA as given, or stdin when it is absent or '-' (a terminal is told: "reading the message from stdin"). */
export async function dataOrStdin(
  ctx: CommandContext,
  data: string | undefined,
  bound?: InputBound,
): Promise<Buffer> {
  if (data === undefined || data === '-') return readAll(ctx, bound, 'the message');
  return Buffer.from(data);
}

/** The --json document of a primitive: indented, one trailing newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function writeJson(ctx: CommandContext, value: unknown): void {
  ctx.stdout.write(jsonText(value));
}

/** --owner UID[:GID] (numeric ids). */
export function parseOwner(s: string): { uid?: number; gid?: number } {
  const m = /^([0-9]*)(?::([0-9]*))?$/.exec(s);
  if (!m || (m[1] === '' && (m[2] ?? '') === ''))
    throw new UsageError(`invalid owner: '${s}' (UID[:GID] expected, numeric)`);
  const out: { uid?: number; gid?: number } = {};
  if (m[1] !== '') out.uid = parseCount(m[1]!, 'uid', 0xfffffffe);
  if (m[2] !== undefined && m[2] !== '') out.gid = parseCount(m[2], 'gid', 0xfffffffe);
  return out;
}

/** "1 message", "2 messages": a count with its noun, singular or plural. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Extra positionals a subcommand does not take. */
export function noMore(rest: readonly string[], what = 'argument'): void {
  if (rest.length > 0) throw new UsageError(`unexpected ${what}: '${rest[0]}'`);
}

/** ISO-8601 for a time in seconds since the epoch, null for 0 (never). */
export function isoTime(seconds: number): string | null {
  return seconds === 0 ? null : new Date(seconds * 1000).toISOString();
}

/** `ipcs --json -i ID`'s document for one object (schema/ipcs.schema.json), or a "no such" error. */
export function idDocumentOf(kind: IpcKind, id: number, filter?: (r: IpcRecord) => IpcRecord): string {
  const record = recordOf(kind, id);
  return toJson(idDocument(kind, id, filter ? filter(record) : record, NAMES));
}

export const NAMES: NameResolver = { user: userName, group: groupName };

function recordOf(kind: IpcKind, id: number): IpcRecord {
  const record = explained({ kind, op: 'stat', id, access: 'read' }, () => KINDS[kind].record(id));
  if (record === null) throw new CommandError(`no ${KINDS[kind].noun} with id ${id}`);
  return record;
}

/** A mode in octal with its rwx form: "0600 (rw-------)"; status bits above 0777 show in the octal. */
export function modeText(mode: number): string {
  const rwx = [6, 3, 0].map((shift) => {
    const b = (mode >> shift) & 7;
    return `${b & 4 ? 'r' : '-'}${b & 2 ? 'w' : '-'}${b & 1 ? 'x' : '-'}`;
  });
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')} (${rwx.join('')})`;
}

/**
 * The same record as `name=value` lines (null as '-'; nested values left out), for shell
 * scripts and people: the key as 0x%08x, the mode in octal and rwx; a set's values after it.
 */
export function statTextOf(kind: IpcKind, id: number): string {
  const record = recordOf(kind, id);
  const json = recordJson(record, NAMES) as Record<string, unknown>;
  let out = '';
  for (const [k, v] of Object.entries(json)) {
    if (v !== null && typeof v === 'object') continue;
    if (k === 'key') out += `key=${formatKey(record.key)}\n`;
    else if (k === 'mode') out += `mode=${modeText(record.mode)}\n`;
    else out += `${k}=${v === null ? '-' : String(v)}\n`;
  }
  if (kind === 'sem') out += `values=${semValues(id)}\n`;
  return out;
}

/** A set's values (GETALL) separated by spaces; '-' without read permission. */
function semValues(id: number): string {
  try {
    return new SemaphoreSet(id).getAll().join(' ');
  } catch {
    return '-';
  }
}

/**
 * A msg/sem/shm subcommand on an existing object: its TARGET options first, its help ending
 * with the TARGET and exit-status texts.
 */
export function targetSpec(spec: CommandSpec & { name: string }): CommandSpec {
  return {
    args: [{ name: '[args...]', description: 'TARGET id or /NAME (unless -k/--path), then the arguments' }],
    ...spec,
    options: [...TARGET_OPTIONS, ...(spec.options ?? [])],
    help: (spec.help ?? '') + TARGET_HELP + EXIT_HELP,
  };
}
