// Which objects nobody uses any more, said only with proof. The kernel keeps, per object:
//   segments: the creator pid (shm_cpid), the last shmat/shmdt pid (shm_lpid), the attach count;
//   queues: the last msgsnd and msgrcv pids (msg_lspid, msg_lrpid), no creator pid, no count
//   of the processes blocked on it;
//   semaphore sets: per semaphore the last semop pid (GETPID) and the waiters (GETNCNT/GETZCNT),
//   no creator pid.
// and the holder scan (holders.ts) says who has a segment attached and who is blocked on a queue
// or set now. An object is leaked when every process it records is gone (or its pid was reused
// by a newer process) and nobody is attached to it or waiting on it. When that cannot be known
// (a queue while some processes cannot be looked at; a set whose values cannot be read) the
// verdict is 'unknown', never 'leaked'. Every verdict comes with its reasons.
// A POSIX object (queue, semaphore, shared memory) records no pid at all: it is leaked when no
// process has it open (/proc/PID/fd) or mapped (/proc/PID/maps), and unknown when some process
// could not be looked at (judgePosix).
import {
  type IpcRecord,
  type QueueRecord,
  type SegmentRecord,
  type SemaphoreRecord,
  streamQueues,
  streamSegments,
  streamSemaphores,
} from '../ipc/inventory.js';
import { identityOf } from '../ipc/posix-common.js';
import { listPosix, mqueueMounted, type PosixRecord } from '../ipc/posix-inventory.js';
import { plural } from '../render/human.js';
import { recordJson, recordText } from '../render/ipcs-json.js';
import { type JsonValue, scalar, toJson } from '../render/json.js';
import type { NameResolver } from '../render/names.js';
import { type HolderScan, type Holders, type PosixHolders, scanHolders, type Waiter } from './holders.js';
import { posixJson, posixTargets } from './posix.js';
import { type PidState, ProcessChecker } from './processes.js';

export type VerdictWord = 'leaked' | 'in use' | 'unknown';

export interface Verdict {
  record: IpcRecord;
  verdict: VerdictWord;
  /** verdict === 'leaked'. */
  leaked: boolean;
  /** Why (when leaked), or why not. */
  reasons: string[];
  /** Who was found holding it. */
  holders: Holders;
}

export interface LeakOptions {
  /** Now, in seconds since the epoch (tests). */
  now?: number;
  /** Objects changed (ctime) less than this many seconds ago are left out. */
  minAgeSeconds?: number;
  checker?: Pick<ProcessChecker, 'state'>;
  /** Who holds what, and what could not be looked at: scanHolders() (or a fake in tests). */
  holders: Pick<HolderScan, 'holders' | 'attachBlind' | 'waitBlind'>;
}

const gone = (s: PidState) => s === 'gone' || s === 'reused' || s === 'none';

function pidText(role: string, pid: number, state: PidState, never: string): string {
  if (state === 'none') return never;
  if (state === 'reused') return `${role} pid ${pid} is gone (the pid now belongs to a newer process)`;
  return `${role} pid ${pid} ${state === 'gone' ? 'is gone' : 'is alive'}`;
}

/** `pid 12 in msgrcv, pid 13 (thread 14) in msgsnd` */
export function waitersText(waiting: readonly Waiter[]): string {
  return waiting
    .map((w) => `pid ${w.pid}${w.tid === w.pid ? '' : ` (thread ${w.tid})`} in ${w.call}`)
    .join(', ');
}

function result(record: IpcRecord, verdict: VerdictWord, reasons: string[], holders: Holders): Verdict {
  return { record, verdict, leaked: verdict === 'leaked', reasons, holders };
}

