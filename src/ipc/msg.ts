// System V message queues: msgget, msgsnd, msgrcv, msgctl.
import { blockUntil, pollUntil, WOULD_BLOCK } from './blocking.js';
import { ctlStruct, IdStruct, SysvObject } from './ctl.js';
import { ERRNO } from './errno.js';
import { isIpcError } from './errors.js';
import { C, callAsync, fn, lastErrno, msginfo, msqid_ds } from './libc.js';
import { markCreated } from './owned.js';
import { applyPermChange, creation, dsFromRaw, type GetOptions, getId, type RawPerm } from './perm.js';
import { checked, escapeBytes, fail, type Traced, type Tracer, trace, traceOutcome } from './trace.js';
import type { MsgInfo, MsqidDs, PermChange, WaitOptions } from './types.js';
import { checkInt, INT_MAX } from './validate.js';

const { EAGAIN, ENOMSG } = ERRNO;

const LONG_SIZE = 8;
/** The kernel's hard ceiling for one message (msgmax cannot exceed INT_MAX). */
const MAX_MSG = INT_MAX;

export interface Message {
  type: number;
  data: Buffer;
}

/** How --trace shows a message: `{mtype=2, mtext="/etc/passwd"}` by default. */
export type DescribeMessage = (type: number, data: Uint8Array) => string;

/** The default: the type and the text's first bytes, escaped as a C string. */
export const describeMessage: DescribeMessage = (type, data) => `{mtype=${type}, mtext=${escapeBytes(data)}}`;

/** A queue's tracing: where its calls go, and how they show a message (a protocol's fields). */
export interface QueueTraceOptions extends Traced {
  describe?: DescribeMessage | undefined;
}

export interface ReceiveOptions extends WaitOptions, Traced {
  /** msgrcv's msgtyp: 0 first message, > 0 first of that type, < 0 lowest type <= |type|. */
  type?: number;
  /** MSG_EXCEPT: with type > 0, the first message whose type differs. */
  except?: boolean;
  /** MSG_NOERROR: truncate a longer message to maxSize instead of failing with E2BIG. */
  noerror?: boolean;
  /** Largest payload accepted (default 8192, the usual msgmax). */
  maxSize?: number;
}

interface RawMsqid {
  msg_perm: RawPerm;
  msg_stime: number;
  msg_rtime: number;
  msg_ctime: number;
  __msg_cbytes: number | bigint;
  msg_qnum: number | bigint;
  msg_qbytes: number | bigint;
  msg_lspid: number;
  msg_lrpid: number;
}

const CMD_NAMES: Record<number, string> = {
  0: 'IPC_RMID',
  1: 'IPC_SET',
  2: 'IPC_STAT',
  3: 'IPC_INFO',
  11: 'MSG_STAT',
  12: 'MSG_INFO',
  13: 'MSG_STAT_ANY',
};
const ctlArgs = (id: number, cmd: number) => () => `msqid=${id}, cmd=${CMD_NAMES[cmd] ?? cmd}`;

function ctl(id: number, cmd: number, buf: Buffer | null, t?: Tracer): number {
  return checked('msgctl', ctlArgs(id, cmd), fn.msgctl(id, cmd, buf) as number, t);
}

const fromRaw = dsFromRaw<RawMsqid, MsqidDs>(
  'msg_',
  ['stime', 'rtime', 'ctime', 'cbytes', 'qnum', 'qbytes', 'lspid', 'lrpid'],
  { cbytes: '__msg_cbytes' },
);

const DS = new IdStruct<RawMsqid, MsqidDs>(msqid_ds, ctl, fromRaw, {
  checked: C.MSG_STAT,
  any: C.MSG_STAT_ANY,
});

function infoCall(cmd: number): MsgInfo {
  const { raw, ret } = ctlStruct<Omit<MsgInfo, 'maxIndex'>>(msginfo, (buf) => ctl(0, cmd, buf));
  return { ...raw, maxIndex: ret };
}

