// svipc ipcs: util-linux 2.38.1's ipcs, byte for byte (options, output, messages, exit
// codes), plus --json. Parse options -> ask the inventory -> render.
import type { CommandContext } from '../src/cli/context.js';
import type { LongOption } from '../src/cli/getopt.js';
import { writeChunksOrReport, writeOrReport } from '../src/cli/output.js';
import { getoptFailed, getoptUtilLinux, tryStrtos32, UTIL_LINUX_VERSION } from '../src/cli/util-linux.js';
import { IpcError, strerror } from '../src/ipc/errors.js';
import {
  getQueue,
  type IpcKind,
  type IpcRecord,
  queueLimits,
  queueUsage,
  readSemElements,
  type Scan,
  type Stream,
  scanQueues,
  scanSegments,
  scanSemaphores,
  segmentLimits,
  segmentUsage,
  semaphoreLimits,
  semaphoreUsage,
  streamQueues,
  streamSegments,
  streamSemaphores,
} from '../src/ipc/inventory.js';
import { KINDS } from '../src/ipc/kinds.js';
import { groupName, userName } from '../src/ipc/users.js';
import {
  idDocument,
  type Kinds,
  limitsDocument,
  listDocument,
  summaryDocument,
} from '../src/render/ipcs-json.js';
import {
  type IpcsFormat,
  type IpcsUnit,
  ipcsHelp,
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
} from '../src/render/ipcs-text.js';
import { jsonChunks, toJson } from '../src/render/json.js';
import type { NameResolver } from '../src/render/names.js';

// util-linux's order: it decides how an ambiguous abbreviation lists its candidates.
const LONGOPTS: LongOption[] = [
  { name: 'id', arg: 'required', key: 'i' },
  { name: 'queues', arg: 'none', key: 'q' },
  { name: 'shmems', arg: 'none', key: 'm' },
  { name: 'semaphores', arg: 'none', key: 's' },
  { name: 'all', arg: 'none', key: 'a' },
  { name: 'time', arg: 'none', key: 't' },
  { name: 'pid', arg: 'none', key: 'p' },
  { name: 'creator', arg: 'none', key: 'c' },
  { name: 'limits', arg: 'none', key: 'l' },
  { name: 'summary', arg: 'none', key: 'u' },
  { name: 'human', arg: 'none', key: 'human' },
  { name: 'bytes', arg: 'none', key: 'b' },
  { name: 'version', arg: 'none', key: 'V' },
  { name: 'help', arg: 'none', key: 'h' },
  { name: 'json', arg: 'none', key: 'json' },
];
const OPTSTRING = 'i:qmsatpclubVh';

const FORMATS: Record<string, IpcsFormat> = { t: 'time', c: 'creator', p: 'pid', l: 'limits', u: 'summary' };

const names: NameResolver = { user: userName, group: groupName };

interface Options {
  kinds: Kinds;
  format: IpcsFormat;
  unit: IpcsUnit;
  id: number | null;
  json: boolean;
}

export async function run(ctx: CommandContext): Promise<number> {
  const fail = (message: string, code = 1): number => {
    ctx.stderr.write(`${ctx.prog}: ${message}\n`);
    return code;
  };
  const o: Options = {
    kinds: { msg: false, shm: false, sem: false },
    format: 'default',
    unit: 'default',
    id: null,
    json: false,
  };

  const operands: string[] = []; // util-linux ignores operands
  try {
    for (const opt of getoptUtilLinux(ctx, OPTSTRING, LONGOPTS, operands)) {
      switch (opt.key) {
        case 'i': {
          const text = opt.value ?? '';
          const r = tryStrtos32(text);
          if ('error' in r) {
            const reason = r.error === 'ERANGE' ? `: ${strerror(34)}` : '';
            return fail(`failed to parse id argument: '${text}'${reason}`);
          }
          o.id = r.value;
          break;
        }
        case 'a':
          o.kinds = { msg: true, shm: true, sem: true };
          break;
        case 'q':
          o.kinds.msg = true;
          break;
        case 'm':
          o.kinds.shm = true;
          break;
        case 's':
          o.kinds.sem = true;
          break;
        case 'human':
          o.unit = 'human';
          break;
        case 'b':
          o.unit = 'bytes';
          break;
        case 'json':
          o.json = true;
          break;
        case 'h':
          return emit(ctx, ipcsHelp(ctx.prog));
        case 'V':
          return emit(ctx, `${ctx.prog} from util-linux ${UTIL_LINUX_VERSION}\n`);
        default:
          o.format = FORMATS[opt.key] ?? o.format;
      }
    }
  } catch (e) {
    return getoptFailed(ctx, e);
  }

  const { kinds } = o;
  if (o.id !== null) {
    if (Number(kinds.msg) + Number(kinds.shm) + Number(kinds.sem) !== 1) {
      return fail('when using an ID, a single resource must be specified');
    }
    return showOne(ctx, o, o.id, kinds.msg ? 'msg' : kinds.shm ? 'shm' : 'sem');
  }
  if (!kinds.msg && !kinds.shm && !kinds.sem) o.kinds = { msg: true, shm: true, sem: true };
  if (o.json) return writeChunksOrReport(ctx, jsonChunks(jsonDocument(o)), 0);
  return writeChunksOrReport(ctx, textListing(o), 0);
}

/** Text output scans as util-linux 2.38.1 does: its syscall fallback uses *_STAT (permission checked). */
const AS_UTIL_LINUX = { fallbackStat: 'checked' } as const;

/** Write to stdout and wait for it: util-linux's close_stdout() (src/cli/output.ts). */
function emit(ctx: CommandContext, text: string): Promise<number> {
  return writeOrReport(ctx, text, 0);
}

/** util-linux's syscall fallback copies cuid into cgid for segments and semaphores: keep that in text. */
function asUtilLinux<T extends IpcRecord>(scan: Scan<T>): T[] {
  if (scan.source === 'proc' || scan.records[0]?.kind === 'msg') return scan.records;
  return scan.records.map((r) => ({ ...r, cgid: r.cuid }));
}

/** The same for records as they stream (see streamSegments). */
function* streamedAsUtilLinux<T extends IpcRecord>(s: Stream<T>): Generator<T, void, undefined> {
  if (s.source === 'proc') return yield* s.records;
  for (const r of s.records) yield r.kind === 'msg' ? r : { ...r, cgid: r.cuid };
}

/** The listings' text as it is made: the records stream from /proc to stdout. */
function* textListing(o: Options): Generator<string, void, undefined> {
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

function jsonDocument(o: Options) {
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
function showOne(ctx: CommandContext, o: Options, id: number, kind: IpcKind): Promise<number> | number {
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
  if (kind === 'msg') {
    if (id >= 0) return getQueue(id, AS_UTIL_LINUX);
    return scanQueues(AS_UTIL_LINUX).records[0] ?? null;
  }
  if (kind === 'shm') {
    const records = asUtilLinux(scanSegments(AS_UTIL_LINUX));
    return (id >= 0 ? records.find((r) => r.id === id) : records[0]) ?? null;
  }
  if (id >= 0) {
    const r = asUtilLinux(scanSemaphores(AS_UTIL_LINUX)).find((s) => s.id === id);
    if (!r) return null;
    return { ...r, elements: r.nsems > 0 ? readSemElements(r.id, r.nsems) : [] };
  }
  const first = asUtilLinux(scanSemaphores(AS_UTIL_LINUX))[0];
  if (!first) return null;
  return { ...first, elements: readSemElements(first.id, first.nsems) };
}