function segment(r: SegmentRecord, c: Pick<ProcessChecker, 'state'>, scan: LeakOptions['holders']): Verdict {
  const h = scan.holders('shm', r.id);
  const cs = c.state(r.cpid, r.ctime);
  const ls = c.state(r.lpid, Math.max(r.atime, r.dtime));
  const reasons = [
    r.nattch === 0 ? 'nattch 0' : `${r.nattch} attached`,
    ...(h.attached.length > 0 ? [`attached by pid ${h.attached.join(', ')}`] : []),
    ...(r.nattch > h.attached.length && scan.attachBlind !== null
      ? [`who is attached cannot all be seen: ${scan.attachBlind}`]
      : []),
    pidText('creator', r.cpid, cs, 'creator unknown'),
    pidText('last shmat/shmdt', r.lpid, ls, 'never attached'),
  ];
  // nattch is the kernel's own count: 0 proves nobody is attached, whatever the scan saw.
  const free = r.nattch === 0 && h.attached.length === 0 && !r.dest && gone(cs) && gone(ls);
  return result(r, free ? 'leaked' : 'in use', reasons, h);
}

function queue(r: QueueRecord, c: Pick<ProcessChecker, 'state'>, scan: LeakOptions['holders']): Verdict {
  const h = scan.holders('msg', r.id);
  const ss = c.state(r.lspid, r.stime);
  const rs = c.state(r.lrpid, r.rtime);
  const reasons = [
    h.waiting.length > 0
      ? `waiting: ${waitersText(h.waiting)}`
      : scan.waitBlind === null
        ? 'nobody waiting in msgrcv/msgsnd'
        : `cannot tell whether a process waits in msgrcv/msgsnd: ${scan.waitBlind}`,
    pidText('last msgsnd', r.lspid, ss, 'no msgsnd ever'),
    pidText('last msgrcv', r.lrpid, rs, 'no msgrcv ever'),
    `${r.qnum} messages queued`,
    'the kernel records no creator pid for queues',
  ];
  if (h.waiting.length > 0 || !gone(ss) || !gone(rs)) return result(r, 'in use', reasons, h);
  return result(r, scan.waitBlind === null ? 'leaked' : 'unknown', reasons, h);
}

function semaphores(
  r: SemaphoreRecord,
  c: Pick<ProcessChecker, 'state'>,
  scan: LeakOptions['holders'],
): Verdict {
  const h = scan.holders('sem', r.id);
  const seen = h.waiting.length > 0 ? [`waiting: ${waitersText(h.waiting)}`] : [];
  if (r.elements === null) {
    const why =
      'its semaphores cannot be read (no read permission): their waiters and last users are unknown';
    return result(r, h.waiting.length > 0 ? 'in use' : 'unknown', [...seen, why], h);
  }
  // semncnt/semzcnt are the kernel's own counts: 0 proves nobody waits, whatever the scan saw.
  const waiters = r.elements.reduce((n, e) => n + e.ncount + e.zcount, 0);
  const pids = [...new Set(r.elements.map((e) => e.pid).filter((p) => p > 0))];
  const states = pids.map((p) => [p, c.state(p, r.otime)] as const);
  const reasons = [
    waiters === 0 ? 'nobody waiting' : `${waiters} process${waiters === 1 ? '' : 'es'} waiting`,
    ...seen,
    pids.length === 0
      ? 'never operated on (no semop)'
      : states.map(([p, s]) => pidText('last semop', p, s, '')).join(', '),
    'the kernel records no creator pid for semaphore sets',
  ];
  const free = waiters === 0 && h.waiting.length === 0 && states.every(([, s]) => gone(s));
  return result(r, free ? 'leaked' : 'in use', reasons, h);
}

/** The verdict of one record (whatever its age). */
export function judgeRecord(
  r: IpcRecord,
  c: Pick<ProcessChecker, 'state'>,
  scan: LeakOptions['holders'],
): Verdict {
  return r.kind === 'shm'
    ? segment(r, c, scan)
    : r.kind === 'msg'
      ? queue(r, c, scan)
      : semaphores(r, c, scan);
}

