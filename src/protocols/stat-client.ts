// The client half of the stat protocol (stat.ts): one request, its answer or its stream.
//
// Like the lecture's client it makes a private reply queue and removes it on every way out:
// the answer, RES_ERR, a timeout, a signal, a closed stdout (EPIPE), and even process.exit
// (an 'exit' hook, the lecture's atexit(rm_queue)). Waiting for an answer is a blocking
// msgrcv on a pool thread (no polling, so streaming is fast); a timeout or a signal ends it
// the way blocking.ts says a blocked msgrcv is ended: by removing the queue (EIDRM).
// The timeout is an idle timeout: it restarts with every message received.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import {
  clearLongTimeout,
  formatKey,
  isIpcError,
  longTimeout,
  MessageQueue,
  type Tracer,
  WaitAbortedError,
  WaitTimeoutError,
} from '../ipc/index.js';
import { listQueues } from '../ipc/inventory.js';
import {
  decodeSize,
  describeRequest,
  describeResponse,
  encodeRequest,
  processAlive,
  RES_DATA,
  RES_END,
  RES_ERR,
  RES_OK,
  RES_SIZ,
  type RequestKind,
  requestType,
} from './stat.js';

/** The request queue does not exist: no server is running (or it just stopped). */
export class NoServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoServerError';
  }
}

/** The request is longer than the kernel lets one message be (kernel.msgmax). */
export class RequestTooLargeError extends Error {
  constructor(
    readonly size: number,
    readonly msgmax: number,
  ) {
    super(`the request (${size} bytes) is larger than msgmax (${msgmax} bytes)`);
    this.name = 'RequestTooLargeError';
  }
}

