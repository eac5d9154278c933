// Content streaming for the stat server: many clients at once, none able to stall the others.
//
// Each accepted content request becomes a stream with its own state (open file, one block
// buffer, the next message to send). A pump visits the streams round-robin and sends each
// a few messages with IPC_NOWAIT; a stream whose reply queue is full is skipped until the
// next round. Rounds follow each other at once while any stream moves, and back off (1 ms
// up to 10 ms) while all wait on their clients. Memory is bounded: at most `maxStreams`
// streams with one block each, at most `maxPending` requests waiting for a slot (just a
// queue id and a path), anything beyond is answered RES_ERR EBUSY.
import { ERRNO } from '../ipc/errno.js';
import { isIpcError, type MessageQueue } from '../ipc/index.js';
import { encodeSize, RES_DATA, RES_END, RES_ERR, RES_OK, showPath } from '../protocols/stat.js';
import { type Client, errnoOf, type OpenFile, PathError, type PathPolicy } from './stat-paths.js';

export type SendResult = 'sent' | 'full' | 'gone' | 'denied' | 'failed';

/** One msgsnd with IPC_NOWAIT, its outcome as a word (never throws for the kernel's refusals). */
export function trySend(q: MessageQueue, type: number, data: Uint8Array): SendResult {
  // --trace: a full queue is retried later (shown with --trace=all); the rest is the answer.
  try {
    q.send(type, data, { nowait: true, trace: q.trace?.detail });
    q.traceSent(type, data, 0, { nowait: true });
    return 'sent';
  } catch (e) {
    if (isIpcError(e, 'EAGAIN')) return 'full';
    if (isIpcError(e)) q.traceSent(type, data, `-1 ${e.code}`, { nowait: true });
    if (isIpcError(e, 'EIDRM', 'EINVAL')) return 'gone';
    if (isIpcError(e, 'EACCES')) return 'denied';
    if (isIpcError(e)) return 'failed';
    throw e;
  }
}

/** Why a reply was lost, for the warning. */
export function lostWhy(r: SendResult, q: MessageQueue): string {
  switch (r) {
    case 'full':
      return `reply queue ${q.id} is full`;
    case 'gone':
      return `reply queue ${q.id} was removed`;
    case 'denied':
      return `reply queue ${q.id} is not writable by the server`;
    default:
      return `msgsnd to reply queue ${q.id} failed`;
  }
}

export interface ContentRequest {
  queue: MessageQueue;
  path: string;
  /** Bytes per RES_DATA message: min(msgmax, the reply queue's msg_qbytes). */
  chunk: number;
  /** Who asked (the file is opened as this client). */
  client: Client;
}

export interface StreamOptions {
  paths: PathPolicy;
  maxStreams: number;
  maxPending: number;
  /** Drop a stream whose client has taken nothing for this long. */
  stallTimeoutMs: number;
  /** Bytes read from disk at a time (rounded to whole chunks, at least one chunk). */
  blockSize: number;
  warn: (msg: string) => void;
  info: (msg: string) => void;
}

interface Stream {
  req: ContentRequest;
  fh: OpenFile | null;
  buf: Buffer;
  start: number;
  end: number;
  /** File offset of the next read. */
  offset: number;
  eof: boolean;
  reading: boolean;
  /** A control message (RES_OK, RES_END, RES_ERR) to send before anything else. */
  control: { type: number; data: Buffer } | null;
  /** Done once the control message in flight is RES_END or RES_ERR. */
  last: boolean;
  sent: number;
  lastProgress: number;
  done: boolean;
}

/** Messages one stream may send per round: enough to fill a queue, not enough to hog. */
const PER_ROUND = 16;
const E = ERRNO;

export class ContentStreams {
  private readonly active: Stream[] = [];
  private readonly pending: ContentRequest[] = [];
  private opening = 0;
  private rr = 0;
  private scheduled: 'immediate' | 'timer' | null = null;
  private handle: NodeJS.Immediate | NodeJS.Timeout | null = null;
  private backoff = 1;
  /** When a message last went out (performance.now()). */
  private lastMove = 0;
  private closed = false;
  /** Totals, for tests and --verbose. */
  readonly stats = { served: 0, dropped: 0, busy: 0, bytes: 0 };

  constructor(private readonly opts: StreamOptions) {}

  get size(): { active: number; pending: number } {
    return { active: this.active.length + this.opening, pending: this.pending.length };
  }