/** A verdict for each record (those younger than minAgeSeconds left out). */
export function judge(recordsIn: readonly IpcRecord[], opts: LeakOptions): Verdict[] {
  const c = opts.checker ?? new ProcessChecker();
  const now = opts.now ?? Date.now() / 1000;
  const minAge = opts.minAgeSeconds ?? 0;
  return recordsIn.filter((r) => now - r.ctime >= minAge).map((r) => judgeRecord(r, c, opts.holders));
}

export interface PosixVerdict {
  record: PosixRecord;
  verdict: VerdictWord;
  leaked: boolean;
  reasons: string[];
  holders: PosixHolders;
}

/** What is in a POSIX object, for its reasons. */
function posixContent(r: PosixRecord): string {
  if (r.kind === 'pmsg')
    return r.msgs === null ? 'its message count cannot be read' : `${plural(r.msgs, 'message')} queued`;
  if (r.kind === 'psem') return r.value === null ? 'its value cannot be read' : `value ${r.value}`;
  return `${r.size} bytes`;
}

/** The verdict of one POSIX record whose identity ("DEV:INODE") is `id`. */
export function judgePosixRecord(
  r: PosixRecord,
  id: string,
  holders: Pick<HolderScan, 'posixHolders' | 'posixBlind'>,
): PosixVerdict {
  const h = holders.posixHolders(id);
  const held = [
    ...(h.open.length > 0 ? [`open by pid ${h.open.join(', ')}`] : []),
    ...(h.mapped.length > 0 ? [`mapped by pid ${h.mapped.join(', ')}`] : []),
  ];
  const blind = holders.posixBlind;
  const verdict: VerdictWord = held.length > 0 ? 'in use' : blind === null ? 'leaked' : 'unknown';
  const first =
    held.length > 0
      ? held
      : [
          blind === null
            ? 'no process has it open or mapped'
            : `cannot tell whether a process has it open or mapped: ${blind}`,
        ];
  return {
    record: r,
    verdict,
    leaked: verdict === 'leaked',
    reasons: [...first, posixContent(r)],
    holders: h,
  };
}

/**
 * A verdict for each POSIX record (those changed less than minAgeSeconds ago, and those gone
 * since they were listed, left out): in use when a process has it open or mapped, leaked when
 * none has and every process was looked at, unknown otherwise.
 */
export function judgePosix(
  recordsIn: readonly PosixRecord[],
  opts: Pick<LeakOptions, 'now' | 'minAgeSeconds'> & {
    holders: Pick<HolderScan, 'posixHolders' | 'posixBlind'>;
    /** Each record's "DEV:INODE" (tests); default: stat of its path. */
    idOf?: (r: PosixRecord) => string | null;
  },
): PosixVerdict[] {
  const now = opts.now ?? Date.now() / 1000;
  const minAge = opts.minAgeSeconds ?? 0;
  const idOf = opts.idOf ?? ((r: PosixRecord) => identityOf(r.path));
  const out: PosixVerdict[] = [];
  for (const r of recordsIn) {
    if (now - Math.max(r.mtime, r.ctime) < minAge) continue;
    const id = idOf(r);
    if (id !== null) out.push(judgePosixRecord(r, id, opts.holders));
  }
  return out;
}

/** One row of `svipc leaks`, either family: the verdict, its reasons, the holders, the JSON record. */
export interface LeakRow {
  verdict: VerdictWord;
  leaked: boolean;
  reasons: string[];
  /** Pids with the segment attached, or the POSIX object mapped. */
  attached: number[];
  waiting: { pid: number; tid: number; call: string }[];
  /** Pids with the POSIX object open. */
  open: number[];
  object: { [key: string]: JsonValue };
}

/** A verdict of either family. */
export type AnyVerdict = Verdict | PosixVerdict;

const isPosix = (r: IpcRecord | PosixRecord): r is PosixRecord =>
  r.kind === 'pmsg' || r.kind === 'psem' || r.kind === 'pshm';

