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
// A wait for a turn may spin (IPC_NOWAIT tries, about 0.5 us each) before it sleeps in the
// kernel (semtimedop). Spinning pays when the peer runs on another core and ends its turn
// within microseconds: a sleep costs a wake-up, tens of microseconds when the sleeper's core
// went idle (the lecture's C programs pay two a transfer). It is waste when the peer is slow
// (a slow pipe, no peer yet) or has no core of its own (on a busy host the spinner takes the
// CPU its peer needs). SpinPolicy decides from what the waits took:
//   - `typical`, a running average of how long a turn took to come, spun for or slept for:
//     a side that sleeps learns that its turns come within tens of microseconds, and spins
//     for them (2 * typical + SPIN_MIN_MS, at most SPIN_MAX_MS);
//   - `rate`, the running share of spins that got the turn.
// While turns take longer than SPIN_MAX_MS (an idle or slow peer) or spins keep missing (rate
// below one half: the peer has no core while we spin, as when the scheduler puts both on one
// core), only a probe spins (SPIN_PROBE_SLOW_MS while turns are slow, else SPIN_MAX_MS): one
// wait in `probeEvery`, which doubles (SPIN_PROBE_MIN to SPIN_PROBE_MAX) with each probe that
// misses, and starts again from SPIN_PROBE_MIN once one gets its turn; a probe that gets it makes its time the typical one,
// and spinning resumes at once. Without probes while turns are slow, two sides that both
// sleep stay slow: each turn then waits for its sleeper to wake (tens to hundreds of
// microseconds on an idle core of a virtual machine), which is the very figure that kept them
// from spinning (a 256 MiB transfer on two cores took 2.6 s instead of 0.5 s, as often as not).
// Once both sides spin, neither sleeps: a turn costs the two copies and a few system calls.
const SPIN_MIN_MS = 0.02;
const SPIN_MAX_MS = 0.1;
const SPIN_PROBE_MIN = 16;
const SPIN_PROBE_MAX = 1024;
/**
 * A probe while turns are slow outlasts a sleeper's wake-up: after a C pair had just run on this
 * 2-core VM, a 0.1 ms probe never got its turn (the transfer stayed at 2.6-3.3 s), 0.5 ms mostly
 * did (0.7-0.9 s), 1 ms always (0.6 s).
 */
const SPIN_PROBE_SLOW_MS = 1;
/** Running averages move this share of the way to each new figure. */
const SPIN_GAIN = 1 / 8;

/** How long each wait for a turn spins before it sleeps (see above); no system calls, no clock. */
export class SpinPolicy {
  /** Running time a turn took to come (ms), and running share of spins that got it. */
  #typical = SPIN_MIN_MS;
  #rate = 1;
  /** While only probes spin: waits since the last probe, and how many waits a probe comes after. */
  #waits = 0;
  #probeEvery = SPIN_PROBE_MIN;
  /** The wait now under way is a probe. */
  #probing = false;

