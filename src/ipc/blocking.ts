// How svipc waits on a blocking System V call without blocking the event loop.
//
// koffi runs `.async` calls on libuv's thread pool, and errno lives in that pool thread:
// koffi.errno() on the main thread cannot see it. So a blocking call is never trusted to
// report its own failure. Every wait is a loop of:
//   1. the call made synchronously with IPC_NOWAIT: exact result or exact errno;
//   2. if it would block: the same call made blocking through `.async`; a result >= 0 is
//      final; -1 (errno unknown) just sends us back to step 1, which re-asks the kernel.
// A bounded or abortable msgrcv/msgsnd cannot use step 2 (a pool thread blocked in msgrcv
// cannot be called back and would eat a message after we gave up), so those poll step 1
// with a short back-off instead. semtimedop carries its own kernel-side timeout.

import { ERRNO } from './errno.js';

const { EINVAL, EIDRM } = ERRNO;

export class WaitTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly syscall: string,
    timeoutMs: number,
  ) {
    super(`${syscall} timed out after ${timeoutMs / 1000} s`);
    this.name = 'WaitTimeoutError';
  }
}

export class WaitAbortedError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(readonly syscall: string) {
    super(`${syscall} interrupted`);
    this.name = 'WaitAbortedError';
  }
}

/** Returned by an attempt that would have blocked. */
export const WOULD_BLOCK: unique symbol = Symbol('would block');
/** `waited`: a wait came before this try (so EINVAL now means the object was removed: EIDRM). */
export type Attempt<T> = (waited: boolean) => T | typeof WOULD_BLOCK;

export function deadlineOf(timeoutMs: number | undefined): number | undefined {
  return timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
}

/**
 * How long the next step of a wait (a sleep, a slice) may take: `ms`, or less when the deadline
 * (deadlineOf `timeout`) is nearer; WaitTimeoutError for `syscall` once it has passed.
 */
export function stepWithin(
  syscall: string,
  ms: number,
  deadline: number | undefined,
  timeout: number | undefined,
): number {
  if (deadline === undefined) return ms;
  const left = deadline - performance.now();
  if (left <= 0) throw new WaitTimeoutError(syscall, timeout!);
  return Math.min(ms, left);
}

/** The longest single setTimeout: Node fires a longer one at once (TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 0x7fffffff;

/**
 * setTimeout for any delay: chains timers of at most MAX_TIMER_MS (about 24.8 days), so a
 * long --timeout really waits that long instead of firing at once. `refresh()` starts the
 * whole delay again, as Timeout.refresh() does.
 */
export class LongTimer {
  #t: ReturnType<typeof setTimeout> | undefined;
  #end = 0;
  constructor(
    readonly fn: () => void,
    readonly ms: number,
  ) {
    this.refresh();
  }

  refresh(): this {
    this.clear();
    this.#end = performance.now() + this.ms;
    this.#arm(this.ms);
    return this;
  }

  clear(): void {
    if (this.#t !== undefined) clearTimeout(this.#t);
    this.#t = undefined;
  }

  #arm(left: number): void {
    this.#t = setTimeout(
      () => {
        const rest = this.#end - performance.now();
        if (rest > 1) this.#arm(rest);
        else {
          this.#t = undefined;
          this.fn();
        }
      },
      Math.max(0, Math.min(left, MAX_TIMER_MS)),
    );
  }
}

export function longTimeout(fn: () => void, ms: number): LongTimer {
  return new LongTimer(fn, ms);
}

export function clearLongTimeout(h: LongTimer | undefined): void {
  h?.clear();
}

/** Wait `ms` (any length), or less when `signal` aborts first (resolves either way; the caller checks). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = longTimeout(done, ms);
    function done() {
      clearLongTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Poll `attempt` until it stops returning WOULD_BLOCK, backing off from 1 ms to 20 ms.
 * Exact to within the back-off, cancellable, and never leaves a call behind.
 */
export async function pollUntil<T>(
  syscall: string,
  attempt: Attempt<T>,
  opts: { timeout?: number; signal?: AbortSignal },
): Promise<T> {
  const deadline = deadlineOf(opts.timeout);
  let delay = 1;
  for (let waited = false; ; waited = true) {
    if (opts.signal?.aborted) throw new WaitAbortedError(syscall);
    const r = attempt(waited);
    if (r !== WOULD_BLOCK) return r;
    await sleep(stepWithin(syscall, delay, deadline, opts.timeout), opts.signal);
    delay = Math.min(delay * 2, 20);
  }
}

/**
 * Try `attempt` (non-blocking, exact errno); when it would block, make the blocking call
 * through `.async` (`blockAsync` resolves to the call's raw return value, or to `null` when
 * it returned -1) and turn its result into a value with `accept`.
 */
export async function blockUntil<T>(attempt: Attempt<T>, blockAsync: () => Promise<T | null>): Promise<T> {
  let failures = 0;
  for (let waited = false; ; waited = true) {
    const r = attempt(waited);
    if (r !== WOULD_BLOCK) return r;
    const started = performance.now();
    const done = await blockAsync();
    if (done !== null) return done;
    // -1 from the pool thread: a signal, EIDRM, a timeout... step 1 finds out which.
    // A call that fails at once again and again (it should not) must not spin a core.
    failures = performance.now() - started < 1 ? failures + 1 : 0;
    if (failures > 3) await sleep(Math.min(2 ** failures, 50));
  }
}

/**
 * The errno to report for a failed re-try: after a wait, EINVAL means the id vanished while
 * we were blocked, which the kernel reported to the blocked call as EIDRM.
 */
export function errnoAfterWait(errno: number, waited: boolean): number {
  return waited && errno === EINVAL ? EIDRM : errno;
}