/**
 * Every object of both families, judged now, one at a time: the POSIX objects are listed and
 * the holder scan (holders.ts) is made first, once; then each System V record is judged as
 * /proc/sysvipc is read (queues, segments, semaphore sets with their semaphores' counts), then
 * each POSIX record. Nothing holds every record: 37,000 objects are written as they are judged.
 * A holder that started before the scan is seen. (The scan came after the listing before: then
 * a queue's receiver that blocked after the scan was missed; now one that blocked on a queue
 * made after the scan began is. Either is a server still starting: what --min-age is for.)
 */
export class LeakFinder {
  /** false when /dev/mqueue is not mounted: the POSIX queues could not be listed, so they are not judged. */
  readonly posixQueuesSeen: boolean;
  readonly #minAge: number;
  readonly #posix: PosixRecord[];
  readonly #ids: Map<string, string>;
  readonly #scan: HolderScan;
  /** Pid states are remembered: a record judged twice gets the same verdict. */
  readonly #checker = new ProcessChecker();

  constructor(minAgeSeconds: number) {
    this.#minAge = minAgeSeconds;
    this.#posix = listPosix();
    const targets = posixTargets(this.#posix);
    this.#ids = new Map(targets.map((t) => [t.path, t.id]));
    this.#scan = scanHolders({ posix: targets });
    this.posixQueuesSeen = mqueueMounted();
  }

  /** Each object's verdict (those changed less than minAgeSeconds ago left out), as it is read. */
  *verdicts(): Generator<AnyVerdict, void, undefined> {
    const sources = [
      () => streamQueues().records,
      () => streamSegments().records,
      () => streamSemaphores({ values: true }).records,
    ];
    for (const source of sources) {
      for (const r of source() as Iterable<IpcRecord>) {
        // Now, per record: an object made while /proc is read is not younger than 0 seconds.
        if (Date.now() / 1000 - r.ctime >= this.#minAge) yield judgeRecord(r, this.#checker, this.#scan);
      }
    }
    for (const r of this.#posix) {
      if (Date.now() / 1000 - Math.max(r.mtime, r.ctime) < this.#minAge) continue;
      const id = this.#ids.get(r.path);
      if (id !== undefined) yield judgePosixRecord(r, id, this.#scan);
    }
  }

  /**
   * A record verdicts() judged, kept for again() (a document that says how many are unknown
   * before it lists them holds what it lists): a set's semaphores packed as 4 int32s each, and
   * with the set its verdict, when given (text() writes it without judging the set again).
   */
  hold(r: IpcRecord | PosixRecord, verdict?: AnyVerdict): Held {
    if (r.kind !== 'sem' || r.elements === null) return r;
    const packed = new Int32Array(4 * r.elements.length);
    let o = 0;
    for (const e of r.elements) {
      packed[o++] = e.value;
      packed[o++] = e.ncount;
      packed[o++] = e.zcount;
      packed[o++] = e.pid;
    }
    const set = { ...r, elements: null };
    if (verdict === undefined) return { set, packed };
    return {
      set,
      packed,
      judged: { verdict: verdict.verdict, reasons: verdict.reasons, holders: verdict.holders as Holders },
    };
  }

  /** The verdict of a record verdicts() judged and hold() kept, again: the same one (pid states are remembered). */
  again(held: Held): AnyVerdict {
    if ('packed' in held) {
      const { set, packed } = held;
      const elements = Array.from({ length: packed.length / 4 }, (_, i) => ({
        semnum: i,
        value: packed[4 * i]!,
        ncount: packed[4 * i + 1]!,
        zcount: packed[4 * i + 2]!,
        pid: packed[4 * i + 3]!,
      }));
      return judgeRecord({ ...set, elements }, this.#checker, this.#scan);
    }
    if (!isPosix(held)) return judgeRecord(held, this.#checker, this.#scan);
    return judgePosixRecord(held, this.#ids.get(held.path)!, this.#scan);
  }

  /**
   * The JSON text of leakRow(again(held), names) at `indent`, written straight from what is held:
   * a set held with its verdict is not judged again, nor are its semaphores made into objects.
   */
  text(held: Held, names: NameResolver, indent: string, step: string): string {
    if ('judged' in held && held.judged !== undefined) {
      const { verdict, reasons, holders } = held.judged;
      const v = { record: held.set, verdict, leaked: verdict === 'leaked', reasons, holders };
      return leakRowText(v, names, indent, step, held.packed);
    }
    return leakRowText(this.again(held), names, indent, step);
  }
}

/** What LeakFinder.hold() keeps of a record. */
export type Held =
  | IpcRecord
  | PosixRecord
  | {
      set: SemaphoreRecord;
      packed: Int32Array;
      judged?: { verdict: VerdictWord; reasons: string[]; holders: Holders };
    };

/** `[\n` items `\n]` as json.ts's text() writes an array whose items are at `inner` + `step`. */
function listText(items: readonly string[], inner: string, step: string): string {
  if (items.length === 0) return '[]';
  const at = inner + step;
  return `[\n${at}${items.join(`,\n${at}`)}\n${inner}]`;
}

/**
 * The text of leakRow(v, names) at `indent`, as json.ts's text() writes it, made straight from
 * the verdict (a System V object by recordText; `packed`: a set's semaphores, its elements
 * being null). test/unit/hygiene.test.ts compares the two.
 */
export function leakRowText(
  v: AnyVerdict,
  names: NameResolver,
  indent: string,
  step: string,
  packed?: Int32Array,
): string {
  const inner = indent + step;
  const member = (k: string) => `,\n${inner}"${k}": `;
  let attached: readonly number[];
  let waiting: string[] = [];
  let open: readonly number[] = [];
  let object: string;
  if (isPosix(v.record)) {
    const h = v.holders as PosixHolders;
    attached = h.mapped;
    open = h.open;
    // The object's text at no indentation, indented: JSON text holds no newline but its own.
    object = toJson(posixJson(v.record, names), step).slice(0, -1).replaceAll('\n', `\n${inner}`);
  } else {
    const h = v.holders as Holders;
    attached = h.attached;
    const m = inner + step + step;
    waiting = h.waiting.map(
      (w) =>
        `{\n${m}"pid": ${scalar(w.pid)},\n${m}"tid": ${scalar(w.tid)},\n${m}"call": ${scalar(w.call)}\n${inner}${step}}`,
    );
    object = recordText(v.record, names, inner, step, packed);
  }
  return (
    `{\n${inner}"verdict": ${scalar(v.verdict)}` +
    `${member('leaked')}${v.leaked ? 'true' : 'false'}` +
    `${member('reasons')}${listText(v.reasons.map(scalar), inner, step)}` +
    `${member('attached')}${listText(attached.map(scalar), inner, step)}` +
    `${member('waiting')}${listText(waiting, inner, step)}` +
    `${member('open')}${listText(open.map(scalar), inner, step)}` +
    `${member('object')}${object}\n${indent}}`
  );
}

/** The row of a verdict, with its object's JSON record. */
export function leakRow(v: AnyVerdict, names: NameResolver): LeakRow {
  const { verdict, leaked, reasons } = v;
  if (isPosix(v.record)) {
    const { mapped, open } = v.holders as PosixHolders;
    return {
      verdict,
      leaked,
      reasons,
      attached: mapped,
      waiting: [],
      open,
      object: posixJson(v.record, names),
    };
  }
  const { attached, waiting } = v.holders as Holders;
  const waiters = waiting.map((w) => ({ pid: w.pid, tid: w.tid, call: w.call }));
  return {
    verdict,
    leaked,
    reasons,
    attached,
    waiting: waiters,
    open: [],
    object: recordJson(v.record, names),
  };
}