export class MessageQueue extends SysvObject('msqid', DS, (id, t) => ctl(id, C.IPC_RMID, null, t)) {
  /** How its trace shows a message. */
  readonly describe: DescribeMessage;

  constructor(id: number, opts: QueueTraceOptions = {}) {
    super(id, opts);
    this.describe = opts.describe ?? describeMessage;
  }

  /** msgget(key, flags). */
  static get(key: number, opts: GetOptions & QueueTraceOptions = {}): MessageQueue {
    return new MessageQueue(
      getId('msgget', key, opts, (k, flags) => fn.msgget(k, flags) as number),
      opts,
    );
  }

  /** A new queue: IPC_PRIVATE, or `key` created exclusively (EEXIST when taken). */
  static create(opts: { key?: number; mode?: number } & QueueTraceOptions = {}): MessageQueue {
    const { key, get } = creation(opts);
    return markCreated(MessageQueue.get(key, { ...get, trace: opts.trace, describe: opts.describe }));
  }

  /** MSG_INFO: system-wide usage (msgpool = queues' bytes in KiB... see msgctl(2)). */
  static usage(): MsgInfo {
    return infoCall(C.MSG_INFO);
  }

  /** IPC_INFO: the limits. */
  static limits(): MsgInfo {
    return infoCall(C.IPC_INFO);
  }

  /** IPC_SET: owner, group, mode bits, and the queue's byte limit. */
  set(change: PermChange & { qbytes?: number }): void {
    DS.set(this.id, this.trace, (raw) => {
      applyPermChange(raw.msg_perm, change);
      if (change.qbytes !== undefined)
        raw.msg_qbytes = checkInt('qbytes', change.qbytes, 0, Number.MAX_SAFE_INTEGER);
    });
  }

  /**
   * The queue's messages as they arrive, each received (taken off the queue) only when the
   * loop asks for the next: breaking out of the loop takes nothing more. `opts` applies to
   * each receive (type, size, timeout, signal); with `nowait` the loop ends when the queue
   * is empty. The loop ends when the queue is removed.
   */
  async *messages(opts: ReceiveOptions = {}): AsyncGenerator<Message, void, undefined> {
    for (;;) {
      let m: Message;
      try {
        m = await this.receiveAsync(opts);
      } catch (e) {
        if (isIpcError(e, 'EIDRM', 'EINVAL') || (opts.nowait && isIpcError(e, 'ENOMSG'))) return;
        throw e;
      }
      yield m;
    }
  }

  /** One msgsnd; with `nowait`, throws EAGAIN when the queue is full. Synchronous. */
  send(type: number, data: Uint8Array, opts: { nowait?: boolean } & Traced = {}): void {
    const t = opts.trace ?? this.trace;
    const msg = packMessage(type, data);
    const flags = opts.nowait ? C.IPC_NOWAIT : 0;
    const args = this.#sndArgs(type, data, flags);
    const r = fn.msgsnd(this.id, msg, data.length, flags) as number;
    if (r < 0) fail('msgsnd', args, false, t);
    trace('msgsnd', args, 0, t);
  }

