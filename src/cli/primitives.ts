// What the msg, sem and shm subcommands share: the exit-status help text, --timeout/--nowait
// checks, stdin input, JSON output, --owner parsing, the `stat` and `rm` subcommands.
import { fstatSync } from 'node:fs';
import type { Command } from 'commander';
import { WaitAbortedError } from '../ipc/blocking.js';
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
import { action } from './program.js';
import { addTargetOptions, TARGET_HELP, TARGET_USAGE, type TargetOptions, takeTarget } from './target.js';
import { parseCount, parseSeconds } from './values.js';

export const EXIT_HELP =
  '\nExit status:\n' +
  '  0    ok\n' +
  '  1    the operation failed (missing object, permission, kernel limit...)\n' +
  '  2    usage error\n' +
  '  75   --nowait was given and the call would have blocked\n' +
  '  124  --timeout expired (the object is left as it was; at most 2147483647 s)\n' +
  '  130  interrupted by SIGINT (143 SIGTERM, 129 SIGHUP); the object is left as it was\n';

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

/** Stdin as it arrives, chunk by chunk. A signal (ctx.signal) ends the wait at once: WaitAbortedError. */
export async function* stdinChunks(ctx: CommandContext): AsyncGenerator<Buffer, void, void> {
  refuseDirectoryStdin(ctx.stdin.fd);
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
export async function readAll(ctx: CommandContext, bound?: InputBound): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdinChunks(ctx)) {
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

/** DATA as given, or stdin when it is absent or '-'. */
export async function dataOrStdin(
  ctx: CommandContext,
  data: string | undefined,
  bound?: InputBound,
): Promise<Buffer> {
  if (data === undefined || data === '-') return readAll(ctx, bound);
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

/** The same record as `name=value` lines (null as '-'; nested values left out), for shell scripts. */
export function statTextOf(kind: IpcKind, id: number): string {
  const json = recordJson(recordOf(kind, id), NAMES) as Record<string, unknown>;
  let out = '';
  for (const [k, v] of Object.entries(json)) {
    if (v !== null && typeof v === 'object') continue;
    out += `${k}=${v === null ? '-' : String(v)}\n`;
  }
  return out;
}

/** A msg/sem/shm subcommand on an existing object: the TARGET options, help ending with the TARGET and exit-status texts. */
export function targetSubcommand(program: Command, name: string, summary: string): Command {
  return addTargetOptions(
    program
      .command(name)
      .description(summary)
      .addHelpText('after', TARGET_HELP + EXIT_HELP),
  );
}

/** `stat` of msg, sem and shm: the record as name=value lines, or with --json `ipcs --json -i ID`'s document. */
export function statSubcommand(
  program: Command,
  ctx: CommandContext,
  kind: IpcKind,
  summary: string,
  usage: string,
): void {
  targetSubcommand(program, 'stat', summary)
    .usage(usage)
    .argument('[args...]', 'TARGET id (unless -k/--path)')
    .option(
      '--json',
      'print the record as JSON: the document of `svipc ipcs --json -i ID` (schema/ipcs.schema.json)',
    )
    .action(
      action(program, (args: string[], opts: TargetOptions & { json?: boolean }) => {
        const { target, rest } = takeTarget(kind, opts, args);
        noMore(rest);
        ctx.stdout.write(opts.json ? idDocumentOf(kind, target.id) : statTextOf(kind, target.id));
        return 0;
      }),
    );
}

/** `rm` of msg, sem and shm: IPC_RMID of the TARGET (the kind table's `remove`), failures explained. */
export function rmSubcommand(program: Command, kind: IpcKind, summary: string): void {
  targetSubcommand(program, 'rm', summary)
    .usage(TARGET_USAGE)
    .argument('[args...]', 'TARGET id (unless -k/--path)')
    .action(
      action(program, (args: string[], opts: TargetOptions) => {
        const { target, rest } = takeTarget(kind, opts, args);
        noMore(rest);
        explained({ kind, op: 'remove', id: target.id }, () => KINDS[kind].remove(target.id));
        return 0;
      }),
    );
}
