// POSIX message queues: mq_open, mq_send/mq_timedsend, mq_receive/mq_timedreceive,
// mq_getattr/mq_setattr, mq_close, mq_unlink. Messages carry a priority; the highest comes first.
import { fstatSync } from 'node:fs';
import { WOULD_BLOCK } from './blocking.js';
import { ipcError } from './errors.js';
import { callAsync, decode, encode, fn, lastErrno, mq_attr, PX, sizeOf } from './libc.js';
import { markCreated } from './owned.js';
import {
  absTimespec,
  CREATE_EXCLUSIVE,
  checkName,
  disposeNamed,
  EAGAIN,
  EBADF,
  ETIMEDOUT,
  fdIdentity,
  InFlight,
  identityOf,
  O,
  openArgs,
  openCall,
  type PosixOpenOptions,
  type PosixWaitOptions,
  waitInSlices,
} from './posix-common.js';
import { checked, fail, type Traced, type Tracer, trace } from './trace.js';
import { checkInt, checkMode, INT_MAX } from './validate.js';

export interface PosixMessage {
  data: Buffer;
  /** 0 to 32767: mq_receive returns the oldest message of the highest priority. */
  priority: number;
}

/** struct mq_attr. */
export interface PosixQueueAttributes {
  /** Whether the descriptor is O_NONBLOCK. */
  nonblocking: boolean;
  maxMessages: number;
  messageSize: number;
  currentMessages: number;
}

export interface PosixQueueOptions extends PosixOpenOptions {
  /** mq_maxmsg of a new queue (default: /proc/sys/fs/mqueue/msg_default). */
  maxMessages?: number;
  /** mq_msgsize of a new queue (default: /proc/sys/fs/mqueue/msgsize_default). */
  messageSize?: number;
}

export interface PosixSendOptions extends PosixWaitOptions {
  priority?: number;
  /** Fail at once with EAGAIN (BusyError) when the queue is full. */
  nowait?: boolean;
}

/** Where Linux shows message queues (util-linux's lsipc reads it too). */
export const MQUEUE_DIR = '/dev/mqueue';

interface RawAttr {
  mq_flags: number | bigint;
  mq_maxmsg: number | bigint;
  mq_msgsize: number | bigint;
  mq_curmsgs: number | bigint;
}

function attrFromRaw(r: RawAttr): PosixQueueAttributes {
  return {
    nonblocking: (Number(r.mq_flags) & O.NONBLOCK) !== 0,
    maxMessages: Number(r.mq_maxmsg),
    messageSize: Number(r.mq_msgsize),
    currentMessages: Number(r.mq_curmsgs),
  };
}

export class PosixMessageQueue {
  #mqd: number;
  readonly #inFlight = new InFlight();
  readonly #messageSize: number;
  /** (device, inode) of the queue this object made, to prove it is still ours before unlinking. */
  #identity: string | null = null;

  /** Where this queue's calls are traced (see Tracer); none by default. */
  readonly trace: Tracer | undefined;

  private constructor(
    readonly name: string,
    mqd: number,
    trace: Tracer | undefined,
  ) {
    this.#mqd = mqd;
    this.trace = trace;
    this.#messageSize = this.attributes().messageSize;
  }

  /** mq_open(name, flags, mode, attr). */
  static open(name: string, opts: PosixQueueOptions = {}): PosixMessageQueue {
    const open = openCall(name, opts);
    let attr: Buffer | null = null;
    if (opts.maxMessages !== undefined || opts.messageSize !== undefined) {
      if (opts.maxMessages === undefined || opts.messageSize === undefined)
        throw new RangeError('maxMessages and messageSize go together (mq_open takes both or neither)');
      attr = Buffer.alloc(sizeOf(mq_attr));
      encode(attr, mq_attr, {
        mq_flags: 0,
        mq_maxmsg: checkInt('maxMessages', opts.maxMessages, 1, INT_MAX),
        mq_msgsize: checkInt('messageSize', opts.messageSize, 1, INT_MAX),
        mq_curmsgs: 0,
        __pad0: 0,
        __pad1: 0,
        __pad2: 0,
        __pad3: 0,
      });
    }
    const args = () =>
      `${open.args()}, ${attr ? `{maxmsg:${opts.maxMessages}, msgsize:${opts.messageSize}}` : 'NULL'}`;
    const mqd = checked('mq_open', args, fn.mq_open(name, open.flags, open.mode, attr) as number, opts.trace);
    return new PosixMessageQueue(name, mqd, opts.trace);
  }