  /**
   * msgsnd that waits for room without blocking the event loop. Traced as the one msgsnd
   * asked for; its IPC_NOWAIT tries and waits on the tracer's `detail`.
   */
  async sendAsync(type: number, data: Uint8Array, opts: WaitOptions & Traced = {}): Promise<void> {
    const t = opts.trace ?? this.trace;
    const askedOnly = t && !t.all ? t : undefined;
    const msg = packMessage(type, data);
    const args = this.#sndArgs(type, data, C.IPC_NOWAIT);
    const attempt = (waited: boolean) => {
      const r = fn.msgsnd(this.id, msg, data.length, C.IPC_NOWAIT) as number;
      if (r === 0) {
        trace('msgsnd', args, 0, t?.detail);
        return true;
      }
      if (lastErrno() === EAGAIN && !opts.nowait) {
        trace('msgsnd', args, '-1 EAGAIN', t?.detail);
        return WOULD_BLOCK;
      }
      return fail('msgsnd', args, waited, t?.detail);
    };
    const asked = this.#sndArgs(type, data, opts.nowait ? C.IPC_NOWAIT : 0);
    try {
      if (opts.nowait) attempt(false);
      else if (opts.timeout !== undefined || opts.signal) await pollUntil('msgsnd', attempt, opts);
      else
        await blockUntil(attempt, async () => {
          const r = await callAsync('msgsnd', this.id, msg, data.length, 0);
          trace('msgsnd', this.#sndArgs(type, data, 0), r === 0 ? 0 : '-1', t?.detail);
          return r === 0 ? true : null;
        });
    } catch (e) {
      traceOutcome('msgsnd', asked, askedOnly, e);
      throw e;
    }
    trace('msgsnd', asked, 0, askedOnly);
  }

  /** One msgrcv; null when `nowait` and nothing matches (ENOMSG). Synchronous. */
  receive(opts: ReceiveOptions = {}): Message | null {
    const t = opts.trace ?? this.trace;
    const { buf, size, type, flags } = recvArgs(opts);
    const all = flags | (opts.nowait ? C.IPC_NOWAIT : 0);
    const args = rcvArgs(this.id, size, type, all);
    const n = fn.msgrcv(this.id, buf, size, type, all) as number;
    if (n < 0) {
      if (opts.nowait && lastErrno() === ENOMSG) {
        trace('msgrcv', args, '-1 ENOMSG', t);
        return null;
      }
      fail('msgrcv', args, false, t);
    }
    const m = unpackMessage(buf, n);
    trace('msgrcv', args, this.#received(m), t);
    return m;
  }

  /** The msgsnd arguments as the trace shows them: the message described, its size, flags. */
  #sndArgs(type: number, data: Uint8Array, flags: number): () => string {
    return () =>
      `msqid=${this.id}, ${this.describe(type, data)}, msgsz=${data.length}${flags ? `, flags=${msgFlags(flags)}` : ''}`;
  }

  /** A msgrcv's result as the trace shows it: the count, then the message described. */
  #received(m: Message): string {
    return `${m.data.length} ${this.describe(m.type, m.data)}`;
  }

