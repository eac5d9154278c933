// The lecture's svshm transfer (svshm-xfr.h, svshm-writer.c, svshm-reader.c): a writer
// copies stdin into a shared memory segment, a reader copies it to stdout, and two
// semaphores make them take turns.
//
//   SHM_KEY 0x1234, SEM_KEY 0x5678, OBJ_PERMS 0660
//   semaphore set of 2: WRITE_SEM 0 (init 1, "the writer may fill the buffer"),
//                       READ_SEM 1 (init 0, "the reader may empty it")
//   struct shmseg { int cnt; char buf[BUF_SIZE]; }   BUF_SIZE 10240, cnt in native order
//   writer: P(W) read(stdin, buf) -> cnt V(R) ... until cnt == 0, then one more P(W)
//           (the reader's last turn), then removes the set and the segment
//   reader: P(R) cnt == 0 ? stop : write(stdout, buf, cnt) V(W) ... then shmdt and V(W)
//
// Wire-compatible with the lecture's C programs both ways. What svipc adds:
// - the reader may start first: it waits (bounded) until the writer's set exists and its
//   sem_otime is not 0 (the lecture's sem_otime idea: the writer initializes the set and
//   then makes its first semop, so otime != 0 means "initialized, segment attached");
// - every wait is bounded: a peer that dies (even SIGKILL) is noticed within a fraction of
//   a second (the segment's attach count drops), a signal ends the wait at once; the
//   writer then removes what it created, the reader detaches;
// - data goes straight between stdin/stdout and the attached segment (no copy in between).
//
// Waiting: a semop with IPC_NOWAIT first (the peer is usually done already), a short spin
// of such tries, then semtimedop on the main thread in short slices (the event loop waits
// meanwhile; a signal interrupts the call, and between slices we yield to the event loop,
// check for abort and check that the peer is still attached).
import { writeSync as fsWriteSync, readFileSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import type { Writable } from 'node:stream';
import {
  type Attachment,
  type IpcPerm,
  isIpcError,
  type PreparedSemOp,
  SemaphoreSet,
  SharedMemory,
  type ShmidDs,
  sleep,
  tracing,
  WaitAbortedError,
} from '../ipc/index.js';
import { otherOwner, tooSmall } from './shmseg.js';

export const SHM_KEY = 0x1234;
export const SEM_KEY = 0x5678;
/** S_IRUSR | S_IWUSR | S_IRGRP | S_IWGRP */
export const OBJ_PERMS = 0o660;
export const WRITE_SEM = 0;
export const READ_SEM = 1;
export const BUF_SIZE = 10240;
/** sizeof(int): the `cnt` field before the data. */
export const CNT_SIZE = 4;
/** The largest --buffer-size (cnt is an int; readSync/writeSync take < 2 GiB). */
export const MAX_BUF_SIZE = 1 << 30;

/** sizeof(struct shmseg) for a buffer of `bufSize` bytes. */
export function segmentSize(bufSize: number = BUF_SIZE): number {
  return CNT_SIZE + bufSize;
}

const LE = endianness() === 'LE';
export function readCnt(seg: Buffer): number {
  return LE ? seg.readInt32LE(0) : seg.readInt32BE(0);
}
export function writeCnt(seg: Buffer, cnt: number): void {
  if (LE) seg.writeInt32LE(cnt, 0);
  else seg.writeInt32BE(cnt, 0);
}

/** An expected failure of a transfer: the command prints the message. */
export class TransferError extends Error {
  constructor(
    message: string,
    /** Gave up waiting (--timeout): exit 124 rather than 1. */
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'TransferError';
  }
}

export interface TransferResult {
  /** Data bytes transferred. */
  bytes: number;
  /** Non-empty buffers transferred (the lecture's "xfrs"). */
  xfrs: number;
}

interface CommonOptions {
  shmKey?: number;
  semKey?: number;
  /** Aborted by SIGINT/SIGTERM/SIGHUP: the wait ends with WaitAbortedError after cleanup. */
  signal?: AbortSignal;
  /** Called about every 250 ms during the transfer, and once at the end with done = true. */
  onProgress?: (p: TransferResult, done: boolean) => void;
  /** A line worth telling the user (stale objects removed...). */
  onNotice?: (message: string) => void;
  /** Called once the set and segment are ready (writer) or found (reader). */
  onReady?: (info: { semid: number; shmid: number; bufSize: number; peerPid?: number }) => void;
}

export interface WriterOptions extends CommonOptions {
  /** Size of `buf` in struct shmseg (default BUF_SIZE). */
  bufferSize?: number;
  /** Give up when no reader has shown up within this many ms (default: wait forever). */
  timeoutMs?: number;
  /** Where the data comes from (default 0, stdin). */
  inputFd?: number;
  /** Remove a killed writer's leftovers at our keys (default true; see reclaimStale). */
  reclaim?: boolean;
}

export interface ReaderOptions extends CommonOptions {
  /** How long to wait for the writer to appear (default 30 s). */
  timeoutMs?: number;
  /** The largest cnt accepted (default: what the segment holds). */
  bufferSize?: number;
  /** Where the data goes (default 1, stdout)... */
  outputFd?: number;
  /** ...and its stream, to wait for room when the fd is a full non-blocking pipe. */
  output?: Writable;
}

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
const FIND_POLL_MS = 20;
export const DEFAULT_READER_TIMEOUT_MS = 30_000;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function checkAbort(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new WaitAbortedError(what);
}

function errCode(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}

/** The wait loop shared by both sides: `peerCheck` throws when the peer is gone. */
class Turns {
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
  ) {
    // --trace shows every call: no spinning then (it would print hundreds of EAGAINs).
    this.#spinning = !tracing();
  }

  /**
   * P on a prepared op, synchronously when it can be: true when we hold the semaphore,
   * false when the caller must `await acquire(op)` (time to yield, or the peer is slow).
   * The hot loop pays no promise for a turn that comes within a slice.
   */
  take(op: PreparedSemOp): boolean {
    if (performance.now() >= this.#nextYield) return false;
    if (this.#spinning && this.#spin(op)) return true;
    // Not spinning: the timed wait is also the first try (it returns at once if it can).
    return op.wait(SLICE_MS);
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
      if (op.wait(SLICE_MS)) return;
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
class PeerWatch {
  seen: boolean;
  #missingSince: number | undefined;
  constructor(
    readonly shm: SharedMemory,
    seen: boolean,
  ) {
    this.seen = seen;
  }

  /** true when the peer is gone for sure. */
  gone(): boolean {
    let st: ShmidDs;
    try {
      st = this.shm.stat();
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

/** Wait (briefly, cancellably) until `fd` is readable again after EAGAIN. */
async function readRetry(tries: number, signal: AbortSignal | undefined): Promise<void> {
  // A short burst of event-loop turns first (the producer is usually right behind us),
  // then sleeps of 1..10 ms so a slow producer does not cost a core.
  if (tries < 50) await yieldToLoop();
  else await sleep(Math.min(1 << Math.min(tries - 50, 3), 10), signal);
  checkAbort(signal, 'read');
}

/** One read, now: the byte count (0 at EOF), or -1 when the caller must await readInput. */
function readNow(fd: number, buf: Buffer, offset: number, length: number): number {
  try {
    return readSync(fd, buf, offset, length, null);
  } catch {
    return -1; // readInput makes the call again and sorts out what happened
  }
}

async function readInput(fd: number, buf: Buffer, offset: number, length: number, signal?: AbortSignal) {
  for (let tries = 0; ; tries++) {
    try {
      return readSync(fd, buf, offset, length, null);
    } catch (e) {
      const code = errCode(e);
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') await readRetry(tries, signal);
      else if (code === 'EINTR') checkAbort(signal, 'read');
      else if (code === 'EOF') return 0;
      else throw new TransferError(`cannot read standard input: ${(e as Error).message}`);
    }
  }
}

// ---- the writer ----

/** The lecture's svshm-writer: stdin -> segment, until EOF; then waits for the reader's last turn. */
export async function runWriter(o: WriterOptions = {}): Promise<TransferResult> {
  const shmKey = o.shmKey ?? SHM_KEY;
  const semKey = o.semKey ?? SEM_KEY;
  const bufSize = o.bufferSize ?? BUF_SIZE;
  const fd = o.inputFd ?? 0;
  if (!Number.isInteger(bufSize) || bufSize < 1 || bufSize > MAX_BUF_SIZE)
    throw new RangeError(`buffer size must be 1..${MAX_BUF_SIZE}`);

  let shm: SharedMemory | undefined;
  let sem: SemaphoreSet | undefined;
  let att: Attachment | undefined;
  let done = false;
  const result: TransferResult = { bytes: 0, xfrs: 0 };
  try {
    // The segment first, attached, then the set: once the set's otime is not 0, a reader
    // finds everything in place (the C writer makes the set first: the reader copes).
    const create = () =>
      SharedMemory.get(shmKey, segmentSize(bufSize), { create: true, exclusive: true, mode: OBJ_PERMS });
    try {
      shm = create();
    } catch (e) {
      if (!isIpcError(e, 'EEXIST')) throw e;
      const pid = o.reclaim === false ? undefined : reclaimStale(shmKey, semKey, bufSize);
      if (pid === undefined) throw new TransferError(inUse('segment', shmKey, shmKey, semKey));
      o.onNotice?.(
        `removed segment ${hexKey(shmKey)} and semaphore set ${hexKey(semKey)}, ` +
          `left by a writer that died (pid ${pid})`,
      );
      shm = create();
    }
    att = shm.attach();
    try {
      sem = SemaphoreSet.get(semKey, 2, { create: true, exclusive: true, mode: OBJ_PERMS });
    } catch (e) {
      if (isIpcError(e, 'EEXIST')) throw new TransferError(inUse('semaphore set', semKey, shmKey, semKey));
      throw e;
    }
    const values = [0, 0];
    values[WRITE_SEM] = 1; // sem_init_avail
    values[READ_SEM] = 0; // sem_init_taken
    sem.setAll(values);

    const pWrite = sem.prepare([{ num: WRITE_SEM, op: -1 }]);
    const vRead = sem.prepare([{ num: READ_SEM, op: 1 }]);
    const seg = att.buffer;
    const signal = o.signal;
    const watch = new PeerWatch(shm, false);
    const deadline = o.timeoutMs === undefined ? undefined : performance.now() + o.timeoutMs;
    const turns = new Turns(
      signal,
      () => {
        if (watch.gone()) throw new TransferError(readerGone(result));
        if (!watch.seen && deadline !== undefined && performance.now() >= deadline) {
          throw new TransferError(`no reader within ${o.timeoutMs! / 1000} s`, true);
        }
      },
      o.onProgress && (() => o.onProgress!(result, false)),
    );

    // The first P(W) cannot block: it publishes "initialized" (sem_otime != 0).
    if (!turns.take(pWrite)) await turns.acquire(pWrite);
    o.onReady?.({ semid: sem.id, shmid: shm.id, bufSize });
    for (;;) {
      let cnt = readNow(fd, seg, CNT_SIZE, bufSize);
      if (cnt < 0) cnt = await readInput(fd, seg, CNT_SIZE, bufSize, signal);
      writeCnt(seg, cnt);
      vRead.post(); // a V never blocks
      if (cnt === 0) break;
      result.bytes += cnt;
      result.xfrs++;
      if (!turns.take(pWrite)) await turns.acquire(pWrite);
      watch.seen = true; // the reader took a turn
    }
    // The reader's last turn: it has seen cnt == 0 and detached.
    if (!turns.take(pWrite)) await turns.acquire(pWrite);
    done = true;
    o.onProgress?.(result, true);
  } catch (e) {
    throw translate(e, 'writer');
  } finally {
    // The lecture's order: the set, then detach, then the segment. The set first also
    // wakes a waiting reader at once (EIDRM) when we stop early.
    const quiet = !done;
    step(quiet, () => sem?.remove());
    step(quiet, () => att?.detach());
    step(quiet, () => shm?.remove());
  }
  return result;
}

/** Whether `pid` names a live process (EPERM: alive, someone else's; a zombie is dead). */
export function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return errCode(e) === 'EPERM';
  }
  try {
    // The state letter follows the parenthesized command name: "1234 (node) S ...".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

/**
 * A writer killed by SIGKILL leaves its segment and set behind. They are stale when nothing
 * is attached to the segment and its creator is gone: no transfer can be using them (a live
 * writer stays attached from before its first semop to its last). They are ours to remove
 * only when they are provably what a writer like us made: the segment is exactly
 * sizeof(struct shmseg) for our buffer size, the set has 2 semaphores holding 0 or 1 each,
 * both have the lecture's mode 0660, and both are owned and were created by our user.
 * Returns the dead creator's pid after removing both; undefined when they are in use (or
 * gone); throws a TransferError naming the object when it is stale but not provably ours
 * (nothing is removed then).
 */
function reclaimStale(shmKey: number, semKey: number, bufSize: number): number | undefined {
  let old: SharedMemory;
  let st: ShmidDs;
  try {
    old = SharedMemory.get(shmKey, 0);
    st = old.stat();
  } catch (e) {
    if (isIpcError(e, 'ENOENT', 'EINVAL', 'EIDRM', 'EACCES', 'EPERM')) return undefined;
    throw e;
  }
  if (st.nattch !== 0 || alive(st.cpid)) return undefined;
  const notOurs = (what: string, id: number, flag: string, why: string) =>
    new TransferError(
      `${what} ${hexKey(what === 'segment' ? shmKey : semKey)} (id ${id}) was left by a process that died, ` +
        `but it is not a svshm-writer's: ${why}; nothing removed (if it is stale, remove it: svipc ipcrm ${flag} ${id})`,
    );
  const why =
    foreign(st.perm, OBJ_PERMS) ??
    (st.segsz !== segmentSize(bufSize)
      ? `${st.segsz} bytes, not ${segmentSize(bufSize)} (sizeof(struct shmseg) for a ${bufSize}-byte buffer)`
      : undefined);
  if (why !== undefined) throw notOurs('segment', old.id, '-m', why);
  let sem: SemaphoreSet | undefined;
  try {
    sem = SemaphoreSet.get(semKey, 0);
    const ss = sem.stat();
    const semWhy =
      foreign(ss.perm, OBJ_PERMS) ??
      (ss.nsems !== 2
        ? `${ss.nsems} semaphore(s), not 2`
        : sem.getAll().some((v) => v > 1)
          ? `values ${sem.getAll().join(' ')}, not the writer's turns (0 or 1 each)`
          : undefined);
    if (semWhy !== undefined) throw notOurs('semaphore set', sem.id, '-s', semWhy);
  } catch (e) {
    if (e instanceof TransferError) throw e;
    if (isIpcError(e, 'EACCES', 'EPERM'))
      throw new TransferError(
        `semaphore set ${hexKey(semKey)} is not this user's (${e.syscall} ${e.code}); nothing removed ` +
          `(if it is stale, its owner or root removes it: svipc ipcrm -S ${hexKey(semKey)})`,
      );
    if (!isIpcError(e, 'ENOENT', 'EINVAL', 'EIDRM')) throw e;
    sem = undefined;
  }
  try {
    old.remove();
    sem?.remove();
  } catch (e) {
    if (!isIpcError(e, 'EINVAL', 'EIDRM')) throw e;
  }
  return st.cpid;
}

/** Why an object is not one this user made with `mode` (undefined: it may be ours). */
function foreign(perm: IpcPerm, mode: number): string | undefined {
  const other = otherOwner(perm);
  if (other !== undefined) return other;
  if ((perm.mode & 0o777) !== mode)
    return `mode ${(perm.mode & 0o777).toString(8).padStart(4, '0')}, not ${mode.toString(8).padStart(4, '0')}`;
  return undefined;
}

function step(quiet: boolean, f: () => void): void {
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

/** A key as the lecture writes it: 0x1234. */
export function hexKey(k: number): string {
  return `0x${(k >>> 0).toString(16)}`;
}

function inUse(what: string, key: number, shmKey: number, semKey: number): string {
  return (
    `a ${what} with key ${hexKey(key)} already exists: another writer is running, or one died ` +
    `and left it (remove with: svipc ipcrm -M ${hexKey(shmKey)} -S ${hexKey(semKey)})`
  );
}

function readerGone(r: TransferResult): string {
  return `the reader is gone (detached or died) after ${r.bytes} bytes (${r.xfrs} xfrs)`;
}

function translate(e: unknown, side: 'writer' | 'reader'): unknown {
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

// ---- the reader ----

interface Found {
  sem: SemaphoreSet;
  shm: SharedMemory;
}

/** Wait for the writer's set to exist and be initialized (otime != 0), and its segment. */
async function findWriter(o: ReaderOptions, semKey: number, shmKey: number): Promise<Found> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_READER_TIMEOUT_MS;
  const deadline = performance.now() + timeoutMs;
  const poll = tracing() ? 250 : FIND_POLL_MS;
  let stale: number | undefined;
  for (;;) {
    checkAbort(o.signal, 'semget');
    try {
      const sem = SemaphoreSet.get(semKey, 0);
      const st = sem.stat();
      if (st.nsems < 2) {
        throw new TransferError(`semaphore set ${hexKey(semKey)} has ${st.nsems} semaphore(s), not 2`);
      }
      if (st.otime !== 0) {
        // Initialized. A writer is attached to its segment all along; none attached means
        // stale objects (their writer died): wait for a writer to reclaim them.
        const shm = SharedMemory.get(shmKey, 0);
        const seg = shm.stat();
        if (seg.nattch > 0 || alive(seg.cpid)) return { sem, shm };
        stale = seg.cpid;
      }
    } catch (e) {
      if (!isIpcError(e, 'ENOENT', 'EIDRM', 'EINVAL')) throw e;
    }
    if (performance.now() >= deadline) {
      throw new TransferError(
        `no writer within ${timeoutMs / 1000} s (semaphore set ${hexKey(semKey)} ` +
          `and segment ${hexKey(shmKey)} ` +
          (stale === undefined
            ? 'not ready)'
            : `left by a writer that died, pid ${stale}: the next svshm-writer removes them)`),
        true,
      );
    }
    await sleep(Math.min(poll, Math.max(1, deadline - performance.now())), o.signal);
  }
}

/** Writes `length` bytes of `buf` at `offset` to the output; waits for room when it must. */
class Output {
  /** A write handed to the stream and not finished: the segment must stay attached. */
  pending = false;
  constructor(
    readonly fd: number,
    readonly stream: Writable | undefined,
    readonly signal: AbortSignal | undefined,
  ) {}

  /** One write, now: the bytes written; the caller awaits write() for the rest, if any. */
  writeNow(buf: Buffer, offset: number, length: number): number {
    try {
      return fsWriteSync(this.fd, buf, offset, length);
    } catch {
      return 0; // write() makes the call again and sorts out what happened
    }
  }

  async write(buf: Buffer, offset: number, length: number): Promise<void> {
    let off = offset;
    let left = length;
    for (let tries = 0; left > 0; tries++) {
      let n: number;
      try {
        n = fsWriteSync(this.fd, buf, off, left);
      } catch (e) {
        const code = errCode(e);
        if (code === 'EINTR') {
          checkAbort(this.signal, 'write');
          continue;
        }
        if (code === 'EPIPE') throw e; // the launcher's 141, as a pipeline expects
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') {
          throw new TransferError(`cannot write standard output: ${(e as Error).message}`);
        }
        // A full non-blocking pipe: the stream waits for room (epoll), no copy.
        if (this.stream) return this.viaStream(buf.subarray(off, off + left));
        await readRetry(tries, this.signal);
        continue;
      }
      off += n;
      left -= n;
    }
  }

  async viaStream(chunk: Buffer): Promise<void> {
    const stream = this.stream!;
    this.pending = true;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new WaitAbortedError('write'));
      this.signal?.addEventListener('abort', onAbort, { once: true });
      stream.write(chunk, (err) => {
        this.signal?.removeEventListener('abort', onAbort);
        this.pending = false;
        if (err) reject(err);
        else resolve();
      });
    });
  }
}

/** The lecture's svshm-reader: segment -> stdout until cnt == 0; then the writer's last turn. */
export async function runReader(o: ReaderOptions = {}): Promise<TransferResult> {
  const shmKey = o.shmKey ?? SHM_KEY;
  const semKey = o.semKey ?? SEM_KEY;
  const out = new Output(o.outputFd ?? 1, o.output, o.signal);
  const result: TransferResult = { bytes: 0, xfrs: 0 };
  const { sem, shm } = await findWriter(o, semKey, shmKey);
  let att: Attachment | undefined;
  try {
    att = shm.attach({ readonly: true });
    if (att.size < CNT_SIZE + 1)
      throw new TransferError(
        tooSmall(`${hexKey(shmKey)} (id ${shm.id})`, att.size, 'svshm (int cnt + data)', CNT_SIZE + 1),
      );
    // cnt is an int and a turn at most MAX_BUF_SIZE: a larger segment is viewed only that far.
    const seg = att.view(0, Math.min(att.size, CNT_SIZE + MAX_BUF_SIZE));
    const maxCnt = Math.min(seg.length - CNT_SIZE, o.bufferSize ?? Number.MAX_SAFE_INTEGER);
    const st = shm.stat();
    const writerPid = st.cpid;
    if (st.nattch < 2) {
      throw new TransferError(
        `the segment ${hexKey(shmKey)} has no writer attached (its creator, pid ${writerPid}, ` +
          `died and left it?): remove with svipc ipcrm -M ${hexKey(shmKey)} -S ${hexKey(semKey)}`,
      );
    }
    o.onReady?.({ semid: sem.id, shmid: shm.id, bufSize: seg.length - CNT_SIZE, peerPid: writerPid });
    const pRead = sem.prepare([{ num: READ_SEM, op: -1 }]);
    const vWrite = sem.prepare([{ num: WRITE_SEM, op: 1 }]);
    const watch = new PeerWatch(shm, true);
    const turns = new Turns(
      o.signal,
      () => {
        if (watch.gone()) {
          throw new TransferError(
            `the writer (pid ${writerPid}) is gone after ${result.bytes} bytes (${result.xfrs} xfrs): ` +
              'transfer incomplete',
          );
        }
      },
      o.onProgress && (() => o.onProgress!(result, false)),
    );
    for (;;) {
      if (!turns.take(pRead)) await turns.acquire(pRead);
      const cnt = readCnt(seg);
      if (cnt === 0) break; // writer EOF
      if (cnt < 0 || cnt > maxCnt) {
        throw new TransferError(
          cnt > 0 && cnt <= seg.length - CNT_SIZE
            ? `a turn of ${cnt} bytes exceeds --buffer-size ${maxCnt}`
            : `corrupt segment: cnt = ${cnt}, the buffer holds ${seg.length - CNT_SIZE} bytes`,
        );
      }
      const n = out.writeNow(seg, CNT_SIZE, cnt);
      if (n < cnt) await out.write(seg, CNT_SIZE + n, cnt - n);
      result.bytes += cnt;
      result.xfrs++;
      vWrite.post();
    }
    att.detach();
    // One more writer turn, to clean up.
    vWrite.post();
    o.onProgress?.(result, true);
  } catch (e) {
    throw translate(e, 'reader');
  } finally {
    // Never unmap memory a pending stream write still points into (exit unmaps it).
    if (!out.pending) step(true, () => att?.detach());
  }
  return result;
}

// ---- --progress ----

const MiB = 1024 * 1024;

/** A progress line on a terminal, rewritten in place; cleared when done. */
export function progressReporter(
  out: { write(s: string): unknown },
  verb: string,
): (r: TransferResult, done: boolean) => void {
  const t0 = performance.now();
  let shown = false;
  return (r, done) => {
    if (done) {
      if (shown) out.write('\r\x1b[K');
      shown = false;
      return;
    }
    const s = Math.max((performance.now() - t0) / 1000, 1e-3);
    out.write(
      `\r\x1b[K${verb} ${(r.bytes / MiB).toFixed(1)} MiB (${r.xfrs} xfrs), ${(r.bytes / MiB / s).toFixed(1)} MiB/s`,
    );
    shown = true;
  };
}
