// `svipc msg create|send|recv /NAME`: POSIX message queues from the shell. The same exit codes,
// --timeout, --nowait and --json as the System V forms; messages carry a priority (0..32767) and
// the highest comes first. A received message that cannot be written to stdout is sent back
// with its priority (it goes after the queued messages of the same priority), and the error says so.
// Also which family a subcommand's TARGET picks (the *Either actions of commands/msg.ts).
import { isIpcError } from '../ipc/errors.js';
import { PX } from '../ipc/libc.js';
import { posixQueueLimits } from '../ipc/posix-inventory.js';
import { type PosixMessage, PosixMessageQueue } from '../ipc/posix-mq.js';
import type { CommandContext } from './context.js';
import { UsageError } from './exit.js';
import * as sysv from './msg-rules.js';
import { afterFailure, announceCreated, written } from './output.js';
import {
  messageTooLarge,
  noPosixForm,
  type PosixSituation,
  posixExplained,
  posixName,
  refuseOptions,
} from './posix-primitives.js';
import {
  dataOrStdin,
  type InputBound,
  jsonText,
  noMore,
  utf8OrNull,
  type WaitFlags,
  waitOptions,
} from './primitives.js';
import type { TargetOptions } from './target.js';
import { parseCount, parseMode } from './values.js';

export interface PosixCreateFlags {
  maxMessages?: string;
  messageSize?: string;
  mode: string;
  json?: boolean;
}

/** msg create /NAME: mq_open(O_CREAT|O_EXCL); one of --max-messages/--message-size takes the other's default. */
export async function createQueue(
  ctx: CommandContext,
  name: string,
  opts: PosixCreateFlags,
): Promise<number> {
  const mode = parseMode(opts.mode);
  const l = posixQueueLimits();
  let attrs: { maxMessages: number; messageSize: number } | undefined;
  if (opts.maxMessages !== undefined || opts.messageSize !== undefined) {
    const maxMessages =
      opts.maxMessages !== undefined
        ? parseCount(opts.maxMessages, 'max messages', 0x7fffffff)
        : (l.msgDefault ?? 10);
    const messageSize =
      opts.messageSize !== undefined
        ? parseCount(opts.messageSize, 'message size', 0x7fffffff)
        : (l.msgsizeDefault ?? 8192);
    if (maxMessages < 1 || messageSize < 1)
      throw new UsageError('--max-messages and --message-size must be at least 1');
    attrs = { maxMessages, messageSize };
  }
  const s: PosixSituation = { kind: 'pmsg', name, op: 'create', ...attrs };
  const q = posixExplained(s, () => PosixMessageQueue.create(name, { mode, ...attrs }));
  try {
    const a = q.attributes();
    const text = opts.json
      ? jsonText({
          name,
          maxMessages: a.maxMessages,
          messageSize: a.messageSize,
          mode: `0${mode.toString(8)}`,
        })
      : `${name}\n`;
    await announceCreated(ctx, text, `POSIX message queue ${name}`, () => q.remove());
  } finally {
    q.close();
  }
  return 0;
}

function openQueue(name: string, s: PosixSituation, access: 'read' | 'write'): PosixMessageQueue {
  return posixExplained({ ...s, op: 'open' }, () => PosixMessageQueue.open(name, { access }));
}

/** msg send /NAME [--priority N] [DATA]: stdin is read up to the queue's message size. */
export async function sendMessage(
  ctx: CommandContext,
  name: string,
  data: string | undefined,
  opts: WaitFlags & { priority?: string },
): Promise<number> {
  const priority =
    opts.priority === undefined ? 0 : parseCount(opts.priority, 'priority', PX.MQ_PRIO_MAX - 1);
  const wait = waitOptions(ctx, opts);
  const s: PosixSituation = { kind: 'pmsg', name, op: 'send', access: 'write', ...wait };
  const q = openQueue(name, s, 'write');
  try {
    const messageSize = q.attributes().messageSize;
    const sized = { ...s, messageSize };
    const bound: InputBound = {
      max: messageSize,
      tooLong: () => messageTooLarge(name, `more than ${messageSize}`, messageSize),
    };
    const payload = await dataOrStdin(ctx, data, bound);
    await posixExplained({ ...sized, size: payload.length }, () =>
      q.sendAsync(payload, { priority, ...wait }),
    );
  } finally {
    q.close();
  }
  return 0;
}

