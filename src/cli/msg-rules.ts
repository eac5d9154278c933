// The message-queue rules behind `svipc msg`: types and sizes checked, a message that could
// never fit its queue refused before the wait, the --json document of a message, and the
// put-back of a received message that could not be written.
import type { Message, MessageQueue } from '../ipc/index.js';
import { UsageError } from './exit.js';
import { limitNumber, neverFits, type Situation } from './explain.js';
import { utf8OrNull } from './primitives.js';
import { parseCount, parseInteger } from './values.js';

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
