// The stat server's fast path: how it looks at its request queue between requests.
//
//   - QueueLook: msg_qnum and msg_lspid of the request queue by one IPC_STAT into a buffer
//     made once (MessageQueue.stat() decodes the whole msqid_ds into new objects each time:
//     several times the cost of the system call, for two numbers).
//   - Spin: an adaptive spin on IPC_STAT before the server falls back to a receive on a pool
//     thread. A client of the lecture sends its next request as soon as it has its answer;
//     waiting for it on a pool thread costs a thread hand-off and an event-loop wake-up per
//     request, several times the work of the request itself. The spin lasts at most
//     `budgetUs` microseconds; the budget doubles (up to MAX_US) when a spin finds a request
//     and halves when one finds none, and a spin is made only right after requests were
//     served: an idle server blocks in msgrcv and uses no CPU.
//   - RequestIn and sendSize: an untraced server takes each request into one buffer made
//     once and answers from another (MessageQueue.receive and send allocate, copy and
//     describe each message for --trace: more work than the system call).
import { ERRNO } from '../ipc/errno.js';
import type { IpcPerm, Message } from '../ipc/index.js';
import { C, fn, ipc_perm, lastErrno, msqid_ds, offsetOf, sizeOf } from '../ipc/libc.js';
import { checked, fail, type Tracer } from '../ipc/trace.js';
import type { SendResult } from './stat-streams.js';

const { EACCES, EAGAIN, EIDRM, EINVAL, ENOMSG } = ERRNO;

const QNUM = offsetOf(msqid_ds, 'msg_qnum');
const LSPID = offsetOf(msqid_ds, 'msg_lspid');
const LRPID = offsetOf(msqid_ds, 'msg_lrpid');
const QBYTES = offsetOf(msqid_ds, 'msg_qbytes');
const PERM = offsetOf(msqid_ds, 'msg_perm');
const P = Object.fromEntries(
  ['__key', 'uid', 'gid', 'cuid', 'cgid', 'mode', '__seq'].map((f) => [f, PERM + offsetOf(ipc_perm, f)]),
) as Record<'__key' | 'uid' | 'gid' | 'cuid' | 'cgid' | 'mode' | '__seq', number>;
const permBuf = Buffer.alloc(sizeOf(msqid_ds));

/** What the server reads of a reply queue. */
export interface ReplyQueueState {
  perm: IpcPerm;
  qbytes: number;
  /** msg_lrpid: the last process that received from it (its client, after a first answer). */
  lrpid: number;
}

/**
 * IPC_STAT of a reply queue reduced to what the server checks: its ipc_perm, msg_qbytes and
 * msg_lrpid (the same values as MessageQueue.stat(), without decoding the rest). Throws IpcError.
 */
export function replyQueueState(id: number, trace?: Tracer): ReplyQueueState {
  checked('msgctl', () => `msqid=${id}, cmd=IPC_STAT`, fn.msgctl(id, C.IPC_STAT, permBuf) as number, trace);
  const b = permBuf;
  return {
    perm: {
      key: b.readInt32LE(P.__key),
      uid: b.readUInt32LE(P.uid),
      gid: b.readUInt32LE(P.gid),
      cuid: b.readUInt32LE(P.cuid),
      cgid: b.readUInt32LE(P.cgid),
      mode: b.readUInt32LE(P.mode),
      seq: b.readUInt16LE(P.__seq),
    },
    qbytes: Number(b.readBigUInt64LE(QBYTES)),
    lrpid: b.readInt32LE(LRPID),
  };
}

/**
 * The request queue's msgrcv(IPC_NOWAIT|MSG_NOERROR) of at most `size` bytes, into a buffer
 * made once. Untraced: a traced server takes requests through MessageQueue.receive.
 */
export class RequestIn {
  private readonly buf: Buffer;

  constructor(
    readonly id: number,
    readonly size: number,
  ) {
    this.buf = Buffer.alloc(8 + size);
  }

  /**
   * The message at the head of the queue, null when there is none. Its data is a view of the
   * buffer, valid until the next take: copy what must outlive it. Throws IpcError.
   */
  take(): Message | null {
    const n = fn.msgrcv(this.id, this.buf, this.size, 0, C.IPC_NOWAIT | C.MSG_NOERROR) as number;
    if (n < 0) {
      if (lastErrno() === ENOMSG) return null;
      fail('msgrcv');
    }
    return { type: Number(this.buf.readBigInt64LE(0)), data: this.buf.subarray(8, 8 + n) };
  }
}

const answer = Buffer.alloc(16);

/**
 * msgsnd(IPC_NOWAIT) of an answer carrying `value` (the lecture's size_t) with mtype `type`,
 * untraced, from a buffer made once: what trySend (stat-streams.ts) does for a traced server.
 */
export function sendSize(id: number, type: number, value: number | bigint): SendResult {
  answer.writeBigInt64LE(BigInt(type), 0);
  answer.writeBigUInt64LE(BigInt(value), 8);
  if ((fn.msgsnd(id, answer, 8, C.IPC_NOWAIT) as number) === 0) return 'sent';
  const errno = lastErrno();
  if (errno === EAGAIN) return 'full';
  if (errno === EIDRM || errno === EINVAL) return 'gone';
  return errno === EACCES ? 'denied' : 'failed';
}

export interface QueueState {
  qnum: number;
  lspid: number;
}

/** IPC_STAT of one queue, reduced to msg_qnum and msg_lspid (both read under the queue's lock). */
export class QueueLook {
  private readonly buf = Buffer.alloc(sizeOf(msqid_ds));
  private readonly args: () => string;

  constructor(
    readonly id: number,
    /** --trace=all shows each look (the tracer's `detail`). */
    readonly trace?: Tracer,
  ) {
    this.args = () => `msqid=${id}, cmd=IPC_STAT`;
  }

  /** Throws IpcError (EIDRM/EINVAL once the queue is gone). */
  look(): QueueState {
    checked('msgctl', this.args, fn.msgctl(this.id, C.IPC_STAT, this.buf) as number, this.trace);
    return { qnum: Number(this.buf.readBigUInt64LE(QNUM)), lspid: this.buf.readInt32LE(LSPID) };
  }
}

/** Longest spin, in microseconds: a few client round trips on a loaded machine. */
export const MAX_US = 200;
/** A spin shorter than this is not worth making. */
export const MIN_US = 10;

export class Spin {
  /** The current budget (0: do not spin). */
  budgetUs = 0;
  /** Requests served since the last spin: a spin is made only after some were. */
  private recent = 0;
  /** Spins that found a request, and all spins made (for tests and --verbose). */
  hits = 0;
  spins = 0;

  /** Spin on `look` until it returns true or the budget is spent; true if it did. */
  run(look: () => boolean): boolean {
    if (this.recent === 0 || this.budgetUs < MIN_US) return false;
    this.recent = 0;
    this.spins++;
    const end = performance.now() + this.budgetUs / 1000;
    do {
      if (look()) {
        this.hits++;
        this.budgetUs = Math.min(MAX_US, this.budgetUs * 2);
        return true;
      }
    } while (performance.now() < end);
    this.budgetUs = this.budgetUs / 2;
    return false;
  }

  /** `n` requests were taken: the next gap is worth a spin. */
  served(n: number): void {
    this.recent += n;
  }

  /** A request woke the blocking receive: requests are coming again, spin after them. */
  woke(): void {
    this.budgetUs = Math.max(this.budgetUs, MAX_US / 4);
  }
}
