// `svipc ipcs`'s listings: the text util-linux 2.38.1 prints (with its quirks: the syscall
// fallback's permission-checked *_STAT and cgid = cuid, -i on a negative id), and the --json
// documents (true values, no quirk). commands/ipcs.ts parses the options and calls these.

import { IpcError, strerror } from '../ipc/errors.js';
import {
  getQueue,
  type IpcKind,
  type IpcRecord,
  queueLimits,
  queueUsage,
  readSemElements,
  type Stream,
  segmentLimits,
  segmentUsage,
  semaphoreLimits,
  semaphoreUsage,
  streamQueues,
  streamSegments,
  streamSemaphores,
} from '../ipc/inventory.js';
import { KINDS } from '../ipc/kinds.js';
import { groupName, userName } from '../ipc/users.js';
import {
  idDocument,
  type Kinds,
  limitsDocument,
  listDocument,
  summaryDocument,
} from '../render/ipcs-json.js';
import {
  type IpcsFormat,
  type IpcsUnit,
  queueChunks,
  renderQueueDetails,
  renderQueueLimits,
  renderQueueUsage,
  renderSegmentDetails,
  renderSegmentLimits,
  renderSegmentUsage,
  renderSemaphoreDetails,
  renderSemaphoreLimits,
  renderSemaphoreUsage,
  segmentChunks,
  semaphoreChunks,
} from '../render/ipcs-text.js';
import { toJson } from '../render/json.js';
import type { NameResolver } from '../render/names.js';
import type { CommandContext } from './context.js';
import { writeOrReport } from './output.js';

const names: NameResolver = { user: userName, group: groupName };

/** What ipcs was asked for. */
export interface IpcsOptions {
  kinds: Kinds;
  format: IpcsFormat;
  unit: IpcsUnit;
  id: number | null;
  json: boolean;
}

/** Text output scans as util-linux 2.38.1 does: its syscall fallback uses *_STAT (permission checked). */
const AS_UTIL_LINUX = { fallbackStat: 'checked' } as const;

/** Write to stdout and wait for it: util-linux's close_stdout() (src/cli/output.ts). */
export function emit(ctx: CommandContext, text: string): Promise<number> {
  return writeOrReport(ctx, text, 0);
}

/**
 * util-linux's syscall fallback copies cuid into cgid for segments and semaphores: keep that in
 * text. The records as they stream (see streamSegments).
 */
function streamedAsUtilLinux<T extends IpcRecord>(s: Stream<T>): Iterable<T> {
  // From /proc the records go as they are: no generator between them and the listing.
  if (s.source === 'proc') return s.records;
  return Array.from(s.records, asUtilLinux);
}

const asUtilLinux = <T extends IpcRecord>(r: T): T => (r.kind === 'msg' ? r : { ...r, cgid: r.cuid });

/** The listings' text as it is made: the records stream from /proc to stdout, never all held. */
export function* textListing(o: IpcsOptions): Generator<string, void, undefined> {
  yield '\n';
  if (o.kinds.msg) {
    if (o.format === 'limits') yield renderQueueLimits(queueLimits(), o.unit);
    else if (o.format === 'summary') yield renderQueueUsage(queueUsage(), o.unit);
    else yield* queueChunks(streamQueues(AS_UTIL_LINUX).records, o.format, o.unit, names);
    yield '\n';
  }
  if (o.kinds.shm) {
    if (o.format === 'limits') yield renderSegmentLimits(segmentLimits(), o.unit);
    else if (o.format === 'summary') yield renderSegmentUsage(segmentUsage());
    else yield* segmentChunks(streamedAsUtilLinux(streamSegments(AS_UTIL_LINUX)), o.format, o.unit, names);
    yield '\n';
  }
  if (o.kinds.sem) {
    if (o.format === 'limits') yield renderSemaphoreLimits(semaphoreLimits());
    else if (o.format === 'summary') yield renderSemaphoreUsage(semaphoreUsage());
    else yield* semaphoreChunks(streamedAsUtilLinux(streamSemaphores(AS_UTIL_LINUX)), o.format, names);
    yield '\n';
  }
}

export function jsonDocument(o: IpcsOptions) {
  const k = o.kinds;
  if (o.format === 'limits') {
    return limitsDocument(k, {
      queues: k.msg ? queueLimits() : undefined,
      segments: k.shm ? segmentLimits() : undefined,
      semaphores: k.sem ? semaphoreLimits() : undefined,
    });
  }
  if (o.format === 'summary') {
    return summaryDocument(k, {
      queues: k.msg ? queueUsage() : undefined,
      segments: k.shm ? segmentUsage() : undefined,
      semaphores: k.sem ? semaphoreUsage() : undefined,
    });
  }
  return listDocument(
    k,
    {
      queues: k.msg ? streamQueues().records : undefined,
      segments: k.shm ? streamSegments().records : undefined,
      semaphores: k.sem ? streamSemaphores().records : undefined,
    },
    names,
    'lazy',
  );
}

/**
 * -i ID. util-linux looks the id up in the listing; a negative id matches nothing, so the
 * first object is shown under that id (msg without its qbytes). For a semaphore set that
 * quirk crashes util-linux (it reads elements it never fetched); svipc shows the set whole.
 */
export function showOne(
  ctx: CommandContext,
  o: IpcsOptions,
  id: number,
  kind: IpcKind,
): Promise<number> | number {
  let record: IpcRecord | null;
  try {
    record = o.json ? findExact(kind, id) : findOne(kind, id);
  } catch (e) {
    if (e instanceof IpcError && e.syscall.startsWith('semctl(')) {
      ctx.stderr.write(`${ctx.prog}: ${e.syscall} failed: ${strerror(e.errno)}\n`);
      return 1;
    }
    throw e;
  }
  if (record === null) ctx.stderr.write(`${ctx.prog}: id ${id} not found\n`);
  if (o.json) {
    return emit(ctx, toJson(idDocument(kind, id, record, names)));
  }
  if (record === null) return 0;
  if (record.kind === 'msg') return emit(ctx, renderQueueDetails(record, id, o.unit));
  if (record.kind === 'shm') return emit(ctx, renderSegmentDetails(record, id, o.unit));
  return emit(ctx, renderSemaphoreDetails(record, id));
}

/** --json: the object with that id, as it is (no quirk). */
function findExact(kind: IpcKind, id: number): IpcRecord | null {
  return id < 0 ? null : KINDS[kind].record(id);
}

/** Text: the object util-linux would show, with its quirks. */
function findOne(kind: IpcKind, id: number): IpcRecord | null {
  if (kind === 'msg') return id >= 0 ? getQueue(id, AS_UTIL_LINUX) : pick(streamQueues(AS_UTIL_LINUX), id);
  if (kind === 'shm') return pick(streamSegments(AS_UTIL_LINUX), id);
  const r = pick(streamSemaphores(AS_UTIL_LINUX), id);
  if (!r) return null;
  // For a negative id util-linux reads the first set's elements even when it has none.
  return { ...r, elements: id >= 0 && r.nsems === 0 ? [] : readSemElements(r.id, r.nsems) };
}

/** The record -i shows: the one with that id, or for a negative id the first (util-linux's quirk). */
function pick<T extends IpcRecord>(s: Stream<T>, id: number): T | null {
  for (const r of streamedAsUtilLinux(s)) if (id < 0 || r.id === id) return r;
  return null;
}
