// The stat server: the lecture's per-client-reply-queue server, hardened so that no client
// can break it. One process, one async receive loop, no fork per request.
//
//   - Requests are read with MSG_NOERROR and a buffer one byte larger than REQ_SIZ, so an
//     oversized message is consumed and recognized (without MSG_NOERROR it would fail with
//     E2BIG and stay at the head of the queue forever). Malformed requests are dropped with
//     a warning; warnings are rate-limited so a flood cannot block the server on stderr.
//   - The server acts with its client's privileges, never its own (stat-identity.ts): the
//     sender of each request is found from the request queue's msg_lspid and /proc/PID/status;
//     the reply queue must exist, must not be the request queue, must be private (key
//     IPC_PRIVATE), and must be one the sender could write itself; content goes only into a
//     queue no other user can read, and files are looked up and opened as the sender.
//     A request whose sender cannot be told, or that names a queue its sender may not write,
//     gets no reply (and a warning); one the sender may not have gets RES_ERR EACCES.
//   - Requests are waited for with a zero-byte msgrcv, which wakes with E2BIG and leaves the
//     message in the queue; they are then taken synchronously, each after an IPC_STAT, so
//     msg_qnum and msg_lspid tell who sent what (SenderTracker). Right after requests were
//     served, the server spins on that IPC_STAT for a few adaptive microseconds before it
//     blocks again (stat-spin.ts): a pool-thread receive per request costs more than the request.
//   - Every reply is sent with IPC_NOWAIT: a full, removed or unwritable reply queue costs
//     that client its reply (with a warning), never the server its progress.
//   - stat(2) is made on the event loop (metadata, microseconds); file content is read
//     asynchronously in blocks and streamed round-robin (stat-streams.ts).
//   - Memory stays bounded under a flood: the kernel bounds the request backlog, requests
//     are handled one at a time as they arrive, and streams are capped.
//   - Shutdown (the AbortSignal): the request queue is removed, which also wakes the receive
//     blocked on a pool thread (EIDRM); streams still running get RES_ERR ECANCELED.

import { closeSync, constants as fsc, lstatSync, openSync } from 'node:fs';
import { ERRNO } from '../ipc/errno.js';
import {
  formatKey,
  ftok,
  IpcError,
  type IpcPerm,
  isIpcError,
  type Message,
  MessageQueue,
  type Tracer,
} from '../ipc/index.js';
import { listQueues } from '../ipc/inventory.js';
import {
  decodeRequest,
  describeRequest,
  describeResponse,
  encodeSize,
  processAlive,
  REQ_SIZ,
  RES_ERR,
  RES_OK,
  RES_SIZ,
  type StatRequest,
  showPath,
} from '../protocols/stat.js';
import {
  ActAs,
  blockedReaders,
  type Creds,
  closeStatusFds,
  credsOf,
  mayWrite,
  readableByOthers,
  SenderTracker,
} from './stat-identity.js';
import { type Client, PathError, PathPolicy } from './stat-paths.js';
import {
  QueueLook,
  type QueueState,
  type ReplyQueueState,
  RequestIn,
  replyQueueState,
  Spin,
  sendSize,
} from './stat-spin.js';
import { ContentStreams, lostWhy, type SendResult, trySend } from './stat-streams.js';

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
  /** --trace: the lecture's calls (msgget, each msgrcv and msgsnd with its fields, IPC_RMID). */
  trace?: Tracer | undefined;
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
  /** Well-formed requests refused: unknown sender, a reply queue it may not use. */
  refused: number;
  /** Scans of all of /proc for a client waiting on its reply queue (a sender not known). */
  scans: number;
}

