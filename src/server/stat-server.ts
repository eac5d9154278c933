// The stat server: the lecture's per-client-reply-queue server, hardened so that no client
// can break it. One process, one async receive loop, no fork per request.
//
//   - Requests are read with MSG_NOERROR and a buffer one byte larger than REQ_SIZ, so an
//     oversized message is consumed and recognized (without MSG_NOERROR it would fail with
//     E2BIG and stay at the head of the queue forever). Malformed requests are dropped with
//     a warning; warnings are rate-limited so a flood cannot block the server on stderr.
//   - The reply queue is checked before anything is sent: it must exist, must not be the
//     request queue, and must be private (key IPC_PRIVATE): the server, often root, would
//     otherwise write into any keyed queue a client names.
//   - Every reply is sent with IPC_NOWAIT: a full, removed or unwritable reply queue costs
//     that client its reply (with a warning), never the server its progress.
//   - stat(2) is made on the event loop (metadata, microseconds); file content is read
//     asynchronously in blocks and streamed round-robin (stat-streams.ts).
//   - Memory stays bounded under a flood: the kernel bounds the request backlog, requests
//     are handled one at a time as they arrive, and streams are capped.
//   - Shutdown (the AbortSignal): the request queue is removed, which also wakes the receive
//     blocked on a pool thread (EIDRM); streams still running get RES_ERR ECANCELED.
import { closeSync, existsSync, openSync } from 'node:fs';
import {
  formatKey,
  ftok,
  IpcError,
  isIpcError,
  type Message,
  MessageQueue,
  type MsqidDs,
} from '../ipc/index.js';
import {
  decodeRequest,
  encodeSize,
  REQ_SIZ,
  RES_ERR,
  RES_OK,
  RES_SIZ,
  type StatRequest,
  showPath,
} from '../protocols/stat.js';
import { PathError, PathPolicy } from './stat-paths.js';
import { ContentStreams, lostWhy, trySend } from './stat-streams.js';

export interface StatServerOptions {
  /** The request queue's key (ftok(STAT_FTOK_PATH, STAT_FTOK_PROJ) for the lecture). */
  key: number;
  /** Permission bits of the request queue; the lecture's S_IRUSR|S_IWUSR|S_IWGRP (0620). */
  mode?: number;
  /** Take over (remove and recreate) a queue that already has the key. */
  replace?: boolean;
  /** Confine requests to this directory. */
  root?: string;
  /** One line per request through `log`. */
  verbose?: boolean;
  /** Where warnings and verbose lines go (one line each, no newline). */
  log: (line: string) => void;
  maxStreams?: number;
  maxPending?: number;
  stallTimeoutMs?: number;
  /** At most this many warnings per second; the rest are counted and summarized. */
  warningsPerSecond?: number;
}

/** The request queue disappeared under a running server (ipcrm, or another --replace). */
export class QueueRemovedError extends Error {
  constructor(readonly key: number) {
    super(`the request queue (key ${formatKey(key)}) was removed by someone else: stopping`);
    this.name = 'QueueRemovedError';
  }
}

export interface ServerCounters {
  requests: number;
  malformed: number;
  repliesLost: number;
}

/** Rate limiter for warnings: a flood of bad requests must not turn into a flood of output. */
class WarnLimiter {
  private windowStart = 0;
  private count = 0;
  private suppressed = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly perSecond: number,
    private readonly out: (line: string) => void,
  ) {}

  warn(msg: string): void {
    const now = performance.now();
    if (now - this.windowStart >= 1000) {
      this.flush();
      this.windowStart = now;
      this.count = 0;
    }
    if (++this.count <= this.perSecond) {
      this.out(`warning: ${msg}`);
      return;
    }
    this.suppressed++;
    if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), 1000 - (now - this.windowStart));
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.suppressed > 0) this.out(`warning: ${this.suppressed} more warning(s) suppressed`);
    this.suppressed = 0;
  }
}

