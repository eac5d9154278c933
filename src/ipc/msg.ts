// System V message queues: msgget, msgsnd, msgrcv, msgctl.
import { constants } from 'node:os';
import { blockUntil, pollUntil, WOULD_BLOCK } from './blocking.js';
import { isIpcError } from './errors.js';
import { C, callAsync, decode, encode, fn, lastErrno, msginfo, msqid_ds, sizeOf } from './libc.js';
import { disposeCreated, markCreated } from './owned.js';
import {
  applyPermChange,
  creation,
  flagsOf,
  type GetOptions,
  num,
  permFromRaw,
  type RawPerm,
} from './perm.js';
import { checked, fail, getFlags, hexKey, trace } from './trace.js';
import type { MsgInfo, MsqidDs, PermChange, WaitOptions } from './types.js';
import { checkId, checkInt, checkKey, INT_MAX } from './validate.js';

// errno values from Node's table for this platform, not typed in by hand.
const { EAGAIN, ENOMSG } = constants.errno;

const LONG_SIZE = 8;
/** The kernel's hard ceiling for one message (msgmax cannot exceed INT_MAX). */
const MAX_MSG = INT_MAX;

export interface Message {
  type: number;
  data: Buffer;
}

export interface ReceiveOptions extends WaitOptions {
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

function ctl(id: number, cmd: number, buf: Buffer | null): number {
  return checked('msgctl', ctlArgs(id, cmd), fn.msgctl(id, cmd, buf) as number);
}

function statRaw(id: number, cmd: number = C.IPC_STAT): { raw: RawMsqid; buf: Buffer; ret: number } {
  const buf = Buffer.alloc(sizeOf(msqid_ds));
  const ret = ctl(id, cmd, buf);
  return { raw: decode<RawMsqid>(buf, msqid_ds), buf, ret };
}

function fromRaw(r: RawMsqid): MsqidDs {
  return {
    perm: permFromRaw(r.msg_perm),
    stime: num(r.msg_stime),
    rtime: num(r.msg_rtime),
    ctime: num(r.msg_ctime),
    cbytes: num(r.__msg_cbytes),
    qnum: num(r.msg_qnum),
    qbytes: num(r.msg_qbytes),
    lspid: r.msg_lspid,
    lrpid: r.msg_lrpid,
  };
}

function infoCall(cmd: number): MsgInfo {
  const buf = Buffer.alloc(sizeOf(msginfo));
  const ret = ctl(0, cmd, buf);
  return { ...decode<Omit<MsgInfo, 'maxIndex'>>(buf, msginfo), maxIndex: ret };
}

export class MessageQueue {
  constructor(readonly id: number) {
    checkId('msqid', id);
  }

  /** msgget(key, flags). */
  static get(key: number, opts: GetOptions = {}): MessageQueue {
    const flags = flagsOf(opts);
    const args = () => `key=${hexKey(key)}, flags=${getFlags(flags)}`;
    return new MessageQueue(checked('msgget', args, fn.msgget(checkKey(key), flags) as number));
  }

  /** A new queue: IPC_PRIVATE, or `key` created exclusively (EEXIST when taken). */
  static create(opts: { key?: number; mode?: number } = {}): MessageQueue {
    const { key, get } = creation(opts);
    return markCreated(MessageQueue.get(key, get));
  }

  /** MSG_INFO: system-wide usage (msgpool = queues' bytes in KiB... see msgctl(2)). */
  static usage(): MsgInfo {
    return infoCall(C.MSG_INFO);
  }

  /** IPC_INFO: the limits. */
  static limits(): MsgInfo {
    return infoCall(C.IPC_INFO);
  }

  /**
   * MSG_STAT_ANY on a kernel index (any object, read permission or not); with `checked`,
   * MSG_STAT, which fails with EACCES where the caller may not read (util-linux's fallback).
   */
  static statIndex(index: number, opts: { checked?: boolean } = {}): { id: number; ds: MsqidDs } {
    const { raw, ret } = statRaw(index, opts.checked ? C.MSG_STAT : C.MSG_STAT_ANY);
    return { id: ret, ds: fromRaw(raw) };
  }

  stat(): MsqidDs {
    return fromRaw(statRaw(this.id).raw);
  }

  /** IPC_SET: owner, group, mode bits, and the queue's byte limit. */
  set(change: PermChange & { qbytes?: number }): void {
    const { raw, buf } = statRaw(this.id);
    applyPermChange(raw.msg_perm, change);
    if (change.qbytes !== undefined)
      raw.msg_qbytes = checkInt('qbytes', change.qbytes, 0, Number.MAX_SAFE_INTEGER);
    encode(buf, msqid_ds, raw);
    ctl(this.id, C.IPC_SET, buf);
  }

