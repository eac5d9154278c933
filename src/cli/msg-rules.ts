// The message-queue rules behind `svipc msg` (System V; the POSIX forms are in posix-msg.ts):
// types and sizes checked, a message that could never fit its queue refused before the wait,
// the --json document of a message, the put-back of a received message that could not be
// written, and the System V subcommands' actions.
import { formatKey, type Message, MessageQueue } from '../ipc/index.js';
import type { CommandContext } from './context.js';
import { CommandError, UsageError } from './exit.js';
import { explained, limitNumber, neverFits, type Situation } from './explain.js';
import { afterFailure, announceCreated, written } from './output.js';
import {
  dataOrStdin,
  jsonText,
  messageBound,
  noMore,
  parseOwner,
  utf8OrNull,
  type WaitFlags,
  waitOptions,
} from './primitives.js';
import { keyOf, type TargetOptions, takeTarget } from './target.js';
import { parseCount, parseInteger, parseMode } from './values.js';

/**
 * msgsnd a received message back onto its queue, with its type (IPC_NOWAIT: the room it
 * left is there unless a sender took it). It goes to the end of the queue: msgrcv cannot
 * undo, and MSG_COPY copies by position, which cannot say which message a typed msgrcv
 * would take without racing other receivers.
 */
export function putBack(q: MessageQueue, m: Message): { outcome: string; ok: boolean } {
  const what = `the message (type ${m.type}, ${m.data.length} bytes)`;
  try {
    q.send(m.type, m.data, { nowait: true });
    return { outcome: `${what} was put back on queue ${q.id}, at its end`, ok: true };
  } catch (e) {
    return {
      outcome: `${what} could not be put back on queue ${q.id} (${(e as Error).message}): it is lost`,
      ok: false,
    };
  }
}

/** A message's fields in --json output: type, size, text (UTF-8, or null), base64. */
export function messageDocument(m: Message) {
  return { type: m.type, size: m.data.length, text: utf8OrNull(m.data), base64: m.data.toString('base64') };
}

export function parseType(s: string, allowNegative: boolean): number {
  const t = allowNegative ? parseInteger(s, 'message type') : parseCount(s, 'message type');
  if (!allowNegative && t < 1)
    throw new UsageError(`invalid message type: '${s}' (a positive integer expected)`);
  return t;
}

/** --max-size: the largest payload accepted, by default kernel.msgmax (8192 when unknown). */
export function parseMaxSize(text: string | undefined): number {
  return text !== undefined ? parseCount(text, 'max size', 0x7fffffff) : (limitNumber('msgmax') ?? 8192);
}

/**
 * A message larger than the queue's qbytes would wait for room forever: say so now (unless it
 * is larger than msgmax too, which msgsnd names). Without read permission msgsnd will tell.
 */
export function checkFits(q: MessageQueue, s: Situation, size: number): void {
  let qbytes: number | undefined;
  try {
    qbytes = q.stat().qbytes;
  } catch {
    // No read permission (or gone): msgsnd will tell.
  }
  if (qbytes !== undefined && size > qbytes) {
    const msgmax = limitNumber('msgmax');
    if (msgmax === null || size <= msgmax) throw neverFits(s, size, qbytes);
  }
}

/** msg create (System V): IPC_PRIVATE or a new key; --qbytes set at once (the queue removed again if it cannot be). */
export async function createQueue(
  ctx: CommandContext,
  opts: TargetOptions & { json?: boolean; mode: string; qbytes?: string },
): Promise<number> {
  const key = keyOf(opts);
  const mode = parseMode(opts.mode);
  const qbytes = opts.qbytes === undefined ? undefined : parseCount(opts.qbytes, 'qbytes');
  const s: Situation = { kind: 'msg', op: 'create', ...(key !== undefined ? { key } : {}) };
  const q = explained(s, () => MessageQueue.create({ mode, ...(key !== undefined ? { key } : {}) }));
  if (qbytes !== undefined) {
    try {
      explained({ kind: 'msg', op: 'set', id: q.id, qbytes }, () => q.set({ qbytes }));
    } catch (e) {
      q.remove(); // We made it, and it is not what was asked for.
      throw e;
    }
  }
  const text = opts.json ? jsonText({ id: q.id, key: key ?? 0, keyHex: formatKey(key ?? 0) }) : `${q.id}\n`;
  // Nobody may learn the id of a queue we made: then it must not stay.
  await announceCreated(ctx, text, `message queue ${q.id}`, () => q.remove());
  return 0;
}

