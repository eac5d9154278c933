// `svipc top`'s data: one sample of every object (inventory records, waiting threads, kernel
// limits and use) and, from two successive samples, each queue's rates. Nothing here draws.
//
// What the kernel keeps per queue is a count (qnum, cbytes) and the second of the last msgsnd
// and msgrcv (stime, rtime): not how many messages went in and out. Between two samples the
// net change is exact; the split into "in" and "out" is exact only when one side cannot have
// happened (its time did not move and is older than the previous sample's second). Otherwise
// in/out are null: unknown, never guessed.
import { type HolderScan, scanHolders } from '../hygiene/holders.js';
import {
  type IpcKind,
  type IpcRecord,
  listAll,
  pageSize,
  type QueueLimits,
  type QueueRecord,
  queueBytesLimit,
  queueLimits,
  type SegmentLimits,
  type SemaphoreLimits,
  segmentLimits,
  semaphoreLimits,
} from '../ipc/inventory.js';

/** One object as top shows it. */
export interface LiveRow {
  record: IpcRecord;
  /** Depth: queues cbytes of qbytes; segments nattch; sets the sum of values (of the largest value seen). */
  depth: number;
  /** What depth is measured against (qbytes; null when unknown or when there is no bound). */
  depthOf: number | null;
  /** Threads waiting: sets ncount + zcount; queues the threads blocked in msgrcv/msgsnd. */
  waiters: number | null;
  /** Queues: per second since the previous sample (null: unknown, or no previous sample). */
  rates: QueueRates | null;
}

export interface QueueRates {
  /** Net change per second: exact. */
  netMsgs: number;
  netBytes: number;
  /** Messages/bytes sent and received per second; null when both sides were active. */
  msgsIn: number | null;
  msgsOut: number | null;
  bytesIn: number | null;
  bytesOut: number | null;
}

export interface LimitUse {
  /** What is counted, as `ipcs -u`/`lsipc -g` name it. */
  name: string;
  used: number | bigint;
  limit: number | bigint;
}

export interface Sample {
  /** Seconds since the epoch, with fractions. */
  time: number;
  rows: LiveRow[];
  limits: LimitUse[];
  /** Why some waiting threads may be missing (see scanHolders), or null. */
  waitBlind: string | null;
}

export interface SampleSources {
  list?: typeof listAll;
  holders?: () => Pick<HolderScan, 'holders' | 'waitBlind'>;
  qbytes?: (id: number) => number | null;
  limits?: () => { msg: QueueLimits | null; sem: SemaphoreLimits | null; shm: SegmentLimits | null };
  now?: () => number;
}

/** Read everything once. */
export function takeSample(src: SampleSources = {}): Sample {
  const now = (src.now ?? (() => Date.now() / 1000))();
  const all = (src.list ?? listAll)({ values: true });
  const holders = (src.holders ?? scanHolders)();
  const qbytes = src.qbytes ?? queueBytesLimit;
  const rows: LiveRow[] = [];
  for (const q of all.queues) {
    const limit = q.qbytes ?? qbytes(q.id);
    rows.push({
      record: q,
      depth: q.cbytes,
      depthOf: limit,
      waiters: holders.holders('msg', q.id).waiting.length,
      rates: null,
    });
  }
  for (const s of all.segments) {
    rows.push({ record: s, depth: s.nattch, depthOf: null, waiters: null, rates: null });
  }
  for (const s of all.semaphores) {
    const el = s.elements;
    rows.push({
      record: s,
      depth: el ? el.reduce((a, e) => a + e.value, 0) : 0,
      depthOf: null,
      waiters: el ? el.reduce((a, e) => a + e.ncount + e.zcount, 0) : null,
      rates: null,
    });
  }
  const lim = (
    src.limits ?? (() => ({ msg: queueLimits(), sem: semaphoreLimits(), shm: segmentLimits() }))
  )();
  return { time: now, rows, limits: limitUse(all, lim), waitBlind: holders.waitBlind };
}

/** Use of each kernel limit, counted over the objects listed. */
export function limitUse(
  all: { queues: QueueRecord[]; semaphores: { nsems: number }[]; segments: { size: number }[] },
  lim: { msg: QueueLimits | null; sem: SemaphoreLimits | null; shm: SegmentLimits | null },
): LimitUse[] {
  const out: LimitUse[] = [];
  if (lim.msg) out.push({ name: 'queues (msgmni)', used: all.queues.length, limit: lim.msg.msgmni });
  if (lim.sem) {
    out.push({ name: 'semaphore sets (semmni)', used: all.semaphores.length, limit: lim.sem.semmni });
    const sems = all.semaphores.reduce((a, s) => a + s.nsems, 0);
    out.push({ name: 'semaphores (semmns)', used: sems, limit: lim.sem.semmns });
  }
  if (lim.shm) {
    out.push({ name: 'segments (shmmni)', used: all.segments.length, limit: lim.shm.shmmni });
    const page = lim.shm.pageSize || pageSize();
    const pages = all.segments.reduce((a, s) => a + Math.ceil(s.size / page), 0);
    out.push({ name: 'pages (shmall)', used: pages, limit: lim.shm.shmall });
  }
  return out;
}

/** Percent of a limit in use, one decimal; null for a limit of 0. */
export function percent(u: LimitUse): number | null {
  const limit = Number(u.limit);
  if (!(limit > 0)) return null;
  return Math.round((Number(u.used) / limit) * 1000) / 10;
}

const rowKey = (r: IpcRecord) => `${r.kind}:${r.id}`;

/** `cur` with each queue's rates since `prev` (the same queue: same id, key and ctime). */
export function withRates(prev: Sample | null, cur: Sample): Sample {
  if (!prev) return cur;
  const dt = cur.time - prev.time;
  if (!(dt > 0)) return cur;
  const before = new Map(prev.rows.map((r) => [rowKey(r.record), r.record]));
  const prevSecond = Math.floor(prev.time);
  const rows = cur.rows.map((row) => {
    const q = row.record;
    const p = before.get(rowKey(q));
    if (q.kind !== 'msg' || !p || p.kind !== 'msg' || p.key !== q.key || p.ctime !== q.ctime) return row;
    return { ...row, rates: queueRates(p, q, dt, prevSecond) };
  });
  return { ...cur, rows };
}

/** A side may have been active when its time moved, or is the previous sample's second (or later). */
function mayHave(before: number, after: number, prevSecond: number): boolean {
  return after !== before || after >= prevSecond;
}

export function queueRates(p: QueueRecord, q: QueueRecord, dt: number, prevSecond: number): QueueRates {
  const dMsgs = q.qnum - p.qnum;
  const dBytes = q.cbytes - p.cbytes;
  const sent = mayHave(p.stime, q.stime, prevSecond);
  const received = mayHave(p.rtime, q.rtime, prevSecond);
  const per = (n: number) => n / dt;
  let split: [number, number, number, number] | null = null;
  if (!sent && !received) split = [0, 0, 0, 0];
  else if (sent && !received) split = [dMsgs, 0, dBytes, 0];
  else if (!sent && received) split = [0, -dMsgs, 0, -dBytes];
  return {
    netMsgs: per(dMsgs),
    netBytes: per(dBytes),
    msgsIn: split && per(split[0]),
    msgsOut: split && per(split[1]),
    bytesIn: split && per(split[2]),
    bytesOut: split && per(split[3]),
  };
}

export type { IpcKind };