/** The server said nothing for `timeoutMs`. */
export class ClientTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer from the server within ${timeoutMs / 1000} s`);
    this.name = 'ClientTimeoutError';
  }
}

/** The exchange failed: the server broke the protocol (an unknown message type, a wrong total...) or its queue refused us. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export type StatAnswer =
  /** RES_OK of a stat request: the file's size. */
  | { ok: true; size: bigint }
  /** RES_END of a content request: bytes written to `out` (== the server's total). */
  | { ok: true; size: bigint; bytes: bigint }
  /** RES_ERR: the errno the server gave (0: none, as the lecture's server), bytes already written. */
  | { ok: false; errno: number; bytes: bigint };

export interface StatClientOptions {
  /** The request queue's key. */
  key: number;
  /** Text, or the exact bytes of a name that is not UTF-8. */
  path: string | Uint8Array;
  kind: RequestKind;
  /** Idle timeout in milliseconds. */
  timeoutMs: number;
  signal: AbortSignal;
  /** Where a content stream's bytes go. */
  out?: Writable;
  /** For content: ask for a reply queue this large (needs CAP_SYS_RESOURCE above msgmnb; best effort). */
  queueBytes?: number;
  /** Called with the reply queue once it exists (tests, --verbose). */
  onQueue?: (q: MessageQueue) => void;
  /** --trace: the lecture's calls with the request's and the answers' fields. */
  trace?: Tracer | undefined;
}

/** Remove `q` when the process exits, whatever the way; `done()` removes it now and unhooks. */
function removeOnExit(q: MessageQueue): { done: () => void } {
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    try {
      q.remove();
    } catch {
      // Already gone: nothing to clean.
    }
  };
  process.once('exit', remove);
  return {
    done: () => {
      remove();
      process.removeListener('exit', remove);
    },
  };
}

/** Write with back-pressure; rejects with the stream's error (EPIPE when the reader left). */
async function writeOut(out: Writable, data: Buffer): Promise<void> {
  if (out.destroyed || out.errored)
    throw out.errored ?? Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
  if (out.write(data)) return;
  await once(out, 'drain');
}

export async function statRequest(opts: StatClientOptions): Promise<StatAnswer> {
  let server: MessageQueue;
  try {
    server = MessageQueue.get(opts.key, { trace: opts.trace, describe: describeRequest });
  } catch (e) {
    if (isIpcError(e, 'ENOENT'))
      throw new NoServerError(`no stat server is running (no queue with key ${formatKey(opts.key)})`);
    throw e;
  }
  const request = encodeRequest(0, opts.path);
  // msgmax is per IPC namespace and may be lowered: a request it does not allow fails with
  // EINVAL, which must not read as "the server went away".
  const msgmax = MessageQueue.limits().msgmax;
  if (request.length > msgmax) throw new RequestTooLargeError(request.length, msgmax);
  // svipc's own checks and polls (not the lecture's) are traced only with --trace=all.
  const quiet = opts.trace?.detail;
  const serverPolled = new MessageQueue(server.id, { trace: quiet });
  const dead = deadServer(opts.key, serverPolled);
  if (dead !== null) throw new NoServerError(dead);
  // The lecture's mode: S_IRUSR | S_IWUSR | S_IWGRP, so a server of the same group can answer.
  const reply = MessageQueue.create({ mode: 0o620, trace: opts.trace, describe: describeResponse });
  const polled = new MessageQueue(reply.id, { trace: quiet });
  const cleanup = removeOnExit(reply);
  let why: 'timeout' | 'abort' | 'output' | 'gone' | null = null;
  let goneWhy = 'the stat server went away before it answered';
  let sent = false;
  let outError: unknown = null;
  const end = (w: NonNullable<typeof why>) => {
    if (why !== null) return;
    why = w;
    cleanup.done(); // wakes the blocked msgrcv (EIDRM)
  };
  const timer = longTimeout(() => end('timeout'), opts.timeoutMs); // any length: chained timers
  // A server that stops (or dies) while we wait will never answer: notice it in a quarter
  // of a second instead of waiting out the timeout. Its queue gone (or another in its place)
  // and nothing left to read in ours means it is over.
  const watch = setInterval(() => {
    const dead = serverAlive(opts.key, server.id) ? deadServer(opts.key, serverPolled) : goneWhy;
    if (dead === null) return;
    try {
      if (polled.stat().qnum > 0) return; // answers still to read first
    } catch {
      // our queue is gone too: the receive fails anyway
    }
    goneWhy = dead;
    end('gone');
  }, SERVER_CHECK_MS);
  watch.unref();
  const onAbort = () => end('abort');
  const onOutError = (e: unknown) => {
    outError = e;
    end('output');
  };
  if (opts.signal.aborted) onAbort();
  else opts.signal.addEventListener('abort', onAbort, { once: true });
  opts.out?.on('error', onOutError);
  try {
    opts.onQueue?.(reply);
    if (opts.kind === 'content' && opts.queueBytes) {
      try {
        const grow = () => reply.set({ qbytes: opts.queueBytes });
        const why = 'only a privileged process may raise msg_qbytes above kernel.msgmnb';
        if (polled.stat().qbytes < opts.queueBytes) opts.trace ? opts.trace.expecting(why, grow) : grow();
      } catch (e) {
        if (!isIpcError(e, 'EPERM')) throw e; // not privileged: the default size does
      }
    }
    request.writeInt32LE(reply.id, 0);
    try {
      await server.sendAsync(requestType(opts.kind), request, {
        timeout: opts.timeoutMs,
        signal: opts.signal,
      });
    } catch (e) {
      if (isIpcError(e, 'EINVAL') && request.length > MessageQueue.limits().msgmax)
        throw new RequestTooLargeError(request.length, MessageQueue.limits().msgmax);
      if (isIpcError(e, 'EIDRM', 'EINVAL'))
        throw new NoServerError('the stat server went away before it answered');
      if (isIpcError(e, 'EACCES')) {
        throw new ProtocolError(
          `the stat server's queue (key ${formatKey(opts.key)}) is not writable by this user ` +
            '(the server sets its mode with --mode, e.g. 622)',
        );
      }
      throw e;
    }
    sent = true;
    timer.refresh();
    if (opts.kind === 'stat') {
      const m = await reply.receiveAsync({ maxSize: RES_SIZ, noerror: true });
      return answerOf(m.type, m.data, 0n);
    }
    return await receiveStream(reply, opts.out!, () => timer.refresh());
  } catch (e) {
    if (why === 'timeout' || e instanceof WaitTimeoutError) throw new ClientTimeoutError(opts.timeoutMs);
    if (why === 'abort') throw new WaitAbortedError('msgrcv');
    if (why === 'output') throw outError;
    if (why === 'gone') throw new NoServerError(goneWhy);
    // Nothing of ours ended the wait, yet our queue is gone: someone else removed it.
    if (sent && why === null && isIpcError(e, 'EIDRM', 'EINVAL'))
      throw new ProtocolError(`the reply queue ${reply.id} was removed by someone else`);
    throw e;
  } finally {
    clearLongTimeout(timer);
    clearInterval(watch);
    opts.signal.removeEventListener('abort', onAbort);
    opts.out?.removeListener('error', onOutError);
    cleanup.done();
  }
}

