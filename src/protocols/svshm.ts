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
// Waiting: a spin of semops with IPC_NOWAIT as long as turns have been taking to come (while
// spins have been getting them: SpinPolicy in svshm-turns.ts), then semtimedop on the main
// thread in short slices (the event loop waits meanwhile; a signal interrupts the call, and
// between slices we yield to the event loop, check for abort and check that the peer is
// still attached).
//
// The layout is in svshm-xfr.ts, the waits in svshm-turns.ts, the fd I/O in svshm-io.ts,
// the opt-in --fast protocol in svshm-fast.ts.
import {
  type Attachment,
  type IpcPerm,
  isIpcError,
  type PreparedSemOp,
  SemaphoreSet,
  SharedMemory,
  type ShmidDs,
  sleep,
} from '../ipc/index.js';
import { escapeBytes, type Tracer } from '../ipc/trace.js';
import { alive } from '../proc/liveness.js';
import { otherOwner, tooSmall } from './shmseg.js';
import { FAST_NSEMS } from './svshm-fast-layout.js';
import { Output, readInput, readNow } from './svshm-io.js';
import { checkAbort, findPollDelay, PeerWatch, step, Turns, translate } from './svshm-turns.js';
import {
  BUF_SIZE,
  CNT_SIZE,
  DEFAULT_READER_TIMEOUT_MS,
  hexKey,
  MAX_BUF_SIZE,
  OBJ_PERMS,
  READ_SEM,
  type ReaderOptions,
  readCnt,
  SEM_KEY,
  SHM_KEY,
  segmentSize,
  TransferError,
  type TransferResult,
  WRITE_SEM,
  type WriterOptions,
  writeCnt,
} from './svshm-xfr.js';

export { alive } from '../proc/liveness.js';
export * from './svshm-xfr.js';

// ---- the writer ----

/** The objects a writer made, for writerSession to remove (each as soon as it exists). */
export interface Made {
  shm?: SharedMemory;
  sem?: SemaphoreSet;
  att?: Attachment;
}

/**
 * What both writers (the lecture's and --fast) do around their turns: the keys, the result
 * `body` counts its turns in, "done" once it returns, a failure translated; and what `body`
 * made (`made`, filled as each object exists) removed at the end by removeAll.
 */
export async function writerSession(
  o: WriterOptions,
  body: (w: { made: Made; result: TransferResult; shmKey: number; semKey: number }) => Promise<void>,
): Promise<TransferResult> {
  const shmKey = o.shmKey ?? SHM_KEY;
  const semKey = o.semKey ?? SEM_KEY;
  const made: Made = {};
  let done = false;
  const result: TransferResult = { bytes: 0, xfrs: 0 };
  try {
    await body({ made, result, shmKey, semKey });
    done = true;
    o.onProgress?.(result, true);
  } catch (e) {
    throw translate(e, 'writer');
  } finally {
    // The lecture's order: the set, then detach, then the segment. The set first also
    // wakes a waiting reader at once (EIDRM) when we stop early.
    removeAll(done, made.sem, made.att, made.shm);
  }
  return result;
}