/** Give the event loop a turn (timers, fs callbacks, the stream pump). */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class StatServer {
  readonly counters: ServerCounters = { requests: 0, malformed: 0, repliesLost: 0 };
  /** Set when --replace removed an existing queue: its id. */
  readonly replacedId: number | null;
  private readonly paths: PathPolicy;
  private readonly streams: ContentStreams;
  private readonly limiter: WarnLimiter;
  private readonly msgmax: number;
  private stopping = false;
  private removed = false;

  private constructor(
    readonly queue: MessageQueue,
    private readonly opts: StatServerOptions,
    replacedId: number | null,
    paths: PathPolicy,
  ) {
    this.replacedId = replacedId;
    this.paths = paths;
    this.limiter = new WarnLimiter(opts.warningsPerSecond ?? 20, opts.log);
    this.msgmax = MessageQueue.limits().msgmax;
    this.streams = new ContentStreams({
      paths,
      maxStreams: opts.maxStreams ?? 32,
      maxPending: opts.maxPending ?? 1024,
      stallTimeoutMs: opts.stallTimeoutMs ?? 30_000,
      blockSize: 256 * 1024,
      warn: (m) => this.warn(m),
      info: (m) => this.info(m),
    });
  }

  /**
   * Create the request queue with IPC_EXCL. Throws IpcError EEXIST when the key is taken
   * (unless `replace`), and whatever realpath throws for a bad `root`.
   */
  static open(opts: StatServerOptions): StatServer {
    const paths = new PathPolicy(opts.root);
    const mode = opts.mode ?? 0o620;
    let replaced: number | null = null;
    let queue: MessageQueue;
    try {
      queue = MessageQueue.create({ key: opts.key, mode });
    } catch (e) {
      if (!opts.replace || !isIpcError(e, 'EEXIST')) throw e;
      const old = MessageQueue.get(opts.key);
      old.remove();
      replaced = old.id;
      queue = MessageQueue.create({ key: opts.key, mode });
    }
    return new StatServer(queue, opts, replaced, paths);
  }

  /** The id of the queue holding `key`, if any (for the "already exists" message). */
  static existingId(key: number): number | null {
    try {
      return MessageQueue.get(key).id;
    } catch {
      return null;
    }
  }

  get streamStats() {
    return this.streams.stats;
  }

  /** Serve until `signal` aborts (then resolve) or the queue is removed by someone else (reject). */
  async serve(signal: AbortSignal): Promise<void> {
    const stop = () => this.stop();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    // However the process ends (the launcher's forced exit after a signal, an uncaught
    // error), the queue goes with it: the lecture's rm_queue, as an exit hook.
    const onExit = () => {
      try {
        this.stop();
      } catch {
        // nothing more to do on the way out
      }
    };
    process.once('exit', onExit);
    let n = 0;
    try {
      while (!this.stopping) {
        let msg: Message;
        try {
          msg = await this.queue.receiveAsync({ maxSize: REQ_SIZ + 1, noerror: true });
        } catch (e) {
          if (this.stopping) break;
          if (isIpcError(e, 'EIDRM', 'EINVAL')) {
            this.removed = true;
            throw new QueueRemovedError(this.opts.key);
          }
          throw e;
        }
        this.handleSafely(msg);
        // Under a steady stream of requests every receive succeeds at once, without ever
        // leaving the microtask queue: let timers and file reads run now and then.
        if (++n % 32 === 0) await yieldToLoop();
      }
    } finally {
      signal.removeEventListener('abort', stop);
      process.removeListener('exit', onExit);
      this.stop();
      await this.streams.close();
      this.limiter.flush();
    }
  }

  /** Remove the request queue (idempotent); a pending receive wakes up with EIDRM. */
  stop(): void {
    this.stopping = true;
    if (this.removed) return;
    this.removed = true;
    try {
      this.queue.remove();
    } catch (e) {
      if (!isIpcError(e, 'EIDRM', 'EINVAL')) throw e;
    }
  }

  private warn(msg: string): void {
    this.limiter.warn(msg);
  }

  private info(msg: string): void {
    if (this.opts.verbose) this.opts.log(msg);
  }

  private handleSafely(msg: Message): void {
    try {
      this.handle(msg);
    } catch (e) {
      // A bug must not take the server down for every other client.
      this.warn(`internal error on a request: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  /** Handle one request: check it, check its reply queue, answer or start a stream. */
  handle(msg: Message): void {
    this.counters.requests++;
    const req = decodeRequest(msg.type, msg.data);
    if ('error' in req) {
      this.drop(req.error);
      return;
    }
    if (req.cliId === this.queue.id) {
      this.drop(`reply queue ${req.cliId} is the server's own request queue`);
      return;
    }
    const reply = new MessageQueue(req.cliId);
    let ds: MsqidDs | null = null;
    try {
      ds = reply.stat();
    } catch (e) {
      // EACCES: the server may write but not read it (the lecture's 0620 queues across
      // users): msgsnd decides. Anything else: there is no such queue.
      if (!isIpcError(e, 'EACCES')) {
        this.drop(`reply queue ${req.cliId} does not exist (${e instanceof IpcError ? e.code : e})`);
        return;
      }
    }
    if (ds !== null && ds.perm.key !== 0) {
      this.drop(`reply queue ${req.cliId} has key ${formatKey(ds.perm.key)}: reply queues must be private`);
      return;
    }
    if (req.kind === 'stat') this.answerStat(req, reply);
    else this.startContent(req, reply, ds);
  }

  private drop(why: string): void {
    this.counters.malformed++;
    this.warn(`dropped a request: ${why}`);
  }

  private answerStat(req: StatRequest, reply: MessageQueue): void {
    let type = RES_OK;
    let value: bigint | number;
    try {
      value = this.paths.stat(req.path).size;
    } catch (e) {
      if (!(e instanceof PathError)) throw e;
      type = RES_ERR;
      value = e.errno;
    }
    const r = trySend(reply, type, encodeSize(value));
    if (this.opts.verbose) {
      this.info(
        `stat ${showPath(req.path)} for ${reply.id}: ${type === RES_OK ? `${value} bytes` : `RES_ERR errno ${value}`}`,
      );
    }
    if (r !== 'sent') {
      this.counters.repliesLost++;
      this.warn(`reply lost: ${lostWhy(r, reply)}`);
    }
  }

  private startContent(req: StatRequest, reply: MessageQueue, ds: MsqidDs | null): void {
    const qbytes = ds?.qbytes ?? this.msgmax;
    const chunk = Math.min(this.msgmax, qbytes);
    if (chunk < RES_SIZ) {
      this.drop(`reply queue ${reply.id} holds only ${qbytes} bytes: too small for any answer`);
      return;
    }
    this.streams.add({ queue: reply, path: req.path, chunk, clientUid: ds?.perm.cuid ?? null });
  }
}

/**
 * The request queue's key: ftok(path, proj). The server creates a missing `path` (an empty
 * file, as the lecture expects someone to have done); a client does not.
 */
export function serverKey(path: string | Buffer, proj: number, opts: { create?: boolean } = {}): number {
  if (opts.create && !existsSync(path)) closeSync(openSync(path, 'a', 0o644));
  return ftok(path, proj);
}