/** --replace found a queue it cannot prove is a stat server's of this user: nothing removed. */
export class ForeignQueueError extends Error {
  constructor(
    readonly key: number,
    readonly id: number,
    why: string,
  ) {
    super(
      `the message queue with key ${formatKey(key)} (msqid ${id}) is not provably a stat server's of this user ` +
        `(${why}): nothing removed; if it is not in use, remove it with 'svipc ipcrm -q ${id}'`,
    );
    this.name = 'ForeignQueueError';
  }
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
  readonly counters: ServerCounters = {
    requests: 0,
    malformed: 0,
    repliesLost: 0,
    refused: 0,
    scans: 0,
  };
  /** Set when --replace removed an existing queue: its id. */
  readonly replacedId: number | null;
  private readonly paths: PathPolicy;
  private readonly streams: ContentStreams;
  private readonly limiter: WarnLimiter;
  private readonly msgmax: number;
  private readonly act = new ActAs();
  private readonly senders = new SenderTracker();
  private readonly look: QueueLook;
  private readonly spin = new Spin();
  /** Untraced: requests are taken into one buffer (stat-spin.ts); traced, through the queue. */
  private readonly in: RequestIn | null;
  /** The look that ended the last spin (it found a request): the first look of the batch. */
  private spun: QueueState | null = null;
  /** Processes blocked in msgrcv, by queue (a scan of /proc), and when it was made. */
  private readers: Map<number, number[]> | null = null;
  private readersAt = Number.NEGATIVE_INFINITY;
  private scanEnded = Number.NEGATIVE_INFINITY;
  /** Pids of recent known senders: the first place to look for a waiting client. */
  private readonly recent = new Set<number>();
  /** Requests waiting for their client to show up in msgrcv (RETRIES). */
  private deferred = 0;
  private stopping = false;
  private removed = false;
  /** Requests served since the event loop last had a turn, and when it had it. */
  private sinceTurn = 0;
  private turnAt = 0;

