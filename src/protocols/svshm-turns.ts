// The turn scheduler and the peer watch of the svshm transfer (lecture mode and --fast):
// each side waits for its semaphore without blocking the event loop for long, and notices a
// peer that died (its attach to the segment is gone).
import {
  isIpcError,
  type PreparedSemOp,
  SharedMemory,
  type ShmidDs,
  type Tracer,
  WaitAbortedError,
} from '../ipc/index.js';
import { alive } from '../proc/liveness.js';
import { TransferError } from './svshm-xfr.js';

// ---- timing ----
// Spinning (IPC_NOWAIT tries, about 0.5 us each) before sleeping in the kernel pays when
// the peer runs on another core and finishes its turn within microseconds: a sleep and a
// wake-up cost tens of microseconds. It is waste when the peer is slow (a slow pipe) or
// has no core (on a busy host the spinner takes the CPU its peer needs). So each side
// keeps a running success rate of its spins: it spins (for about twice what a successful
// spin took) while more than half succeed, and otherwise only probes, one wait in 128
// (for at least 30 us).
const SPIN_MIN_MS = 0.002;
const SPIN_MAX_MS = 0.1;
const SPIN_PROBE_MS = 0.03;
const SPIN_PROBE_EVERY = 128;
/** Longest synchronous semtimedop: how long the event loop may wait for it. */
const SLICE_MS = 50;
/** Yield to the event loop (signals, timers) at least this often during a transfer. */
const YIELD_EVERY_MS = 20;
const PROGRESS_EVERY_MS = 250;
/** A peer must look gone this long before we believe it (it may be between shmdt and semop). */
const GONE_CONFIRM_MS = 100;
/** ...or this long when it detached but its process is still there. */
const LINGER_MS = 1000;
/** How often a reader looks for its writer. */
export const FIND_POLL_MS = 20;

export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function checkAbort(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new WaitAbortedError(what);
}

export function errCode(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}

/** The wait loop shared by both sides: `peerCheck` throws when the peer is gone. */
export class Turns {
  #nextYield = performance.now() + YIELD_EVERY_MS;
  #nextProgress = performance.now() + PROGRESS_EVERY_MS;
  readonly #spinning: boolean;
  /** Running share of spins that got the turn, and running time such a spin took (ms). */
  #spinRate = 0.5;
  #spinTime = SPIN_MIN_MS;
  #waits = 0;

  constructor(
    readonly signal: AbortSignal | undefined,
    readonly peerCheck: () => void,
    readonly progress: (() => void) | undefined,
    trace?: Tracer,
  ) {
    // --trace=all shows every call: no spinning then (it would print hundreds of EAGAINs).
    // Plain --trace shows each P once, as the lecture's semop, however it was waited for.
    this.#spinning = !trace?.all;
  }

  /**
   * P on a prepared op, synchronously when it can be: true when we hold the semaphore,
   * false when the caller must `await acquire(op)` (time to yield, or the peer is slow).
   * The hot loop pays no promise for a turn that comes within a slice.
   */
  take(op: PreparedSemOp): boolean {
    if (performance.now() >= this.#nextYield) return false;
    // Not spinning: the timed wait is also the first try (it returns at once if it can).
    if ((this.#spinning && this.#spin(op)) || op.wait(SLICE_MS)) {
      op.traceDone();
      return true;
    }
    return false;
  }

  /** P on a prepared op: resolves once we hold the semaphore. */
  async acquire(op: PreparedSemOp): Promise<void> {
    if (performance.now() >= this.#nextYield) {
      await this.pause();
      if (this.take(op)) return;
    }
    for (;;) {
      await this.pause();
      this.peerCheck();
      if (op.wait(SLICE_MS)) {
        op.traceDone();
        return;
      }
    }
  }

  /** Retry without blocking for a while, when that has been paying off. */
  #spin(op: PreparedSemOp): boolean {
    if (op.try()) return true;
    const probe = ++this.#waits % SPIN_PROBE_EVERY === 0;
    if (this.#spinRate < 0.5 && !probe) return false;
    const t0 = performance.now();
    const budget = Math.min(SPIN_MAX_MS, 2 * this.#spinTime + SPIN_MIN_MS);
    const until = t0 + (probe ? Math.max(budget, SPIN_PROBE_MS) : budget);
    do {
      if (op.try()) {
        this.#spinRate += (1 - this.#spinRate) / 8;
        this.#spinTime += (performance.now() - t0 - this.#spinTime) / 8;
        return true;
      }
    } while (performance.now() < until);
    this.#spinRate -= this.#spinRate / 8;
    return false;
  }

  /** Let the event loop run; throws when aborted. */
  async pause(): Promise<void> {
    await yieldToLoop();
    checkAbort(this.signal, 'semop');
    const now = performance.now();
    this.#nextYield = now + YIELD_EVERY_MS;
    if (this.progress && now >= this.#nextProgress) {
      this.#nextProgress = now + PROGRESS_EVERY_MS;
      this.progress();
    }
  }
}

/**
 * Attach-count watch: the peer is attached while nattch >= 2 (it and us). Gone means
 * "was seen (attached, or the last to attach or detach), and has looked absent for
 * GONE_CONFIRM_MS".
 */
export class PeerWatch {
  seen: boolean;
  #missingSince: number | undefined;
  /** The segment as the watch sees it: its IPC_STAT polls are traced only with --trace=all. */
  readonly #polled: SharedMemory;
  constructor(
    readonly shm: SharedMemory,
    seen: boolean,
  ) {
    this.seen = seen;
    this.#polled = new SharedMemory(shm.id, { trace: shm.trace?.detail });
  }

  /** true when the peer is gone for sure. */
  gone(): boolean {
    let st: ShmidDs;
    try {
      st = this.#polled.stat();
    } catch (e) {
      if (isIpcError(e, 'EINVAL', 'EIDRM')) return true;
      throw e;
    }
    // The last shmat/shmdt was not ours: a peer attached since we did, maybe already gone
    // (killed before we ever saw it attached).
    if (st.lpid !== process.pid) this.seen = true;
    if (st.nattch >= 2) {
      this.seen = true;
      this.#missingSince = undefined;
      return false;
    }
    if (!this.seen) return false;
    const now = performance.now();
    if (this.#missingSince === undefined) this.#missingSince = now;
    // The last to detach was the peer. Still alive, it may be between its shmdt and its
    // last semop (the reader's end, descheduled on a busy host): give it longer.
    const lingering = st.lpid !== process.pid && alive(st.lpid);
    return now - this.#missingSince >= (lingering ? LINGER_MS : GONE_CONFIRM_MS);
  }
}

/** Run a clean-up step; when failing already (`quiet`), its own error is not the one to report. */
export function step(quiet: boolean, f: () => void): void {
  if (!quiet) {
    f();
    return;
  }
  try {
    f();
  } catch {
    // already gone, or we are failing anyway: the first error is the one reported
  }
}

export function translate(e: unknown, side: 'writer' | 'reader'): unknown {
  // The set vanished under us: removed by the writer (reader side) or by someone else.
  if (isIpcError(e, 'EIDRM', 'EINVAL') && (e.syscall === 'semop' || e.syscall === 'semtimedop')) {
    return new TransferError(
      side === 'reader'
        ? 'the writer removed the semaphore set: transfer interrupted'
        : 'the semaphore set was removed by someone else: transfer interrupted',
    );
  }
  return e;
}