/** msg send (System V): DATA or stdin (at most msgmax), refused at once when it can never fit. */
export async function sendMessage(
  ctx: CommandContext,
  args: string[],
  opts: TargetOptions & WaitFlags & { type?: string },
): Promise<number> {
  const { target, rest } = takeTarget('msg', opts, args);
  const [data, ...extra] = rest;
  noMore(extra);
  const type = parseType(opts.type ?? '1', false);
  const wait = waitOptions(ctx, opts);
  const payload = await dataOrStdin(ctx, data, messageBound()); // stdin: at most msgmax
  const q = new MessageQueue(target.id);
  const s: Situation = {
    kind: 'msg',
    op: 'send',
    id: target.id,
    size: payload.length,
    access: 'write',
    ...wait,
  };
  checkFits(q, s, payload.length);
  await explained(s, () => q.sendAsync(type, payload, wait));
  return 0;
}

export interface RecvFlags extends TargetOptions, WaitFlags {
  json?: boolean;
  type?: string;
  except?: boolean;
  noerror?: boolean;
  maxSize?: string;
}

/** msg recv (System V): consumed only once written; a message that cannot be written goes back. */
export async function receiveMessage(ctx: CommandContext, args: string[], opts: RecvFlags): Promise<number> {
  const { target, rest } = takeTarget('msg', opts, args);
  noMore(rest);
  const type = parseType(opts.type ?? '0', true);
  if (opts.except && type <= 0) throw new UsageError('--except needs --type N with N > 0');
  const wait = waitOptions(ctx, opts);
  const maxSize = parseMaxSize(opts.maxSize);
  const s: Situation = { kind: 'msg', op: 'recv', id: target.id, maxSize, access: 'read', ...wait };
  const q = new MessageQueue(target.id);
  const m = await explained(s, () =>
    q.receiveAsync({ type, except: opts.except ?? false, noerror: opts.noerror ?? false, maxSize, ...wait }),
  );
  const out = opts.json ? jsonText({ id: target.id, ...messageDocument(m) }) : m.data;
  try {
    await written(ctx.stdout, out);
  } catch (e) {
    const { outcome, ok } = putBack(q, m);
    throw afterFailure(e, outcome, ok);
  }
  return 0;
}

/** msg peek (System V only): MSG_COPY of the message at --index. */
export async function peekMessage(
  ctx: CommandContext,
  args: string[],
  opts: TargetOptions & { json?: boolean; index: string; maxSize?: string },
): Promise<number> {
  const { target, rest } = takeTarget('msg', opts, args);
  noMore(rest);
  const index = parseCount(opts.index, 'index');
  const maxSize = parseMaxSize(opts.maxSize);
  const s: Situation = { kind: 'msg', op: 'peek', id: target.id, index, maxSize, access: 'read' };
  const m = explained(s, () => new MessageQueue(target.id).peek(index, { maxSize }));
  if (m === null) throw new CommandError(`${target.label}: no message at index ${index}`);
  await written(ctx.stdout, opts.json ? jsonText({ id: target.id, index, ...messageDocument(m) }) : m.data);
  return 0;
}

/** msg set (System V only): qbytes, mode, owner (IPC_SET). */
export function setQueue(
  args: string[],
  opts: TargetOptions & { qbytes?: string; mode?: string; owner?: string },
): number {
  const { target, rest } = takeTarget('msg', opts, args);
  noMore(rest);
  if (opts.qbytes === undefined && opts.mode === undefined && opts.owner === undefined) {
    throw new UsageError('nothing to change: give --qbytes, --mode or --owner');
  }
  const change = {
    ...(opts.qbytes !== undefined ? { qbytes: parseCount(opts.qbytes, 'qbytes') } : {}),
    ...(opts.mode !== undefined ? { mode: parseMode(opts.mode) } : {}),
    ...(opts.owner !== undefined ? parseOwner(opts.owner) : {}),
  };
  const s: Situation = {
    kind: 'msg',
    op: 'set',
    id: target.id,
    ...(change.qbytes !== undefined ? { qbytes: change.qbytes } : {}),
  };
  explained(s, () => new MessageQueue(target.id).set(change));
  return 0;
}