/** How often a waiting client checks that the server's queue still exists. */
const SERVER_CHECK_MS = 250;

/** Whether the queue with `key` is still the one with id `id` (msgget needs no permission bits). */
function serverAlive(key: number, id: number): boolean {
  try {
    return MessageQueue.get(key).id === id;
  } catch (e) {
    return !isIpcError(e, 'ENOENT');
  }
}

/**
 * Why the server behind `server` is known to be dead, or null: the queue's last receiver
 * (msg_lrpid, which svipc's server sets as it starts, the lecture's at its first request)
 * no longer exists, so no one will take the request. Unknown (0, another pid namespace, a
 * reused pid) counts as alive: the timeout decides then.
 */
function deadServer(key: number, server: MessageQueue): string | null {
  let lrpid = 0;
  try {
    lrpid = server.stat().lrpid;
  } catch (e) {
    if (!isIpcError(e, 'EACCES')) return null;
    lrpid = listQueues().find((q) => q.id === server.id)?.lrpid ?? 0;
  }
  if (lrpid <= 0 || processAlive(lrpid)) return null;
  return (
    `the stat server (pid ${lrpid}) is gone: its queue (key ${formatKey(key)}, msqid ${server.id}) ` +
    `was left behind (remove it with 'svipc ipcrm -q ${server.id}')`
  );
}

function answerOf(type: number, data: Buffer, bytes: bigint): StatAnswer {
  const v = decodeSize(data);
  if (type === RES_OK && v !== null) return { ok: true, size: v };
  if (type === RES_ERR) return { ok: false, errno: v === null || v > 4095n ? 0 : Number(v), bytes };
  throw new ProtocolError(`unexpected answer: mtype ${type}, ${data.length} bytes`);
}

async function receiveStream(reply: MessageQueue, out: Writable, progress: () => void): Promise<StatAnswer> {
  // The server's chunks are at most msgmax bytes (no process can send more).
  const maxSize = MessageQueue.limits().msgmax;
  let size: bigint | null = null;
  let bytes = 0n;
  for (;;) {
    const m = await reply.receiveAsync({ maxSize });
    progress();
    if (m.type === RES_DATA && size !== null) {
      bytes += BigInt(m.data.length);
      await writeOut(out, m.data);
      continue;
    }
    if (m.type === RES_END && size !== null) {
      const total = decodeSize(m.data);
      if (total !== bytes)
        throw new ProtocolError(`stream ended after ${bytes} bytes, the server says ${total}`);
      return { ok: true, size, bytes };
    }
    const a = answerOf(m.type, m.data, bytes);
    if (!a.ok || size !== null) {
      if (a.ok) throw new ProtocolError('a second RES_OK in one stream');
      return a;
    }
    size = a.size;
  }
}