  /**
   * Trace, as this queue's tracer would, a msgsnd the program asked for that svipc made with
   * a tracer of its own (its `detail`: a queue that is full is retried, not reported).
   */
  traceSent(type: number, data: Uint8Array, result: string | number, opts: { nowait?: boolean } = {}): void {
    if (this.trace && !this.trace.all)
      trace('msgsnd', this.#sndArgs(type, data, opts.nowait ? C.IPC_NOWAIT : 0), result, this.trace);
  }

  /**
   * Trace, as this queue's tracer would, a msgrcv the program asked for that svipc made in
   * steps (a wait without taking, then a receive with IPC_NOWAIT): for a server's loop.
   */
  traceReceived(m: Message, opts: { maxSize: number; type?: number }): void {
    if (this.trace && !this.trace.all)
      trace('msgrcv', rcvArgs(this.id, opts.maxSize, opts.type ?? 0, 0), this.#received(m), this.trace);
  }

  /**
   * A copy of the message at position `index` (0 = the first), left on the queue: msgrcv with
   * msgtyp = index and MSG_COPY|IPC_NOWAIT (Linux 3.8+ built with CONFIG_CHECKPOINT_RESTORE;
   * elsewhere the kernel fails with ENOSYS). null when the queue has no message at `index`.
   * A message longer than `maxSize` (default 8192) fails with E2BIG. Never waits.
   */
  peek(index: number, opts: { maxSize?: number } = {}): Message | null {
    checkInt('index', index, 0, Number.MAX_SAFE_INTEGER);
    const { buf, size } = recvArgs({ maxSize: opts.maxSize ?? 8192 });
    const flags = C.MSG_COPY | C.IPC_NOWAIT;
    const args = rcvArgs(this.id, size, index, flags);
    const n = fn.msgrcv(this.id, buf, size, index, flags) as number;
    if (n < 0) {
      if (lastErrno() === ENOMSG) {
        trace('msgrcv', args, '-1 ENOMSG', this.trace);
        return null;
      }
      fail('msgrcv', args, false, this.trace);
    }
    const m = unpackMessage(buf, n);
    trace('msgrcv', args, this.#received(m), this.trace);
    return m;
  }

  /**
   * msgrcv that waits without blocking the event loop. Throws ENOMSG with `nowait`. Traced
   * as the one msgrcv asked for; its IPC_NOWAIT tries and waits on the tracer's `detail`.
   */
  async receiveAsync(opts: ReceiveOptions = {}): Promise<Message> {
    const t = opts.trace ?? this.trace;
    const askedOnly = t && !t.all ? t : undefined;
    const { buf, size, type, flags } = recvArgs(opts);
    const args = rcvArgs(this.id, size, type, flags | C.IPC_NOWAIT);
    const asked = rcvArgs(this.id, size, type, flags | (opts.nowait ? C.IPC_NOWAIT : 0));
    const attempt = (waited: boolean) => {
      const n = fn.msgrcv(this.id, buf, size, type, flags | C.IPC_NOWAIT) as number;
      if (n >= 0) {
        const m = unpackMessage(buf, n);
        trace('msgrcv', args, this.#received(m), t?.detail);
        return m;
      }
      if (lastErrno() === ENOMSG && !opts.nowait) {
        trace('msgrcv', args, '-1 ENOMSG', t?.detail);
        return WOULD_BLOCK;
      }
      return fail('msgrcv', args, waited, t?.detail);
    };
    let m: Message;
    try {
      if (opts.nowait) m = attempt(false) as Message;
      else if (opts.timeout !== undefined || opts.signal) m = await pollUntil('msgrcv', attempt, opts);
      else
        m = await blockUntil(attempt, async () => {
          const n = await callAsync('msgrcv', this.id, buf, size, type, flags);
          const got = n < 0 ? null : unpackMessage(buf, n);
          trace('msgrcv', rcvArgs(this.id, size, type, flags), got ? this.#received(got) : '-1', t?.detail);
          return got;
        });
    } catch (e) {
      traceOutcome('msgrcv', asked, askedOnly, e);
      throw e;
    }
    trace('msgrcv', asked, this.#received(m), askedOnly);
    return m;
  }
}

function packMessage(type: number, data: Uint8Array): Buffer {
  checkInt('message type', type, 1, Number.MAX_SAFE_INTEGER);
  checkInt('message size', data.length, 0, MAX_MSG);
  const msg = Buffer.allocUnsafe(LONG_SIZE + data.length);
  msg.writeBigInt64LE(BigInt(type), 0);
  msg.set(data, LONG_SIZE);
  return msg;
}

function msgFlags(flags: number): string {
  const names = [
    [C.IPC_NOWAIT, 'IPC_NOWAIT'],
    [C.MSG_EXCEPT, 'MSG_EXCEPT'],
    [C.MSG_NOERROR, 'MSG_NOERROR'],
    [C.MSG_COPY, 'MSG_COPY'],
  ] as const;
  return (
    names
      .filter(([bit]) => flags & bit)
      .map(([, n]) => n)
      .join('|') || '0'
  );
}

const rcvArgs = (id: number, size: number, type: number, flags: number) => () =>
  `msqid=${id}, msgsz=${size}, msgtyp=${type}${flags ? `, flags=${msgFlags(flags)}` : ''}`;

function recvArgs(opts: ReceiveOptions) {
  const size = checkInt('maxSize', opts.maxSize ?? 8192, 0, MAX_MSG);
  const type = checkInt('type', opts.type ?? 0, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const flags = (opts.except ? C.MSG_EXCEPT : 0) | (opts.noerror ? C.MSG_NOERROR : 0);
  return { buf: Buffer.allocUnsafe(LONG_SIZE + size), size, type, flags };
}

function unpackMessage(buf: Buffer, n: number): Message {
  // Copy out: the receive buffer is reused by the next attempt.
  return { type: Number(buf.readBigInt64LE(0)), data: Buffer.from(buf.subarray(LONG_SIZE, LONG_SIZE + n)) };
}