  /** A new queue, made exclusively (EEXIST when the name is taken); unlinked by `using`. */
  static create(name: string, opts: Omit<PosixQueueOptions, 'create' | 'exclusive'> = {}): PosixMessageQueue {
    const q = PosixMessageQueue.open(name, { ...opts, create: true, exclusive: true });
    q.#identity = fdIdentity(q.#mqd);
    return markCreated(q);
  }

  /** mq_unlink(name): the queue goes once the last descriptor is closed. */
  static unlink(name: string, opts: Traced = {}): void {
    checkName(name);
    checked('mq_unlink', () => `"${name}"`, fn.mq_unlink(name) as number, opts.trace);
  }

  /** The queue's descriptor (a file descriptor on Linux); -1 once closed. */
  get mqd(): number {
    return this.#inFlight.closed ? -1 : this.#mqd;
  }

  attributes(): PosixQueueAttributes {
    const buf = Buffer.alloc(sizeOf(mq_attr));
    checked(
      'mq_getattr',
      () => `${this.#mqd}`,
      fn.mq_getattr(this.#live('mq_getattr'), buf) as number,
      this.trace,
    );
    return attrFromRaw(decode<RawAttr>(buf, mq_attr));
  }

  /** mq_setattr: only O_NONBLOCK can change. Waits work either way. */
  setNonBlocking(on: boolean): void {
    const buf = Buffer.alloc(sizeOf(mq_attr));
    encode(buf, mq_attr, { ...zeroAttr(), mq_flags: on ? O.NONBLOCK : 0 });
    checked(
      'mq_setattr',
      () => `${this.#mqd}, {flags:${on ? 'O_NONBLOCK' : '0'}}`,
      fn.mq_setattr(this.#live('mq_setattr'), buf, null) as number,
      this.trace,
    );
  }

  /**
   * mq_send, synchronous: blocks the thread while the queue is full (unless O_NONBLOCK).
   * With `nowait` it throws BusyError (EAGAIN) instead of waiting.
   */
  send(data: Uint8Array, opts: { priority?: number; nowait?: boolean } = {}): void {
    const prio = checkPriority(opts.priority);
    const args = () => `${this.#mqd}, ${data.length} bytes, prio=${prio}`;
    if (opts.nowait) {
      if (this.#trySend(data, prio, args) === WOULD_BLOCK) throw ipcError('mq_send', EAGAIN);
      return;
    }
    checked(
      'mq_send',
      args,
      fn.mq_send(this.#live('mq_send'), data, data.length, prio) as number,
      this.trace,
    );
  }

  /** mq_send that waits for room without blocking the event loop; `timeout` (ms), `signal`. */
  async sendAsync(data: Uint8Array, opts: PosixSendOptions = {}): Promise<void> {
    const prio = checkPriority(opts.priority);
    const args = () => `${this.#mqd}, ${data.length} bytes, prio=${prio}`;
    await waitInSlices(
      'mq_send',
      () => this.#trySend(data, prio, args),
      async (abs) => {
        const r = await callAsync('mq_timedsend', this.#mqd, data, data.length, prio, abs);
        if (r !== 0) return null;
        trace('mq_timedsend', args, 0, this.trace);
        return true as const;
      },
      opts,
      this.#inFlight,
    );
  }

  /** One mq_receive; null when `nowait` and the queue is empty. Synchronous (blocks the thread). */
  receive(opts: { nowait?: boolean } = {}): PosixMessage | null {
    const buf = Buffer.allocUnsafe(this.#messageSize);
    const prio = Buffer.alloc(4);
    if (opts.nowait) {
      const r = this.#tryReceive(buf, prio);
      return r === WOULD_BLOCK ? null : r;
    }
    const args = () => `${this.#mqd}, ${buf.length}`;
    const n = fn.mq_receive(this.#live('mq_receive'), buf, buf.length, prio) as number;
    if (n < 0) fail('mq_receive', args, false, this.trace);
    trace('mq_receive', args, n, this.trace);
    return message(buf, n, prio);
  }

  /**
   * mq_receive without blocking the event loop: the oldest message of the highest priority.
   * Rejects with WaitTimeoutError after `timeout` ms, WaitAbortedError when `signal` aborts.
   */
  async receiveAsync(opts: PosixWaitOptions & { nowait?: boolean } = {}): Promise<PosixMessage> {
    const buf = Buffer.allocUnsafe(this.#messageSize);
    const prio = Buffer.alloc(4);
    return waitInSlices(
      'mq_receive',
      () => this.#tryReceive(buf, prio),
      async (abs) => {
        const n = await callAsync('mq_timedreceive', this.#mqd, buf, buf.length, prio, abs);
        if (n < 0) return null;
        trace('mq_timedreceive', () => `${this.#mqd}, ${buf.length}`, n, this.trace);
        return message(buf, n, prio);
      },
      opts,
      this.#inFlight,
    );
  }

  /**
   * Messages as they arrive, each received only when the loop asks for the next. It ends by
   * `break` or by a rejected wait (timeout, signal, close): unlinking a queue wakes no one.
   */
  async *messages(opts: PosixWaitOptions = {}): AsyncGenerator<PosixMessage, void, undefined> {
    for (;;) yield await this.receiveAsync(opts);
  }

  /** mq_close. Idempotent; a wait in progress ends (EBADF) within one slice, then the close happens. */
  close(): void {
    this.#inFlight.close(() => {
      checked('mq_close', () => `${this.#mqd}`, fn.mq_close(this.#mqd) as number, this.trace);
    });
  }

  /** mq_unlink of this queue's name. */
  remove(): void {
    PosixMessageQueue.unlink(this.name, this);
  }

  /**
   * `using q = PosixMessageQueue.create(...)`: closed, and unlinked when this object made it and
   * the name still leads to that queue (never a queue someone made under the name since).
   */
  [Symbol.dispose](): void {
    disposeNamed(this, () => this.#stillOurs());
  }

  #stillOurs(): boolean {
    if (this.#identity === null) return false;
    const now = identityOf(`${MQUEUE_DIR}${this.name}`);
    // Without /dev/mqueue mounted the name cannot be checked: it was made exclusively by us.
    if (now === null) return !mqueueMounted();
    return now === this.#identity;
  }

  /** The descriptor, never a closed one (its number may belong to another file by now). */
  #live(syscall: string): number {
    if (this.#inFlight.closed) throw ipcError(syscall, EBADF);
    return this.#mqd;
  }

  #trySend(data: Uint8Array, prio: number, args: () => string): true | typeof WOULD_BLOCK {
    const r = fn.mq_timedsend(this.#live('mq_send'), data, data.length, prio, absTimespec(null)) as number;
    if (r === 0) {
      trace('mq_send', args, 0, this.trace);
      return true;
    }
    const errno = lastErrno();
    if (errno === ETIMEDOUT || errno === EAGAIN) return WOULD_BLOCK;
    return fail('mq_send', args, false, this.trace);
  }

  #tryReceive(buf: Buffer, prio: Buffer): PosixMessage | typeof WOULD_BLOCK {
    const args = () => `${this.#mqd}, ${buf.length}`;
    const n = fn.mq_timedreceive(
      this.#live('mq_receive'),
      buf,
      buf.length,
      prio,
      absTimespec(null),
    ) as number;
    if (n >= 0) {
      trace('mq_receive', args, n, this.trace);
      return message(buf, n, prio);
    }
    const errno = lastErrno();
    if (errno === ETIMEDOUT || errno === EAGAIN) return WOULD_BLOCK;
    return fail('mq_receive', args, false, this.trace);
  }
}

function mqueueMounted(): boolean {
  return identityOf(MQUEUE_DIR) !== null;
}

function zeroAttr() {
  return {
    mq_flags: 0,
    mq_maxmsg: 0,
    mq_msgsize: 0,
    mq_curmsgs: 0,
    __pad0: 0,
    __pad1: 0,
    __pad2: 0,
    __pad3: 0,
  };
}

function checkPriority(p: number | undefined): number {
  return checkInt('priority', p ?? 0, 0, PX.MQ_PRIO_MAX - 1);
}

function message(buf: Buffer, n: number, prio: Buffer): PosixMessage {
  // Copy out: the receive buffer is reused by the next attempt.
  return { data: Buffer.from(buf.subarray(0, n)), priority: prio.readUInt32LE(0) };
}

/**
 * `ipcmk -q -n NAME`: mq_open(name, O_RDWR|O_CREAT|O_EXCL, mode, NULL) with the name as given
 * (glibc's rules, not checkName's), then mq_close. Exclusive: an existing queue is never opened.
 * Returns the queue's permission bits as made (the umask applies; on Linux an mqd is an fd).
 */
export function createNamedQueue(name: string, mode: number): number {
  checkMode(mode);
  const args = () => `${openArgs(name, CREATE_EXCLUSIVE, mode)}, NULL`;
  const mqd = checked('mq_open', args, fn.mq_open(name, CREATE_EXCLUSIVE, mode, null) as number);
  try {
    return fstatSync(mqd).mode & 0o777;
  } finally {
    fn.mq_close(mqd);
  }
}

/** mq_unlink(name) with the name as given (`ipcrm --posix-mqueue NAME`). */
export function unlinkNamedQueue(name: string): void {
  checked('mq_unlink', () => `"${name}"`, fn.mq_unlink(name) as number);
}