  /** Take a content request: start it, queue it, or refuse it (EBUSY) when full. */
  add(req: ContentRequest): void {
    if (this.closed) return;
    if (this.active.length + this.opening < this.opts.maxStreams) {
      void this.start(req);
    } else if (this.pending.length < this.opts.maxPending) {
      this.pending.push(req);
    } else {
      this.stats.busy++;
      const r = trySend(req.queue, RES_ERR, encodeSize(E.EBUSY));
      this.opts.warn(
        `too many content requests (${this.opts.maxStreams} streams, ${this.opts.maxPending} waiting): ` +
          `refused ${showPath(req.path)} for reply queue ${req.queue.id}${r === 'sent' ? '' : ` (and ${lostWhy(r, req.queue)})`}`,
      );
    }
  }

  /** Stop everything: every client still waiting gets RES_ERR ECANCELED (if it has room). */
  async close(): Promise<void> {
    this.closed = true;
    this.unschedule();
    const closing: Promise<void>[] = [];
    for (const s of this.active) {
      if (!s.done) trySend(s.req.queue, RES_ERR, encodeSize(E.ECANCELED));
      s.done = true; // a read still in flight ends quietly (EBADF once closed)
      if (s.fh) closing.push(s.fh.close().catch(() => {}));
    }
    for (const p of this.pending) trySend(p.queue, RES_ERR, encodeSize(E.ECANCELED));
    this.active.length = 0;
    this.pending.length = 0;
    await Promise.all(closing);
  }

  private async start(req: ContentRequest): Promise<void> {
    this.opening++;
    let opened: { file: OpenFile; size: bigint };
    try {
      opened = this.opts.paths.openForContent(req.path, req.client);
    } catch (e) {
      this.opening--;
      const errno = e instanceof PathError ? e.errno : errnoOf(e);
      this.opts.info(`content ${showPath(req.path)} for ${req.queue.id}: RES_ERR errno ${errno}`);
      if (!this.closed) {
        const r = trySend(req.queue, RES_ERR, encodeSize(errno));
        if (r !== 'sent') this.opts.warn(`reply lost: ${lostWhy(r, req.queue)}`);
      }
      this.next();
      return;
    }
    this.opening--;
    if (this.closed) {
      await opened.file.close().catch(() => {});
      return;
    }
    const chunk = req.chunk;
    const block = Math.max(chunk, Math.floor(this.opts.blockSize / chunk) * chunk);
    this.opts.info(
      `content ${showPath(req.path)} for ${req.queue.id}: ${opened.size} bytes in chunks of ${chunk}`,
    );
    this.active.push({
      req,
      fh: opened.file,
      buf: Buffer.allocUnsafe(block),
      start: 0,
      end: 0,
      offset: 0,
      eof: false,
      reading: false,
      control: { type: RES_OK, data: encodeSize(opened.size) },
      last: false,
      sent: 0,
      lastProgress: performance.now(),
      done: false,
    });
    this.schedule(true);
  }

  /** Start waiting requests while there is room. */
  private next(): void {
    while (
      !this.closed &&
      this.pending.length > 0 &&
      this.active.length + this.opening < this.opts.maxStreams
    ) {
      void this.start(this.pending.shift()!);
    }
  }

  /**
   * Next round: at once after progress; when every stream waits on a full queue, soon if
   * something moved a moment ago (a client draining its queue comes back within
   * microseconds: spinning on setImmediate for a millisecond keeps a 16 KiB queue streaming),
   * then every millisecond for a while, then backing off to 10 ms (a stuck client costs
   * next to nothing).
   */
  private schedule(now: boolean): void {
    if (this.closed) return;
    const since = performance.now() - this.lastMove;
    if (now || since < 1) {
      if (this.scheduled === 'immediate') return;
      this.unschedule();
      if (now) this.backoff = 1;
      this.scheduled = 'immediate';
      this.handle = setImmediate(() => this.pump());
    } else if (this.scheduled === null) {
      this.scheduled = 'timer';
      this.handle = setTimeout(() => this.pump(), this.backoff);
      if (since > 50) this.backoff = Math.min(this.backoff * 2, 10);
    }
  }

  private unschedule(): void {
    if (this.handle !== null) {
      if (this.scheduled === 'immediate') clearImmediate(this.handle as NodeJS.Immediate);
      else clearTimeout(this.handle as NodeJS.Timeout);
    }
    this.handle = null;
    this.scheduled = null;
  }