  private constructor(
    readonly queue: MessageQueue,
    private readonly opts: StatServerOptions,
    replacedId: number | null,
    paths: PathPolicy,
  ) {
    this.replacedId = replacedId;
    this.paths = paths;
    this.look = new QueueLook(queue.id, opts.trace?.detail);
    this.in = opts.trace === undefined ? new RequestIn(queue.id, REQ_SIZ + 1) : null;
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
    const traced = { trace: opts.trace, describe: describeRequest };
    try {
      queue = MessageQueue.create({ key: opts.key, mode, ...traced });
    } catch (e) {
      if (!opts.replace || !isIpcError(e, 'EEXIST')) throw e;
      const old = MessageQueue.get(opts.key, traced);
      checkReplaceable(opts.key, old);
      old.remove();
      replaced = old.id;
      queue = MessageQueue.create({ key: opts.key, mode, ...traced });
    }
    // Receive one message of our own: msg_lrpid names this process from the start, so a
    // client can tell when the server behind the queue has died (stat-client.ts).
    // (Best effort: a --mode without owner write makes it fail, and then lrpid stays 0.)
    // Its mtype is one no request has, and it is taken by that type: a client's request that
    // is already in the queue stays there for serve() (taken first, msgtyp 0, it failed E2BIG
    // and the zero-byte message was later dropped as a malformed request).
    try {
      // svipc's own (not the lecture's): traced only with --trace=all.
      queue.send(SELF_MTYPE, Buffer.alloc(0), { nowait: true, trace: opts.trace?.detail });
      queue.receive({ maxSize: 0, type: SELF_MTYPE, nowait: true, trace: opts.trace?.detail });
    } catch (e) {
      if (!isIpcError(e)) throw e;
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
    try {
      while (!this.stopping) {
        // A request usually follows the last one within microseconds (a client sends its
        // next as soon as it has its answer): look for it with IPC_NOWAIT for a little while
        // (stat-spin.ts) before waiting on a pool thread, which costs a round trip per request.
        // The spin runs only right after requests were served, so an idle server sleeps.
        if (!this.spinForRequest()) {
          // Wait for a request without taking it: a zero-byte msgrcv wakes with E2BIG and
          // leaves the message where it is (a zero-byte message is taken: malformed anyway).
          try {
            const empty = await this.queue.receiveAsync({ maxSize: 0, trace: this.opts.trace?.detail });
            this.senders.reset();
            this.handleSafely(empty, null);
          } catch (e) {
            if (!isIpcError(e, 'E2BIG')) this.failed(e);
          }
          this.spin.woke();
          this.turned();
        }
        // Take what is there synchronously, each after a look at msg_qnum and msg_lspid
        // (the look also says when the queue is empty: no msgrcv that fails with ENOMSG).
        // The event loop (timers, file reads, the stream pump) gets a turn every 32 requests
        // or every millisecond, and whenever the server waits on a pool thread.
        let served = 0;
        while (!this.stopping) {
          let msg: Message | null;
          try {
            const ds = this.spun ?? this.look.look();
            this.spun = null;
            this.senders.look(ds);
            if (ds.qnum === 0) break;
            msg =
              this.in !== null
                ? this.in.take()
                : this.queue.receive({
                    maxSize: REQ_SIZ + 1,
                    noerror: true,
                    nowait: true,
                    trace: this.opts.trace?.detail,
                  });
          } catch (e) {
            this.failed(e);
          }
          if (msg === null) break;
          // The lecture's msgrcv(srv_id, &req, REQ_SIZ, 0, 0), however svipc waited for it.
          this.queue.traceReceived(msg, { maxSize: REQ_SIZ });
          this.handleSafely(msg, this.senders.next());
          served++;
          if (++this.sinceTurn >= 32 || performance.now() - this.turnAt >= 1) await this.turn();
        }
        this.spin.served(served);
      }
    } catch (e) {
      if (!(e instanceof StoppedSignal)) throw e;
    } finally {
      signal.removeEventListener('abort', stop);
      process.removeListener('exit', onExit);
      this.stop();
      await this.streams.close();
      closeStatusFds();
      this.limiter.flush();
    }
  }

  /** Spin (stat-spin.ts) until a request is in the queue; false when none came in time. */
  private spinForRequest(): boolean {
    return this.spin.run(() => {
      let ds: QueueState;
      try {
        ds = this.look.look();
      } catch (e) {
        return this.failed(e);
      }
      if (ds.qnum === 0) return false;
      this.spun = ds;
      return true;
    });
  }

  /** Give the event loop a turn. */
  private async turn(): Promise<void> {
    await yieldToLoop();
    this.turned();
  }

  /** The event loop had a turn (a yield, or a wait on a pool thread). */
  private turned(): void {
    this.sinceTurn = 0;
    this.turnAt = performance.now();
  }

  /** A failed call on the request queue: it was removed (QueueRemovedError), or rethrow. */
  private failed(e: unknown): never {
    if (this.stopping) throw new StoppedSignal();
    if (isIpcError(e, 'EIDRM', 'EINVAL')) {
      this.removed = true;
      throw new QueueRemovedError(this.opts.key);
    }
    throw e;
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

  private handleSafely(msg: Message, sender: number | null, attempt = 0): void {
    try {
      this.handle(msg, sender, attempt);
    } catch (e) {
      // A bug must not take the server down for every other client.
      this.warn(`internal error on a request: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  /**
   * Handle one request from process `sender` (null: unknown): check it, check its reply
   * queue and who may use it, answer or start a stream.
   */
  handle(msg: Message, sender: number | null, attempt = 0): void {
    if (attempt === 0) this.counters.requests++;
    const req = decodeRequest(msg.type, msg.data);
    if ('error' in req) {
      this.drop(req.error);
      return;
    }
    if (req.cliId === this.queue.id) {
      this.drop(`reply queue ${req.cliId} is the server's own request queue`);
      return;
    }
    const reply = new MessageQueue(req.cliId, { trace: this.opts.trace, describe: describeResponse });
    let ds: ReplyQueueState | null = null;
    let perm: IpcPerm | null = null;
    try {
      ds = replyQueueState(req.cliId, this.opts.trace?.detail);
      perm = ds.perm;
    } catch (e) {
      // EACCES: a server that is not root may not read it; /proc/sysvipc still tells its
      // permissions. Anything else: there is no such queue.
      if (isIpcError(e, 'EACCES')) perm = permOf(req.cliId);
      if (perm === null) {
        this.drop(`reply queue ${req.cliId} does not exist (${e instanceof IpcError ? e.code : e})`);
        return;
      }
    }
    if (perm.key !== 0) {
      this.drop(`reply queue ${req.cliId} has key ${formatKey(perm.key)}: reply queues must be private`);
      return;
    }
    // Who asked. Without a known sender no reply can be sent safely: it could land in a
    // queue the sender may not write.
    let creds: Creds | null | 'later' = sender === null ? null : credsOf(sender);
    let via = '';
    if (creds === null) {
      // Several requests arrived at once (or the sender is gone): the one who waits for
      // this answer, blocked in msgrcv on the reply queue, is the client, if it alone is
      // there and could have sent the request.
      creds = this.waitingReader(req.cliId, ds?.lrpid ?? 0);
      via = ', waiting on it';
    }
    if (creds === 'later' || (creds === null && attempt < RETRIES.length)) {
      // Its client may not be waiting yet (preempted between msgsnd and msgrcv), or the
      // last scan is too recent to make another: look again in a few milliseconds.
      if (this.deferred < MAX_DEFERRED) {
        const next = creds === 'later' ? attempt : attempt + 1;
        const delay = creds === 'later' ? this.nextScanIn() : RETRIES[attempt]!;
        this.deferred++;
        // (A copy: the message may be a view of the receive buffer.)
        const kept: Message = { type: msg.type, data: Buffer.from(msg.data) };
        const t = setTimeout(() => {
          this.deferred--;
          if (!this.stopping) this.handleSafely(kept, null, next);
        }, delay);
        t.unref();
        return;
      }
      creds = null;
    }
    if (creds === null) {
      this.refuse(
        `request for reply queue ${req.cliId}: its sender cannot be told ` +
          (sender === null ? '(several requests arrived at once)' : `(pid ${sender} is gone)`) +
          ' and no one allowed to send it waits on that queue',
      );
      return;
    }
    if (via === '') this.remember(creds.pid);
    const who = `uid ${creds.euid} (pid ${creds.pid}${via})`;
    if (!mayWrite(creds, perm)) {
      this.refuse(
        `${who} named reply queue ${req.cliId}, which it may not write ` +
          `(owner uid ${perm.uid}, creator uid ${perm.cuid}, mode ${(perm.mode & 0o777).toString(8).padStart(4, '0')})`,
      );
      return;
    }
    const client: Client = { creds, act: this.act };
    if (req.kind === 'stat') {
      this.answerStat(req, reply, client);
      return;
    }
    const others = readableByOthers(creds, perm);
    if (others !== null) {
      this.refuse(
        `content for ${who} refused: reply queue ${req.cliId} could be read by another user (${others})`,
      );
      this.send(reply, RES_ERR, encodeSize(ERRNO.EACCES));
      return;
    }
    this.startContent(req, reply, ds, client);
  }

  /**
   * The credentials of the one process blocked in msgrcv on queue `id` (all of them the same
   * user), provided it could have written the request queue; null otherwise. `lrpid`: the
   * queue's msg_lrpid (0: none), the first process to look at.
   */
  private waitingReader(id: number, lrpid: number): Creds | null | 'later' {
    // Clients send again and again: the one that received from the queue last, or a recent
    // sender, waiting on it is found by reading a few files. Otherwise a scan of /proc, which
    // costs milliseconds: one serves every request of the next 2 ms, and scans are at least
    // 20 ms apart (a flood of such requests must not keep the server scanning).
    let pids = lrpid > 0 && lrpid !== process.pid ? (blockedReaders([lrpid]).get(id) ?? []) : [];
    if (pids.length === 0) {
      const gone = new Set<number>();
      pids = blockedReaders(this.recent, gone).get(id) ?? [];
      for (const pid of gone) this.recent.delete(pid);
    }
    if (pids.length === 0) {
      const now = performance.now();
      if (this.readers === null || now - this.readersAt > 2) {
        if (this.nextScanIn() > 0) return 'later';
        this.counters.scans++;
        this.readers = blockedReaders();
        this.readersAt = now;
        this.scanEnded = performance.now();
      }
      pids = this.readers.get(id) ?? [];
    }
    pids = pids.filter((p) => p !== process.pid);
    const all = pids.map(credsOf);
    const first = all[0];
    if (first == null || all.some((c) => c === null || c.euid !== first.euid || c.fsuid !== first.fsuid))
      return null;
    let own: IpcPerm;
    try {
      own = this.queue.stat().perm;
    } catch {
      return null;
    }
    return mayWrite(first, own) ? first : null;
  }

  /** Keep the last RECENT known senders. */
  private remember(pid: number): void {
    this.recent.delete(pid);
    this.recent.add(pid);
    if (this.recent.size > RECENT) this.recent.delete(this.recent.values().next().value!);
  }

  /** Milliseconds until another scan of /proc may be made. */
  private nextScanIn(): number {
    return Math.max(0, Math.ceil(this.scanEnded + SCAN_GAP_MS - performance.now()));
  }

  private refuse(why: string): void {
    this.counters.refused++;
    this.warn(`refused: ${why}`);
  }

  private send(reply: MessageQueue, type: number, data: Buffer): void {
    this.sent(trySend(reply, type, data), reply);
  }

  /** Account for an answer's fate. */
  private sent(r: SendResult, reply: MessageQueue): void {
    if (r !== 'sent') {
      this.counters.repliesLost++;
      this.warn(`reply lost: ${lostWhy(r, reply)}`);
    }
  }

  private drop(why: string): void {
    this.counters.malformed++;
    this.warn(`dropped a request: ${why}`);
  }

  private answerStat(req: StatRequest, reply: MessageQueue, client: Client): void {
    let type = RES_OK;
    let value: bigint | number;
    try {
      value = this.paths.size(req.path, client);
    } catch (e) {
      if (!(e instanceof PathError)) throw e;
      type = RES_ERR;
      value = e.errno;
    }
    if (this.opts.verbose) {
      this.info(
        `stat ${showPath(req.path)} for ${reply.id} (uid ${client.creds.euid}): ${type === RES_OK ? `${value} bytes` : `RES_ERR errno ${value}`}`,
      );
    }
    if (this.in === null) this.send(reply, type, encodeSize(value));
    else this.sent(sendSize(reply.id, type, value), reply);
  }

  private startContent(
    req: StatRequest,
    reply: MessageQueue,
    ds: { qbytes: number } | null,
    client: Client,
  ): void {
    const qbytes = ds?.qbytes ?? this.msgmax;
    const chunk = Math.min(this.msgmax, qbytes);
    if (chunk < RES_SIZ) {
      this.drop(`reply queue ${reply.id} holds only ${qbytes} bytes: too small for any answer`);
      return;
    }
    this.streams.add({ queue: reply, path: req.path, chunk, client });
  }
}

/** When a request's sender cannot be told: look for its waiting client after these delays (ms). */
const RETRIES = [2, 10, 50, 200];
/** Known senders remembered as the first candidates for a waiting client. */
const RECENT = 32;
/** The mtype of the server's message to itself at start: no request has it (REQ_STAT, REQ_CONTENT). */
const SELF_MTYPE = 0x7fffffff;

/** Scans of /proc for waiting clients are at least this far apart. */
const SCAN_GAP_MS = 20;
/** At most this many requests wait for such a second look; more are refused at once. */
const MAX_DEFERRED = 256;

/** Thrown out of the receive loop when the server is being stopped. */
class StoppedSignal extends Error {}

/** A queue's ipc_perm from the inventory (/proc/sysvipc: no permission needed); null if absent. */
function permOf(id: number): IpcPerm | null {
  const r = listQueues().find((q) => q.id === id);
  return r ? { key: r.key, uid: r.uid, gid: r.gid, cuid: r.cuid, cgid: r.cgid, mode: r.mode, seq: 0 } : null;
}

/**
 * --replace removes a queue only when it can prove it is a stat server's of this user: made
 * and owned by this effective uid, and no other live process of another user receiving from
 * it. Throws ForeignQueueError otherwise.
 */
export function checkReplaceable(key: number, q: MessageQueue): void {
  const euid = process.geteuid?.() ?? -1;
  let perm: IpcPerm | null;
  let lrpid = 0;
  try {
    const ds = q.stat();
    perm = ds.perm;
    lrpid = ds.lrpid;
  } catch (e) {
    if (!isIpcError(e, 'EACCES')) throw e;
    perm = permOf(q.id);
    if (perm === null) throw e;
  }
  if (perm.cuid !== euid)
    throw new ForeignQueueError(key, q.id, `created by uid ${perm.cuid}, you are uid ${euid}`);
  if (perm.uid !== euid)
    throw new ForeignQueueError(key, q.id, `owned by uid ${perm.uid}, you are uid ${euid}`);
  if (lrpid > 0 && lrpid !== process.pid && processAlive(lrpid)) {
    const c = credsOf(lrpid);
    if (c === null || c.euid !== euid)
      throw new ForeignQueueError(key, q.id, `process ${lrpid} of another user still receives from it`);
  }
}

/**
 * The request queue's key: ftok(path, proj). The server creates a missing `path` (an empty
 * file, as the lecture expects someone to have done); a client does not.
 */
export function serverKey(
  path: string | Buffer,
  proj: number,
  opts: { create?: boolean; trace?: Tracer | undefined } = {},
): number {
  if (opts.create) {
    try {
      // O_EXCL|O_NOFOLLOW: never create a file where a planted symbolic link points.
      closeSync(openSync(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o644));
    } catch (e) {
      if ((e as { code?: string })?.code !== 'EEXIST') throw e;
    }
    // (A name that is not UTF-8 is shown with replacement characters: the message is for a person.)
    if (lstatSync(path).isSymbolicLink()) throw new SymlinkKeyFileError(path.toString());
  }
  return ftok(path, proj, { trace: opts.trace });
}

/** The key file is a symbolic link: the server neither follows nor creates through it. */
export class SymlinkKeyFileError extends Error {
  constructor(readonly path: string) {
    super('is a symbolic link: refusing to follow it (give the real file, or remove the link)');
    this.name = 'SymlinkKeyFileError';
  }
}