  remove(): void {
    ctl(this.id, C.IPC_RMID, null);
  }

  /** `using q = MessageQueue.create()`: removed at the end of the scope (one opened with `get` is not). */
  [Symbol.dispose](): void {
    disposeCreated(this);
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
  send(type: number, data: Uint8Array, opts: { nowait?: boolean } = {}): void {
    const msg = packMessage(type, data);
    const flags = opts.nowait ? C.IPC_NOWAIT : 0;
    const args = sndArgs(this.id, type, data.length, flags);
    const r = fn.msgsnd(this.id, msg, data.length, flags) as number;
    if (r < 0) fail('msgsnd', args);
    trace('msgsnd', args, 0);
  }

  /** msgsnd that waits for room without blocking the event loop. */
  sendAsync(type: number, data: Uint8Array, opts: WaitOptions = {}): Promise<void> {
    const msg = packMessage(type, data);
    const args = sndArgs(this.id, type, data.length, C.IPC_NOWAIT);
    const attempt = (waited: boolean) => {
      const r = fn.msgsnd(this.id, msg, data.length, C.IPC_NOWAIT) as number;
      if (r === 0) {
        trace('msgsnd', args, 0);
        return true;
      }
      if (lastErrno() === EAGAIN && !opts.nowait) return WOULD_BLOCK;
      return fail('msgsnd', args, waited);
    };
    if (opts.nowait) return Promise.resolve(void attempt(false));
    if (opts.timeout !== undefined || opts.signal)
      return pollUntil('msgsnd', attempt, opts).then(() => undefined);
    return blockUntil(attempt, async () => {
      if ((await callAsync('msgsnd', this.id, msg, data.length, 0)) !== 0) return null;
      trace('msgsnd', sndArgs(this.id, type, data.length, 0), 0);
      return true;
    }).then(() => undefined);
  }

  /** One msgrcv; null when `nowait` and nothing matches (ENOMSG). Synchronous. */
  receive(opts: ReceiveOptions = {}): Message | null {
    const { buf, size, type, flags } = recvArgs(opts);
    const all = flags | (opts.nowait ? C.IPC_NOWAIT : 0);
    const args = rcvArgs(this.id, size, type, all);
    const n = fn.msgrcv(this.id, buf, size, type, all) as number;
    if (n < 0) {
      if (opts.nowait && lastErrno() === ENOMSG) {
        trace('msgrcv', args, '-1 ENOMSG');
        return null;
      }
      fail('msgrcv', args);
    }
    trace('msgrcv', args, n);
    return unpackMessage(buf, n);
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
        trace('msgrcv', args, '-1 ENOMSG');
        return null;
      }
      fail('msgrcv', args);
    }
    trace('msgrcv', args, n);
    return unpackMessage(buf, n);
  }

  /** msgrcv that waits without blocking the event loop. Throws ENOMSG with `nowait`. */
  receiveAsync(opts: ReceiveOptions = {}): Promise<Message> {
    const { buf, size, type, flags } = recvArgs(opts);
    const args = rcvArgs(this.id, size, type, flags | C.IPC_NOWAIT);
    const attempt = (waited: boolean) => {
      const n = fn.msgrcv(this.id, buf, size, type, flags | C.IPC_NOWAIT) as number;
      if (n >= 0) {
        trace('msgrcv', args, n);
        return unpackMessage(buf, n);
      }
      if (lastErrno() === ENOMSG && !opts.nowait) return WOULD_BLOCK;
      return fail('msgrcv', args, waited);
    };
    if (opts.nowait) return Promise.resolve().then(() => attempt(false) as Message);
    if (opts.timeout !== undefined || opts.signal) return pollUntil('msgrcv', attempt, opts);
    return blockUntil(attempt, async () => {
      const n = await callAsync('msgrcv', this.id, buf, size, type, flags);
      if (n < 0) return null;
      trace('msgrcv', rcvArgs(this.id, size, type, flags), n);
      return unpackMessage(buf, n);
    });
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

const sndArgs = (id: number, type: number, size: number, flags: number) => () =>
  `msqid=${id}, {mtype:${type}}, msgsz=${size}, flags=${msgFlags(flags)}`;
const rcvArgs = (id: number, size: number, type: number, flags: number) => () =>
  `msqid=${id}, msgsz=${size}, msgtyp=${type}, flags=${msgFlags(flags)}`;

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