/** msg recv /NAME: the oldest message of the highest priority, written raw or as --json. */
export async function receiveMessage(
  ctx: CommandContext,
  name: string,
  opts: WaitFlags & { json?: boolean },
): Promise<number> {
  const wait = waitOptions(ctx, opts);
  const s: PosixSituation = { kind: 'pmsg', name, op: 'recv', access: 'read', ...wait };
  // Read and write, so that a message that cannot be delivered goes back on the queue; a user
  // who may only read still receives (a put-back would then fail, and the error says so).
  const q = posixExplained({ ...s, op: 'open' }, () => {
    try {
      return PosixMessageQueue.open(name);
    } catch (e) {
      if (!isIpcError(e, 'EACCES')) throw e;
      return PosixMessageQueue.open(name, { access: 'read' });
    }
  });
  try {
    const m = await posixExplained(s, () => q.receiveAsync(wait));
    const out = opts.json
      ? jsonText({
          name,
          priority: m.priority,
          size: m.data.length,
          text: utf8OrNull(m.data),
          base64: m.data.toString('base64'),
        })
      : m.data;
    try {
      await written(ctx.stdout, out);
    } catch (e) {
      const { outcome, ok } = putBack(q, m);
      throw afterFailure(e, outcome, ok);
    }
  } finally {
    q.close();
  }
  return 0;
}

/** mq_send of a received message with its priority, without waiting (its room is there unless a sender took it). */
export function putBack(q: PosixMessageQueue, m: PosixMessage): { outcome: string; ok: boolean } {
  const what = `the message (priority ${m.priority}, ${m.data.length} bytes)`;
  try {
    q.send(m.data, { priority: m.priority, nowait: true });
    return {
      outcome: `${what} was put back on POSIX message queue ${q.name}, after those of its priority`,
      ok: true,
    };
  } catch (e) {
    return {
      outcome: `${what} could not be put back on POSIX message queue ${q.name} (${(e as Error).message}): it is lost`,
      ok: false,
    };
  }
}

const SYSV_ONLY = { key: '-k/--key', path: '--path', proj: '--proj', qbytes: '--qbytes' };
const POSIX_CREATE = { maxMessages: '--max-messages', messageSize: '--message-size' };

type CreateFlags = TargetOptions & PosixCreateFlags & { qbytes?: string };

/** msg create [/NAME]: a System V queue, or with /NAME a POSIX one. */
export function createEither(ctx: CommandContext, name: string | undefined, opts: CreateFlags) {
  if (name === undefined) {
    refuseOptions(opts, POSIX_CREATE, 'pmsg', 'sysv');
    return sysv.createQueue(ctx, opts);
  }
  if (!name.startsWith('/'))
    throw new UsageError(`unexpected argument: '${name}' (a POSIX queue is named /NAME)`);
  refuseOptions(opts, SYSV_ONLY, 'pmsg', 'posix');
  return createQueue(ctx, posixName({}, [name])!, opts);
}

/** msg send TARGET: the family the TARGET names. */
export function sendEither(
  ctx: CommandContext,
  args: string[],
  opts: sysv.RecvFlags & { priority?: string },
) {
  const name = posixName(opts, args);
  if (name === null) {
    refuseOptions(opts, { priority: '--priority' }, 'pmsg', 'sysv');
    return sysv.sendMessage(ctx, args, opts);
  }
  refuseOptions(opts, { type: '-t/--type' }, 'pmsg', 'posix');
  const [data, ...extra] = args.slice(1);
  noMore(extra);
  return sendMessage(ctx, name, data, opts);
}

/** msg recv TARGET: the family the TARGET names. */
export function recvEither(ctx: CommandContext, args: string[], opts: sysv.RecvFlags) {
  const name = posixName(opts, args);
  if (name === null) return sysv.receiveMessage(ctx, args, opts);
  const sysvFlags = { type: '-t/--type', except: '--except', noerror: '--noerror', maxSize: '--max-size' };
  refuseOptions(opts, sysvFlags, 'pmsg', 'posix');
  noMore(args.slice(1));
  return receiveMessage(ctx, name, opts);
}

/** msg peek and msg set have no POSIX form: said for /NAME, else System V's. */
export function peekEither(
  ctx: CommandContext,
  args: string[],
  opts: Parameters<typeof sysv.peekMessage>[2],
) {
  if (posixName(opts, args) !== null)
    noPosixForm('pmsg', 'peek', 'mq_receive cannot copy a message without taking it');
  return sysv.peekMessage(ctx, args, opts);
}

export function setEither(_ctx: CommandContext, args: string[], opts: Parameters<typeof sysv.setQueue>[1]) {
  if (posixName(opts, args) !== null)
    noPosixForm(
      'pmsg',
      'set',
      "a POSIX queue's attributes are fixed at creation (chmod/chown its file in /dev/mqueue)",
    );
  return sysv.setQueue(args, opts);
}
