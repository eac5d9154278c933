// svshm-writer --fast / svshm-reader --fast: the same keys, the same waits and the same
// dead-peer and signal handling as the lecture mode (svshm.ts), on the ring of page-aligned
// slots of svshm-fast-layout.ts: the writer reads the next slot while the reader writes out
// the previous one, each turn moves up to a slot (1 MiB by default) instead of 10,240 bytes.
// A peer of the other mode, or of another --fast version, fails with one line.
import { SemaphoreSet, SharedMemory } from '../ipc/index.js';
import {
  attachedWriter,
  createOrInUse,
  deliverTurn,
  readerSession,
  readerTurns,
  writerSession,
  writerTurns,
} from './svshm.js';
import {
  EMPTY_SEM,
  FAST_NSEMS,
  FAST_SLOT_SIZE,
  FAST_SLOTS,
  FAST_VERSION,
  FULL_SEM,
  fastSegmentSize,
  fastSlotSize,
  readHeader,
  readLen,
  slotOffset,
  VERSION_SEM,
  writeHeader,
  writeLen,
} from './svshm-fast-layout.js';
import { readInput, readNow } from './svshm-io.js';
import {
  hexKey,
  MAX_BUF_SIZE,
  OBJ_PERMS,
  type ReaderOptions,
  TransferError,
  type TransferResult,
  type WriterOptions,
} from './svshm-xfr.js';

export interface FastWriterOptions extends WriterOptions {
  /** Slots in the ring (default FAST_SLOTS). */
  slots?: number;
}

/** svshm-writer --fast: stdin -> the ring, until EOF; then waits until the reader is done. */
export async function runFastWriter(o: FastWriterOptions = {}): Promise<TransferResult> {
  const requested = o.bufferSize ?? FAST_SLOT_SIZE;
  const slots = o.slots ?? FAST_SLOTS;
  const fd = o.inputFd ?? 0;
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_BUF_SIZE)
    throw new RangeError(`buffer size must be 1..${MAX_BUF_SIZE}`);
  const slotSize = fastSlotSize(requested);

  return writerSession(o, async ({ made, result, shmKey, semKey }) => {
    const exclusive = { create: true, exclusive: true, mode: OBJ_PERMS, trace: o.trace };
    const shm = createOrInUse('segment', shmKey, { shmKey, semKey }, () =>
      SharedMemory.get(shmKey, fastSegmentSize(slots, slotSize), exclusive),
    );
    made.shm = shm;
    const att = shm.attach();
    made.att = att;
    const seg = att.buffer;
    writeHeader(seg, { version: FAST_VERSION, slots, slotSize });
    const sem = createOrInUse('semaphore set', semKey, { shmKey, semKey }, () =>
      SemaphoreSet.get(semKey, FAST_NSEMS, exclusive),
    );
    made.sem = sem;
    const values = [0, 0, 0];
    values[EMPTY_SEM] = slots;
    values[FULL_SEM] = 0;
    values[VERSION_SEM] = FAST_VERSION;
    sem.setAll(values);

    const pEmpty = sem.prepare([{ num: EMPTY_SEM, op: -1 }]);
    const vFull = sem.prepare([{ num: FULL_SEM, op: 1 }]);
    const allFree = sem.prepare([{ num: EMPTY_SEM, op: -slots }]);
    const signal = o.signal;
    const { turns } = writerTurns(shm, result, o);

    // The first P(EMPTY) cannot block: it publishes "initialized" (sem_otime != 0).
    if (!turns.take(pEmpty)) await turns.acquire(pEmpty);
    o.onReady?.({ semid: sem.id, shmid: shm.id, bufSize: slotSize });
    for (let i = 0; ; i = (i + 1) % slots) {
      const off = slotOffset(i, slotSize);
      let n = readNow(fd, seg, off, slotSize);
      if (n < 0) n = await readInput(fd, seg, off, slotSize, signal);
      writeLen(seg, i, n);
      vFull.post();
      if (n === 0) break;
      result.bytes += n;
      result.xfrs++;
      if (!turns.take(pEmpty)) await turns.acquire(pEmpty);
    }
    // Every slot free again, the end-of-input one included: the reader has detached.
    if (!turns.take(allFree)) await turns.acquire(allFree);
  });
}

/** What is wrong with a set of `nsems` for a --fast reader (undefined: a --fast set). */
function fastLayout(nsems: number): string | undefined {
  if (nsems === 2)
    return 'has 2 semaphores: the writer runs in lecture mode, not --fast (run svshm-reader without --fast)';
  return nsems === FAST_NSEMS ? undefined : `has ${nsems} semaphore(s), not ${FAST_NSEMS} (svshm --fast)`;
}

/** svshm-reader --fast: the ring -> stdout until a slot of length 0; then the writer's last turn. */
export function runFastReader(o: ReaderOptions = {}): Promise<TransferResult> {
  return readerSession(o, fastLayout, async ({ sem, shm, out, result, shmKey, semKey, attach }) => {
    const version = sem.getAll()[VERSION_SEM];
    if (version !== FAST_VERSION)
      throw new TransferError(
        `the writer speaks svshm --fast version ${version}, this reader version ${FAST_VERSION}`,
      );
    const seg = attach().buffer;
    const h = readHeader(seg);
    if (typeof h === 'string') throw new TransferError(`segment ${hexKey(shmKey)}: ${h}`);
    const maxLen = Math.min(h.slotSize, o.bufferSize ?? Number.MAX_SAFE_INTEGER);
    const writerPid = attachedWriter(shm, shmKey, semKey);
    o.onReady?.({ semid: sem.id, shmid: shm.id, bufSize: h.slotSize, peerPid: writerPid });
    const pFull = sem.prepare([{ num: FULL_SEM, op: -1 }]);
    const vEmpty = sem.prepare([{ num: EMPTY_SEM, op: 1 }]);
    const turns = readerTurns(shm, writerPid, result, o);
    for (let i = 0; ; i = (i + 1) % h.slots) {
      if (!turns.take(pFull)) await turns.acquire(pFull);
      const len = readLen(seg, i);
      if (len === 0) break; // writer EOF
      const off = slotOffset(i, h.slotSize);
      const corrupt = () => `corrupt segment: slot ${i} holds ${len} bytes, a slot ${h.slotSize}`;
      await deliverTurn(out, seg, { off, len, maxLen, room: h.slotSize, corrupt }, result);
      vEmpty.post();
    }
    // The writer waits for every slot to be free: this is the last one.
    return vEmpty;
  });
}