  /** One round over every stream, starting after the one that went first last time. */
  private pump(): void {
    this.scheduled = null;
    this.handle = null;
    if (this.closed) return;
    let moved = false;
    let waiting = false;
    const n = this.active.length;
    const now = performance.now();
    for (let k = 0; k < n; k++) {
      const s = this.active[(this.rr + k) % n]!;
      const r = this.step(s);
      if (r === 'moved') moved = true;
      else if (r === 'full') {
        waiting = true;
        if (now - s.lastProgress > this.opts.stallTimeoutMs) {
          this.drop(
            s,
            `client too slow: reply queue ${s.req.queue.id} full for ${this.opts.stallTimeoutMs / 1000} s`,
          );
        }
      }
    }
    this.rr = n > 0 ? (this.rr + 1) % n : 0;
    if (moved) this.lastMove = now;
    this.reap();
    if (moved) this.schedule(true);
    else if (waiting) this.schedule(false);
  }

  /** Send up to PER_ROUND messages of one stream. */
  private step(s: Stream): 'moved' | 'full' | 'idle' {
    let moved = false;
    for (let i = 0; i < PER_ROUND && !s.done; i++) {
      let type: number;
      let data: Buffer;
      if (s.control) {
        ({ type, data } = s.control);
      } else if (s.start < s.end) {
        type = RES_DATA;
        data = s.buf.subarray(s.start, Math.min(s.end, s.start + s.req.chunk));
      } else if (s.eof) {
        s.control = { type: RES_END, data: encodeSize(s.sent) };
        s.last = true;
        continue;
      } else {
        if (!s.reading) this.refill(s);
        break;
      }
      const r = trySend(s.req.queue, type, data);
      if (r === 'full' && type === RES_OK) {
        // A client asks with an empty queue: one already full at the first answer is a
        // client that will not read (or one trying to hold a stream slot): it loses it.
        this.drop(s, `reply lost: ${lostWhy(r, s.req.queue)}: stream of ${showPath(s.req.path)} not started`);
        return 'idle';
      }
      if (r === 'full') return moved ? 'moved' : 'full';
      if (r !== 'sent') {
        this.drop(
          s,
          `${lostWhy(r, s.req.queue)}: stream of ${showPath(s.req.path)} stopped after ${s.sent} bytes`,
        );
        return 'idle';
      }
      moved = true;
      s.lastProgress = performance.now();
      if (s.control) {
        s.control = null;
        if (s.last) this.finish(s);
      } else {
        s.start += data.length;
        s.sent += data.length;
        this.stats.bytes += data.length;
      }
    }
    return moved ? 'moved' : 'idle';
  }

  private refill(s: Stream): void {
    s.reading = true;
    s.fh!.read(s.buf, 0, s.buf.length, s.offset).then(
      ({ bytesRead }) => {
        s.reading = false;
        if (s.done) return this.schedule(true);
        s.start = 0;
        s.end = bytesRead;
        s.offset += bytesRead;
        if (bytesRead === 0) s.eof = true;
        this.schedule(true);
      },
      (e: unknown) => {
        s.reading = false;
        if (s.done) return this.schedule(true);
        const errno = errnoOf(e);
        this.opts.warn(`reading ${showPath(s.req.path)} failed (errno ${errno}) after ${s.sent} bytes`);
        s.control = { type: RES_ERR, data: encodeSize(errno) };
        s.last = true;
        s.start = s.end = 0;
        this.schedule(true);
      },
    );
  }

  private finish(s: Stream): void {
    s.done = true;
    this.stats.served++;
    this.opts.info(`content ${showPath(s.req.path)} for ${s.req.queue.id}: done, ${s.sent} bytes`);
  }

  private drop(s: Stream, why: string): void {
    if (s.done) return;
    s.done = true;
    this.stats.dropped++;
    this.opts.warn(why);
  }

  /** Remove finished streams (closing their files) and start waiting ones. */
  private reap(): void {
    let removed = false;
    for (let i = this.active.length - 1; i >= 0; i--) {
      const s = this.active[i]!;
      if (!s.done || s.reading) continue;
      this.active.splice(i, 1);
      removed = true;
      const fh = s.fh;
      s.fh = null;
      fh?.close().catch(() => {});
    }
    if (removed) this.next();
  }
}