  /** How long (ms) the next wait spins before it sleeps; 0: it sleeps at once. */
  budget(): number {
    this.#probing = false;
    if (this.#typical <= SPIN_MAX_MS && this.#rate >= 0.5)
      return Math.min(SPIN_MAX_MS, 2 * this.#typical + SPIN_MIN_MS);
    if (++this.#waits < this.#probeEvery) return 0;
    this.#waits = 0;
    this.#probing = true;
    return this.#typical > SPIN_MAX_MS ? SPIN_PROBE_SLOW_MS : SPIN_MAX_MS;
  }

  /** The turn was there at once (the first try got it). */
  ready(): void {
    this.#typical -= this.#typical * SPIN_GAIN;
  }

  /** A spin got the turn after `ms`. */
  won(ms: number): void {
    this.#probeEvery = SPIN_PROBE_MIN;
    if (this.#probing) {
      // Spinning pays again: from the next wait on, not after the averages have crept back.
      this.#typical = ms;
      this.#rate = Math.max(this.#rate, 0.5);
      return;
    }
    this.#rate += (1 - this.#rate) * SPIN_GAIN;
    this.#typical += (ms - this.#typical) * SPIN_GAIN;
  }

  /** The turn came after `ms` of waiting in the kernel (after a spin that missed it, when `spun`). */
  slept(ms: number, spun: boolean): void {
    if (spun) {
      if (this.#probing) this.#probeEvery = Math.min(2 * this.#probeEvery, SPIN_PROBE_MAX);
      this.#rate -= this.#rate * SPIN_GAIN;
    }
    this.#typical += (ms - this.#typical) * SPIN_GAIN;
  }
}

/** Longest synchronous semtimedop: how long the event loop may wait for it. */
const SLICE_MS = 50;
/** Yield to the event loop (signals, timers) at least this often during a transfer. */
const YIELD_EVERY_MS = 20;
const PROGRESS_EVERY_MS = 250;
/** A peer must look gone this long before we believe it (it may be between shmdt and semop). */
const GONE_CONFIRM_MS = 100;
/** ...or this long when it detached but its process is still there. */
const LINGER_MS = 1000;
/** How often, at most, a reader looks for its writer... */
const FIND_POLL_MS = 20;
/** ...and at first: a writer started with its reader shows up within a Node start-up. */
const FIND_POLL_MIN_MS = 1;
/** The poll interval is this share of the wait so far: what a late writer loses is ~2% of it. */
const FIND_POLL_SHARE = 1 / 25;

/**
 * How long (ms) a reader that has looked for its writer for `waitedMs` sleeps before it
 * looks again: 1 ms at first (a writer started with the reader appears within its start-up,
 * and each ms lost is a ms of the transfer), growing with the wait to FIND_POLL_MS (a reader
 * left waiting costs next to no CPU): about 100 polls in the first half second, then 50 a second.
 */
export function findPollDelay(waitedMs: number): number {
  return Math.min(FIND_POLL_MS, Math.max(FIND_POLL_MIN_MS, waitedMs * FIND_POLL_SHARE));
}

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
  /** How long to spin; undefined: never (--trace=all). */
  readonly #spin: SpinPolicy | undefined;

  constructor(
    readonly signal: AbortSignal | undefined,
    readonly peerCheck: () => void,
    readonly progress: (() => void) | undefined,
    trace?: Tracer,
  ) {
    // --trace=all shows every call: no spinning then (it would print hundreds of EAGAINs).
    // Plain --trace shows each P once, as the lecture's semop, however it was waited for.
    this.#spin = trace?.all ? undefined : new SpinPolicy();
  }

  /**
   * P on a prepared op, synchronously when it can be: true when we hold the semaphore,
   * false when the caller must `await acquire(op)` (time to yield, or the peer is slow).
   * The hot loop pays no promise for a turn that comes within a slice.
   */
  take(op: PreparedSemOp): boolean {
    const t0 = performance.now();
    if (t0 >= this.#nextYield) return false;
    const policy = this.#spin;
    const budget = policy ? policy.budget() : 0;
    if (budget > 0 && this.#spun(op, policy!, t0, budget)) {
      op.traceDone();
      return true;
    }
    // Not spinning: the timed wait is also the first try (it returns at once if it can).
    const got = op.wait(SLICE_MS);
    policy?.slept(got ? performance.now() - t0 : SLICE_MS, budget > 0);
    if (got) op.traceDone();
    return got;
  }

  /** Retry without blocking for up to `budget` ms from `t0`: true when that got the turn. */
  #spun(op: PreparedSemOp, policy: SpinPolicy, t0: number, budget: number): boolean {
    if (op.try()) {
      policy.ready();
      return true;
    }
    const until = t0 + budget;
    do {
      if (op.try()) {
        policy.won(performance.now() - t0);
        return true;
      }
    } while (performance.now() < until);
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
