// POSIX named semaphores: sem_open, sem_post, sem_trywait/sem_timedwait, sem_getvalue,
// sem_close, sem_unlink. glibc keeps one as the file /dev/shm/sem.NAME, mapped into each user.
import { statSync } from 'node:fs';
import { WOULD_BLOCK } from './blocking.js';
import { ipcError } from './errors.js';
import { type Address, addressOf, callAsync, fn, lastErrno, PX } from './libc.js';
import { markCreated } from './owned.js';
import {
  CREATE_EXCLUSIVE,
  checkName,
  disposeNamed,
  EAGAIN,
  EBADF,
  InFlight,
  identityOf,
  openArgs,
  openCall,
  type PosixOpenOptions,
  type PosixWaitOptions,
  waitInSlices,
} from './posix-common.js';
import { checked, fail, type Traced, type Tracer, trace } from './trace.js';
import { checkInt, checkMode } from './validate.js';

/** Where glibc keeps named semaphores: "/NAME" is the file /dev/shm/sem.NAME. */
export const SEM_DIR = '/dev/shm';

export function semaphorePath(name: string): string {
  return `${SEM_DIR}/sem.${name.slice(1)}`;
}

export class PosixSemaphore {
  #sem: Address;
  readonly #inFlight = new InFlight();
  #identity: string | null = null;

  /** Where this semaphore's calls are traced (see Tracer); none by default. */
  readonly trace: Tracer | undefined;

  private constructor(
    readonly name: string,
    sem: Address,
    trace: Tracer | undefined,
  ) {
    this.#sem = sem;
    this.trace = trace;
  }

  /** sem_open(name, flags, mode, value); `value` (default 0) is used only when it is created. */
  static open(name: string, opts: PosixOpenOptions & { value?: number } = {}): PosixSemaphore {
    // A semaphore is read and changed: sem_open always maps it read-write.
    const open = openCall(name, { ...opts, access: 'readwrite' });
    const value = checkInt('value', opts.value ?? 0, 0, PX.SEM_VALUE_MAX);
    const args = () => `${open.args()}, ${value}`;
    const sem = fn.sem_open(name, open.flags, open.mode, value) as Address;
    if (sem === null || addressOf(sem) === 0n) fail('sem_open', args, false, opts.trace); // SEM_FAILED
    trace('sem_open', args, `0x${addressOf(sem).toString(16)}`, opts.trace);
    return new PosixSemaphore(name, sem, opts.trace);
  }

  /** A new semaphore, made exclusively (EEXIST when the name is taken); unlinked by `using`. */
  static create(name: string, opts: { value?: number; mode?: number } & Traced = {}): PosixSemaphore {
    const s = PosixSemaphore.open(name, { ...opts, create: true, exclusive: true });
    s.#identity = identityOf(semaphorePath(name));
    return markCreated(s);
  }

  /** sem_unlink(name): the semaphore goes once the last process closes it. */
  static unlink(name: string, opts: Traced = {}): void {
    checkName(name);
    checked('sem_unlink', () => `"${name}"`, fn.sem_unlink(name) as number, opts.trace);
  }

  get closed(): boolean {
    return this.#inFlight.closed;
  }

  /** sem_getvalue. */
  value(): number {
    this.#check('sem_getvalue');
    const out = Buffer.alloc(4);
    checked('sem_getvalue', () => `"${this.name}"`, fn.sem_getvalue(this.#sem, out) as number, this.trace);
    return out.readInt32LE(0);
  }

  /** sem_post: add one (EOVERFLOW at SEM_VALUE_MAX). */
  post(): void {
    this.#check('sem_post');
    checked('sem_post', () => `"${this.name}"`, fn.sem_post(this.#sem) as number, this.trace);
  }

  /** sem_trywait: take one if the value is above 0; false when it would have to wait. */
  tryWait(): boolean {
    return this.#tryWait() !== WOULD_BLOCK;
  }

  /**
   * Take one, waiting without blocking the event loop: rejects with WaitTimeoutError after
   * `timeout` ms, WaitAbortedError when `signal` aborts; with `nowait`, BusyError (EAGAIN).
   */
  async wait(opts: PosixWaitOptions & { nowait?: boolean } = {}): Promise<void> {
    await waitInSlices(
      'sem_wait',
      () => this.#tryWait(),
      async (abs) => {
        if ((await callAsync('sem_timedwait', this.#sem, abs)) !== 0) return null;
        trace('sem_timedwait', () => `"${this.name}"`, 0, this.trace);
        return true as const;
      },
      opts,
      this.#inFlight,
    );
  }

  /** sem_close. Idempotent; a wait in progress ends (EBADF) within one slice, then the close happens. */
  close(): void {
    this.#inFlight.close(() => {
      checked('sem_close', () => `"${this.name}"`, fn.sem_close(this.#sem) as number, this.trace);
    });
  }

  /** sem_unlink of this semaphore's name. */
  remove(): void {
    PosixSemaphore.unlink(this.name, this);
  }

  /** `using s = PosixSemaphore.create(...)`: closed, and unlinked when this object made it (and still is it). */
  [Symbol.dispose](): void {
    disposeNamed(
      this,
      () => this.#identity !== null && identityOf(semaphorePath(this.name)) === this.#identity,
    );
  }

  #check(syscall: string): void {
    // Never hand a closed (unmapped) sem_t to libc.
    if (this.#inFlight.closed) throw ipcError(syscall, EBADF);
  }

  #tryWait(): true | typeof WOULD_BLOCK {
    this.#check('sem_trywait');
    const args = () => `"${this.name}"`;
    if ((fn.sem_trywait(this.#sem) as number) === 0) {
      trace('sem_trywait', args, 0, this.trace);
      return true;
    }
    if (lastErrno() === EAGAIN) return WOULD_BLOCK;
    return fail('sem_trywait', args, false, this.trace);
  }
}

/**
 * `ipcmk -s -n NAME`: sem_open(name, O_CREAT|O_EXCL, mode, 0) with the name as given (glibc's
 * rules, not checkName's), then sem_close. Exclusive: an existing semaphore is never opened.
 * Returns its permission bits as made (the umask applies): from its file, /dev/shm/sem.NAME
 * (glibc drops leading slashes), or, should that not be readable, the mode less the umask.
 */
export function createNamedSemaphore(name: string, mode: number): number {
  checkMode(mode);
  const args = () => `${openArgs(name, CREATE_EXCLUSIVE, mode)}, 0`;
  const sem = fn.sem_open(name, CREATE_EXCLUSIVE, mode, 0) as Address;
  if (sem === null || addressOf(sem) === 0n) fail('sem_open', args); // SEM_FAILED
  trace('sem_open', args, `0x${addressOf(sem).toString(16)}`);
  fn.sem_close(sem);
  try {
    return statSync(`${SEM_DIR}/sem.${name.replace(/^\/+/, '')}`).mode & 0o777;
  } catch {
    return mode & ~process.umask();
  }
}

/** sem_unlink(name) with the name as given (`ipcrm --posix-semaphore NAME`). */
export function unlinkNamedSemaphore(name: string): void {
  checked('sem_unlink', () => `"${name}"`, fn.sem_unlink(name) as number);
}