/** The lecture's svshm-writer: stdin -> segment, until EOF; then waits for the reader's last turn. */
export async function runWriter(o: WriterOptions = {}): Promise<TransferResult> {
  const bufSize = o.bufferSize ?? BUF_SIZE;
  const fd = o.inputFd ?? 0;
  if (!Number.isInteger(bufSize) || bufSize < 1 || bufSize > MAX_BUF_SIZE)
    throw new RangeError(`buffer size must be 1..${MAX_BUF_SIZE}`);

  return writerSession(o, async ({ made, result, shmKey, semKey }) => {
    // The segment first, attached, then the set: once the set's otime is not 0, a reader
    // finds everything in place (the C writer makes the set first: the reader copes).
    const trace = o.trace;
    const create = () =>
      SharedMemory.get(shmKey, segmentSize(bufSize), {
        create: true,
        exclusive: true,
        mode: OBJ_PERMS,
        trace,
      });
    let shm: SharedMemory;
    try {
      shm = create();
    } catch (e) {
      if (!isIpcError(e, 'EEXIST')) throw e;
      const pid = o.reclaim === false ? undefined : reclaimStale(shmKey, semKey, bufSize, trace);
      if (pid === undefined) throw new TransferError(inUse('segment', shmKey, shmKey, semKey));
      o.onNotice?.(
        `removed segment ${hexKey(shmKey)} and semaphore set ${hexKey(semKey)}, ` +
          `left by a writer that died (pid ${pid})`,
      );
      shm = create();
    }
    made.shm = shm;
    const att = shm.attach();
    made.att = att;
    const sem = createOrInUse('semaphore set', semKey, { shmKey, semKey }, () =>
      SemaphoreSet.get(semKey, 2, { create: true, exclusive: true, mode: OBJ_PERMS, trace }),
    );
    made.sem = sem;
    const values = [0, 0];
    values[WRITE_SEM] = 1; // sem_init_avail
    values[READ_SEM] = 0; // sem_init_taken
    sem.setAll(values);

    const pWrite = sem.prepare([{ num: WRITE_SEM, op: -1 }]);
    const vRead = sem.prepare([{ num: READ_SEM, op: 1 }]);
    const seg = att.buffer;
    const signal = o.signal;
    const { turns, watch } = writerTurns(shm, result, o);

    // The first P(W) cannot block: it publishes "initialized" (sem_otime != 0).
    if (!turns.take(pWrite)) await turns.acquire(pWrite);
    o.onReady?.({ semid: sem.id, shmid: shm.id, bufSize });
    for (;;) {
      let cnt = readNow(fd, seg, CNT_SIZE, bufSize);
      if (cnt < 0) cnt = await readInput(fd, seg, CNT_SIZE, bufSize, signal);
      writeCnt(seg, cnt);
      // The slide's `shmp->cnt = read(STDIN_FILENO, shmp->buf, BUF_SIZE)`, with what it put there.
      traceIo(trace, 'read', fd, bufSize, seg, cnt);
      vRead.post(); // a V never blocks
      if (cnt === 0) break;
      result.bytes += cnt;
      result.xfrs++;
      if (!turns.take(pWrite)) await turns.acquire(pWrite);
      watch.seen = true; // the reader took a turn
    }
    // The reader's last turn: it has seen cnt == 0 and detached.
    if (!turns.take(pWrite)) await turns.acquire(pWrite);
  });
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
function reclaimStale(
  shmKey: number,
  semKey: number,
  bufSize: number,
  trace: Tracer | undefined,
): number | undefined {
  let old: SharedMemory;
  let st: ShmidDs;
  try {
    old = SharedMemory.get(shmKey, 0, { trace });
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
    sem = SemaphoreSet.get(semKey, 0, { trace });
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

export function inUse(what: string, key: number, shmKey: number, semKey: number): string {
  return (
    `a ${what} with key ${hexKey(key)} already exists: another writer is running, or one died ` +
    `and left it (remove with: svipc ipcrm -M ${hexKey(shmKey)} -S ${hexKey(semKey)})`
  );
}

/** A writer's object made by `make` (exclusively); EEXIST as `inUse`'s one line, anything else as it is. */
export function createOrInUse<T>(
  what: 'segment' | 'semaphore set',
  key: number,
  keys: { shmKey: number; semKey: number },
  make: () => T,
): T {
  try {
    return make();
  } catch (e) {
    if (isIpcError(e, 'EEXIST')) throw new TransferError(inUse(what, key, keys.shmKey, keys.semKey));
    throw e;
  }
}

export function readerGone(r: TransferResult): string {
  return `the reader is gone (detached or died) after ${r.bytes} bytes (${r.xfrs} xfrs)`;
}

// ---- the reader ----

/** The writer's waits: fails when the reader is gone, or (--timeout) never came. */
export function writerTurns(
  shm: SharedMemory,
  result: TransferResult,
  o: WriterOptions,
): { turns: Turns; watch: PeerWatch } {
  const watch = new PeerWatch(shm, false);
  const deadline = o.timeoutMs === undefined ? undefined : performance.now() + o.timeoutMs;
  const turns = new Turns(
    o.signal,
    () => {
      if (watch.gone()) throw new TransferError(readerGone(result));
      if (!watch.seen && deadline !== undefined && performance.now() >= deadline) {
        throw new TransferError(`no reader within ${o.timeoutMs! / 1000} s`, true);
      }
    },
    o.onProgress && (() => o.onProgress!(result, false)),
    o.trace,
  );
  return { turns, watch };
}

/**
 * The writer's clean-up in the lecture's order: the set, then detach, then the segment. The
 * set first also wakes a waiting reader at once (EIDRM) when we stop early (not `done`).
 */
export function removeAll(
  done: boolean,
  sem: SemaphoreSet | undefined,
  att: Attachment | undefined,
  shm: SharedMemory | undefined,
): void {
  step(!done, () => sem?.remove());
  step(!done, () => att?.detach());
  step(!done, () => shm?.remove());
}

/** The writer's pid; fails when no writer is attached to the segment (stale objects). */
export function attachedWriter(shm: SharedMemory, shmKey: number, semKey: number): number {
  // svipc's own check (not the lecture's): traced only with --trace=all.
  const st = new SharedMemory(shm.id, { trace: shm.trace?.detail }).stat();
  if (st.nattch < 2) {
    throw new TransferError(
      `the segment ${hexKey(shmKey)} has no writer attached (its creator, pid ${st.cpid}, ` +
        `died and left it?): remove with svipc ipcrm -M ${hexKey(shmKey)} -S ${hexKey(semKey)}`,
    );
  }
  return st.cpid;
}

/**
 * One of the reader's turns: `len` bytes at `off` in the segment, checked (at most
 * --buffer-size `maxLen`; a count past `room`, what the segment holds there, or below 0 is
 * `corrupt()`), written out and counted.
 */
export async function deliverTurn(
  out: Output,
  seg: Buffer,
  turn: { off: number; len: number; maxLen: number; room: number; corrupt: () => string },
  result: TransferResult,
): Promise<void> {
  const { off, len, maxLen, room } = turn;
  if (len < 0 || len > maxLen) {
    throw new TransferError(
      len > 0 && len <= room ? `a turn of ${len} bytes exceeds --buffer-size ${maxLen}` : turn.corrupt(),
    );
  }
  const n = out.writeNow(seg, off, len);
  if (n < len) await out.write(seg, off + n, len - n);
  result.bytes += len;
  result.xfrs++;
}

/** The reader's waits: fails when the writer is gone. */
export function readerTurns(
  shm: SharedMemory,
  writerPid: number,
  result: TransferResult,
  o: ReaderOptions,
): Turns {
  const watch = new PeerWatch(shm, true);
  return new Turns(
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
    o.trace,
  );
}

/** The lecture's set has 2 semaphores; --fast's has FAST_NSEMS (more than 2 is accepted as before). */
function lectureLayout(nsems: number): string | undefined {
  if (nsems === FAST_NSEMS)
    return `has ${nsems} semaphores: the writer runs in --fast mode (run svshm-reader --fast)`;
  return nsems < 2 ? `has ${nsems} semaphore(s), not 2` : undefined;
}

export interface Found {
  sem: SemaphoreSet;
  shm: SharedMemory;
}

/**
 * Wait for the writer's set to exist and be initialized (otime != 0), and its segment.
 * `layout` names what is wrong with a set of `nsems` semaphores (undefined: the right kind).
 */
export async function findWriter(
  o: ReaderOptions,
  semKey: number,
  shmKey: number,
  layout: (nsems: number) => string | undefined = lectureLayout,
): Promise<Found> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_READER_TIMEOUT_MS;
  const started = performance.now();
  const deadline = started + timeoutMs;
  // The polls are svipc's (the lecture's reader just fails without a writer): they are traced
  // only with --trace=all (every 250 ms); once the writer is found, the lecture's semget and shmget are.
  const trace = o.trace;
  const poll = () => (trace?.all ? 250 : findPollDelay(performance.now() - started));
  const again = trace && !trace.all;
  let stale: number | undefined;
  for (;;) {
    checkAbort(o.signal, 'semget');
    try {
      const sem = SemaphoreSet.get(semKey, 0, { trace: trace?.detail });
      const st = sem.stat();
      const wrong = layout(st.nsems);
      if (wrong !== undefined) throw new TransferError(`semaphore set ${hexKey(semKey)} ${wrong}`);
      if (st.otime !== 0) {
        // Initialized. A writer is attached to its segment all along; none attached means
        // stale objects (their writer died): wait for a writer to reclaim them.
        const shm = SharedMemory.get(shmKey, 0, { trace: trace?.detail });
        const seg = shm.stat();
        if (seg.nattch > 0 || alive(seg.cpid)) {
          if (!again) return { sem, shm };
          return { sem: SemaphoreSet.get(semKey, 0, { trace }), shm: SharedMemory.get(shmKey, 0, { trace }) };
        }
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
    await sleep(Math.min(poll(), Math.max(1, deadline - performance.now())), o.signal);
  }
}

/** What a reader's body gets from readerSession. */
export interface ReaderSession {
  sem: SemaphoreSet;
  shm: SharedMemory;
  out: Output;
  result: TransferResult;
  shmKey: number;
  semKey: number;
  /** The segment attached read-only (detached by the session). */
  attach(): Attachment;
}

/**
 * What both readers (the lecture's and --fast) do around their turns: find the writer (`layout`
 * checks its set), run `body` on the output and result, detach, give the writer the last turn
 * `body` returns, and say it is done; a failure translated, and the segment detached unless a
 * pending stream write still points into it (exit unmaps it).
 */
export async function readerSession(
  o: ReaderOptions,
  layout: ((nsems: number) => string | undefined) | undefined,
  body: (s: ReaderSession) => Promise<PreparedSemOp>,
): Promise<TransferResult> {
  const shmKey = o.shmKey ?? SHM_KEY;
  const semKey = o.semKey ?? SEM_KEY;
  const out = new Output(o.outputFd ?? 1, o.output, o.signal);
  const result: TransferResult = { bytes: 0, xfrs: 0 };
  const { sem, shm } = await findWriter(o, semKey, shmKey, layout);
  let att: Attachment | undefined;
  const attach = () => {
    att = shm.attach({ readonly: true });
    return att;
  };
  try {
    const lastTurn = await body({ sem, shm, out, result, shmKey, semKey, attach });
    att?.detach();
    lastTurn.post();
    o.onProgress?.(result, true);
  } catch (e) {
    throw translate(e, 'reader');
  } finally {
    if (!out.pending) step(true, () => att?.detach());
  }
  return result;
}

/** The lecture's svshm-reader: segment -> stdout until cnt == 0; then the writer's last turn. */
export function runReader(o: ReaderOptions = {}): Promise<TransferResult> {
  return readerSession(o, undefined, async ({ sem, shm, out, result, shmKey, semKey, attach }) => {
    const att = attach();
    if (att.size < CNT_SIZE + 1)
      throw new TransferError(
        tooSmall(`${hexKey(shmKey)} (id ${shm.id})`, att.size, 'svshm (int cnt + data)', CNT_SIZE + 1),
      );
    // cnt is an int and a turn at most MAX_BUF_SIZE: a larger segment is viewed only that far.
    const seg = att.view(0, Math.min(att.size, CNT_SIZE + MAX_BUF_SIZE));
    const maxCnt = Math.min(seg.length - CNT_SIZE, o.bufferSize ?? Number.MAX_SAFE_INTEGER);
    const writerPid = attachedWriter(shm, shmKey, semKey);
    o.onReady?.({ semid: sem.id, shmid: shm.id, bufSize: seg.length - CNT_SIZE, peerPid: writerPid });
    const pRead = sem.prepare([{ num: READ_SEM, op: -1 }]);
    const vWrite = sem.prepare([{ num: WRITE_SEM, op: 1 }]);
    const turns = readerTurns(shm, writerPid, result, o);
    for (;;) {
      if (!turns.take(pRead)) await turns.acquire(pRead);
      const cnt = readCnt(seg);
      if (cnt === 0) break; // writer EOF
      const room = seg.length - CNT_SIZE;
      const corrupt = () => `corrupt segment: cnt = ${cnt}, the buffer holds ${room} bytes`;
      await deliverTurn(out, seg, { off: CNT_SIZE, len: cnt, maxLen: maxCnt, room, corrupt }, result);
      traceIo(o.trace, 'write', o.outputFd ?? 1, cnt, seg, cnt);
      vWrite.post();
    }
    // One more writer turn, to clean up.
    return vWrite;
  });
}

/**
 * The slides' `read(STDIN_FILENO, shmp->buf, BUF_SIZE)` / `write(STDOUT_FILENO, shmp->buf,
 * cnt)` as --trace shows them: the count and the first bytes that went into or out of the segment.
 */
export function traceIo(
  trace: Tracer | undefined,
  call: 'read' | 'write',
  fd: number,
  count: number,
  seg: Buffer,
  done: number,
): void {
  if (!trace?.shows) return;
  const bytes = seg.subarray(CNT_SIZE, CNT_SIZE + done);
  trace.call(call, `fd=${fd}, shmp->buf, ${count}`, done === 0 ? 0 : `${done} ${escapeBytes(bytes)}`);
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
