// util-linux 2.38.1 ipcs text formats, byte for byte (sys-utils/ipcs.c, ipcutils.c): the
// listings (default, -t, -p, -c), the limits (-l), the summaries (-u), the details (-i), in
// each unit (default, -b, --human). Pure: records, limits and names in, text out.
import { formatKey } from '../ipc/ftok.js';
import type {
  QueueLimits,
  QueueRecord,
  SegmentLimits,
  SegmentRecord,
  SemaphoreLimits,
  SemaphoreRecord,
} from '../ipc/inventory.js';
import type { MsgInfo, SemInfo, ShmInfo } from '../ipc/types.js';
import { sizeToHumanString } from './human.js';
import type { NameResolver } from './names.js';
import {
  left,
  leftTrunc,
  octal,
  octalAlt,
  right,
  signed32,
  truncate,
  unsigned32,
  widthed,
} from './printf.js';
import { ctime } from './time.js';

/** -t, -p, -c, -l, -u, or none (the default listing). The last one given wins, as in util-linux. */
export type IpcsFormat = 'default' | 'time' | 'pid' | 'creator' | 'limits' | 'summary';
/** IPC_UNIT_*: none given, -b, --human (kbytes is used internally by -l). */
export type IpcsUnit = 'default' | 'bytes' | 'kbytes' | 'human';

const SHM_DEST = 0o1000;
const SHM_LOCKED = 0o2000;
const U64 = (1n << 64n) - 1n;

/** ipc_print_size(): "msg (unit) = " (or "msg" when it ends with '='), the size, `end`. */
export function printSize(
  unit: IpcsUnit,
  msg: string | null,
  size: number | bigint,
  end: string | null,
  width: number,
): string {
  let out = '';
  if (msg !== null) {
    if (msg.endsWith('=')) out += msg;
    else if (unit === 'bytes') out += `${msg} (bytes) = `;
    else if (unit === 'kbytes') out += `${msg} (kbytes) = `;
    else out += `${msg} = `;
  }
  // The common case, a non-negative safe integer in bytes, needs no BigInt (a listing's hot path).
  if (
    unit !== 'kbytes' &&
    unit !== 'human' &&
    typeof size === 'number' &&
    size >= 0 &&
    Number.isSafeInteger(size)
  )
    return out + widthed(size, width) + (end ?? '');
  const n = BigInt.asUintN(64, BigInt(size));
  if (unit === 'kbytes') out += widthed(n / 1024n, width);
  else if (unit === 'human') out += widthed(sizeToHumanString(n), width);
  else out += widthed(n, width);
  return out + (end ?? '');
}

/** The owner cells already laid out, per resolver: a listing has few owners and many lines. */
const ownerCells = new WeakMap<NameResolver, Map<number, string>>();

/** "%-10.10s" of the owner's name, or "%-10u" of the uid. */
function owner(uid: number, names: NameResolver): string {
  let cells = ownerCells.get(names);
  if (cells === undefined) {
    cells = new Map();
    ownerCells.set(names, cells);
  }
  let cell = cells.get(uid);
  if (cell === undefined) {
    const name = names.user(uid);
    cell = name === null ? left(unsigned32(uid), 10) : leftTrunc(name, 10, 10);
    cells.set(uid, cell);
  }
  return cell;
}

/** ipc_print_perms(): the -c line (names are not truncated there). */
function creatorLine(
  r: { id: number; mode: number; uid: number; gid: number; cuid: number; cgid: number },
  names: NameResolver,
): string {
  const u = (uid: number) => left(names.user(uid) ?? unsigned32(uid), 10);
  const g = (gid: number) => left(names.group(gid) ?? unsigned32(gid), 10);
  return `${left(r.id, 10)} ${left(octal(r.mode & 0o777), 10)} ${u(r.cuid)} ${g(r.cgid)} ${u(r.uid)} ${g(r.gid)}\n`;
}

/** "%-W.Ps" of ctime + skip, or of "Not set" when the time is 0. */
function when(t: number, width: number, precision: number, skip: number): string {
  const s = t ? ctime(t).slice(skip) + '\n' : 'Not set';
  return left(truncate(s, precision), width);
}

// ------------------------------------------------------------------------- listings

/** One listing: "------ title --------", the column header, then a line per record. */
interface Listing<R> {
  title: string;
  header: string;
  line: (r: R) => string;
}

type Owned = Parameters<typeof creatorLine>[0];

/** How many characters a listing gathers before it hands them on. */
const LISTING_CHUNK = 64 * 1024;

/** The listing's text in pieces of about LISTING_CHUNK characters, as the records come. */
function* listingChunks<R>(records: Iterable<R>, l: Listing<R>): Generator<string, void, undefined> {
  let out = `------ ${l.title} --------\n${l.header}`;
  for (const r of records) {
    out += l.line(r);
    if (out.length >= LISTING_CHUNK) {
      yield out;
      out = '';
    }
  }
  yield out;
}

const joined = (chunks: Iterable<string>): string => [...chunks].join('');

/** The -c listing, the same for every kind but for its title and id column. */
function creatorListing<R extends Owned>(title: string, idName: string, names: NameResolver): Listing<R> {
  return {
    title,
    header: `${left(idName, 10)} ${left('perms', 10)} ${left('cuid', 10)} ${left('cgid', 10)} ${left('uid', 10)} ${left('gid', 10)}\n`,
    line: (r) => creatorLine(r, names),
  };
}

/** The first four columns of a default listing's line: key, id, owner, perms. */
function keyIdOwnerPerms(
  r: { key: number; id: number; uid: number; mode: number },
  names: NameResolver,
): string {
  return `${formatKey(r.key)} ${left(r.id, 10)} ${owner(r.uid, names)} ${permsCell(r.mode)} `;
}

/** The "%-10o" perms cells already laid out: a listing has few modes and many lines. */
const permsCells = new Map<number, string>();
function permsCell(mode: number): string {
  const perms = mode & 0o777;
  let cell = permsCells.get(perms);
  if (cell === undefined) {
    cell = left(octal(perms), 10);
    permsCells.set(perms, cell);
  }
  return cell;
}

/** A segment's status cells: "%-6s %-6s" of dest and locked (or a space). */
const STATUS_CELLS = [
  `${left(' ', 6)} ${left(' ', 6)}`,
  `${left('dest', 6)} ${left(' ', 6)}`,
  `${left(' ', 6)} ${left('locked', 6)}`,
  `${left('dest', 6)} ${left('locked', 6)}`,
];
const statusCells = (mode: number): string =>
  STATUS_CELLS[(mode & SHM_DEST ? 1 : 0) + (mode & SHM_LOCKED ? 2 : 0)]!;

export function renderQueues(
  records: Iterable<QueueRecord>,
  format: IpcsFormat,
  unit: IpcsUnit,
  names: NameResolver,
): string {
  return joined(queueChunks(records, format, unit, names));
}

/** renderQueues's text in pieces, made as the records come (a listing never held whole). */
export function queueChunks(
  records: Iterable<QueueRecord>,
  format: IpcsFormat,
  unit: IpcsUnit,
  names: NameResolver,
): Generator<string, void, undefined> {
  return listingChunks(records, queueListing(format, unit, names));
}

function queueListing(format: IpcsFormat, unit: IpcsUnit, names: NameResolver): Listing<QueueRecord> {
  switch (format) {
    case 'creator':
      return creatorListing('Message Queues Creators/Owners', 'msqid', names);
    case 'time':
      return {
        title: 'Message Queues Send/Recv/Change Times',
        header: `${left('msqid', 8)} ${left('owner', 10)} ${left('send', 20)} ${left('recv', 20)} ${left('change', 20)}\n`,
        line: (r) =>
          `${left(r.id, 8)} ${owner(r.uid, names)}` +
          ` ${when(r.stime, 20, 16, 4)} ${when(r.rtime, 20, 16, 4)} ${when(r.ctime, 20, 16, 4)}\n`,
      };
    case 'pid':
      return {
        title: 'Message Queues PIDs',
        header: `${left('msqid', 10)} ${left('owner', 10)} ${left('lspid', 10)} ${left('lrpid', 10)}\n`,
        line: (r) =>
          `${left(r.id, 8)} ${owner(r.uid, names)}  ${right(signed32(r.lspid), 5)}     ${right(signed32(r.lrpid), 5)}\n`,
      };
    default:
      return {
        title: 'Message Queues',
        header:
          `${left('key', 10)} ${left('msqid', 10)} ${left('owner', 10)} ${left('perms', 10)} ` +
          `${left(unit === 'human' ? 'size' : 'used-bytes', 12)} ${left('messages', 12)}\n`,
        line: (r) =>
          keyIdOwnerPerms(r, names) +
          (unit === 'human'
            ? printSize(unit, null, r.cbytes, '      ', 6)
            : printSize(unit, null, r.cbytes, null, -12)) +
          ` ${left(r.qnum, 12)}\n`,
      };
  }
}

export function renderSegments(
  records: Iterable<SegmentRecord>,
  format: IpcsFormat,
  unit: IpcsUnit,
  names: NameResolver,
): string {
  return joined(segmentChunks(records, format, unit, names));
}

/** renderSegments's text in pieces, made as the records come. */
export function segmentChunks(
  records: Iterable<SegmentRecord>,
  format: IpcsFormat,
  unit: IpcsUnit,
  names: NameResolver,
): Generator<string, void, undefined> {
  return listingChunks(records, segmentListing(format, unit, names));
}

function segmentListing(format: IpcsFormat, unit: IpcsUnit, names: NameResolver): Listing<SegmentRecord> {
  switch (format) {
    case 'creator':
      return creatorListing('Shared Memory Segment Creators/Owners', 'shmid', names);
    case 'time':
      return {
        title: 'Shared Memory Attach/Detach/Change Times',
        header: `${left('shmid', 10)} ${left('owner', 10)} ${left('attached', 20)} ${left('detached', 20)} ${left('changed', 20)}\n`,
        line: (r) =>
          `${left(r.id, 10)} ${owner(r.uid, names)}` +
          ` ${when(r.atime, 20, 16, 4)} ${when(r.dtime, 20, 16, 4)} ${when(r.ctime, 20, 16, 4)}\n`,
      };
    case 'pid':
      return {
        title: 'Shared Memory Creator/Last-op PIDs',
        header: `${left('shmid', 10)} ${left('owner', 10)} ${left('cpid', 10)} ${left('lpid', 10)}\n`,
        line: (r) =>
          `${left(r.id, 10)} ${owner(r.uid, names)} ${left(unsigned32(r.cpid), 10)} ${left(unsigned32(r.lpid), 10)}\n`,
      };
    default:
      return {
        title: 'Shared Memory Segments',
        header:
          `${left('key', 10)} ${left('shmid', 10)} ${left('owner', 10)} ${left('perms', 10)} ` +
          `${left(unit === 'human' ? 'size' : 'bytes', 10)} ${left('nattch', 10)} ${left('status', 12)}\n`,
        line: (r) =>
          keyIdOwnerPerms(r, names) +
          (unit === 'human'
            ? printSize(unit, null, r.size, '    ', 6)
            : printSize(unit, null, r.size, null, -10)) +
          ` ${left(r.nattch, 10)} ${statusCells(r.mode)}\n`,
      };
  }
}

export function renderSemaphores(
  records: Iterable<SemaphoreRecord>,
  format: IpcsFormat,
  names: NameResolver,
): string {
  return joined(semaphoreChunks(records, format, names));
}

/** renderSemaphores's text in pieces, made as the records come. */
export function* semaphoreChunks(
  records: Iterable<SemaphoreRecord>,
  format: IpcsFormat,
  names: NameResolver,
): Generator<string, void, undefined> {
  switch (format) {
    case 'creator':
      return yield* listingChunks(
        records,
        creatorListing('Semaphore Arrays Creators/Owners', 'semid', names),
      );
    case 'time':
      return yield* listingChunks(records, {
        title: 'Semaphore Operation/Change Times',
        header: `${left('semid', 8)} ${left('owner', 10)} ${left('last-op', 26)} ${left('last-changed', 26)}\n`,
        line: (r) =>
          `${left(r.id, 8)} ${owner(r.uid, names)}  ${when(r.otime, 26, 24, 0)} ${when(r.ctime, 26, 24, 0)}\n`,
      });
    case 'pid':
      // util-linux prints nothing at all for semaphores with -p.
      return;
    default:
      return yield* listingChunks(records, {
        title: 'Semaphore Arrays',
        header: `${left('key', 10)} ${left('semid', 10)} ${left('owner', 10)} ${left('perms', 10)} ${left('nsems', 10)}\n`,
        line: (r) => `${keyIdOwnerPerms(r, names)}${left(r.nsems, 10)}\n`,
      });
  }
}

// ------------------------------------------------------------------------- limits (-l)

export function renderQueueLimits(lim: QueueLimits | null, unit: IpcsUnit): string {
  if (lim === null) return 'unable to fetch message limits\n';
  const u = unit === 'default' ? 'bytes' : unit;
  return (
    '------ Messages Limits --------\n' +
    `max queues system wide = ${signed32(lim.msgmni)}\n` +
    printSize(u, 'max size of message', lim.msgmax, '\n', 0) +
    printSize(u, 'default max size of queue', lim.msgmnb, '\n', 0)
  );
}

export function renderSegmentLimits(lim: SegmentLimits | null, unit: IpcsUnit): string {
  if (lim === null) return 'unable to fetch shared memory limits\n';
  const pgsz = BigInt(lim.pageSize);
  let out =
    '------ Shared Memory Limits --------\n' +
    `max number of segments = ${BigInt.asUintN(64, lim.shmmni)}\n` +
    printSize(unit === 'default' ? 'kbytes' : unit, 'max seg size', lim.shmmax, '\n', 0);
  const shmall = BigInt.asUintN(64, lim.shmall);
  if (unit === 'kbytes' || unit === 'default') {
    const k = pgsz / 1024n;
    let tmp = (shmall * k) & U64;
    // overflow: util-linux prints the largest multiple of the factor instead of a wrapped value
    if (shmall !== 0n && (k === 0n || tmp / shmall !== k)) tmp = U64 - (k === 0n ? 0n : U64 % k);
    out += printSize('default', 'max total shared memory (kbytes)', tmp, '\n', 0);
  } else {
    let tmp = (shmall * pgsz) & U64;
    if (shmall !== 0n && tmp / shmall !== pgsz) tmp = U64 - (U64 % pgsz);
    out += printSize(unit, 'max total shared memory', tmp, '\n', 0);
  }
  out += printSize(unit === 'default' ? 'bytes' : unit, 'min seg size', lim.shmmin, '\n', 0);
  return out;
}

export function renderSemaphoreLimits(lim: SemaphoreLimits | null): string {
  if (lim === null) return 'unable to fetch semaphore limits\n';
  return (
    '------ Semaphore Limits --------\n' +
    `max number of arrays = ${signed32(lim.semmni)}\n` +
    `max semaphores per array = ${signed32(lim.semmsl)}\n` +
    `max semaphores system wide = ${signed32(lim.semmns)}\n` +
    `max ops per semop call = ${signed32(lim.semopm)}\n` +
    `semaphore max value = ${unsigned32(lim.semvmx)}\n`
  );
}

// ------------------------------------------------------------------------- summaries (-u)

export function renderQueueUsage(info: MsgInfo | null, unit: IpcsUnit): string {
  if (info === null) return 'kernel not configured for message queues\n';
  return (
    '------ Messages Status --------\n' +
    `allocated queues = ${signed32(info.msgpool)}\n` +
    `used headers = ${signed32(info.msgmap)}\n` +
    // msgtql is a C int passed as uint64_t: a negative one would print as its 64-bit wrap
    printSize(
      unit,
      'used space',
      BigInt.asUintN(64, BigInt(info.msgtql | 0)),
      unit === 'default' ? ' bytes\n' : '\n',
      0,
    )
  );
}

export function renderSegmentUsage(info: ShmInfo | null): string {
  if (info === null) return 'kernel not configured for shared memory\n';
  const l = (n: number) => String(BigInt.asIntN(64, BigInt(n)));
  return (
    '------ Shared Memory Status --------\n' +
    `segments allocated ${signed32(info.usedIds)}\n` +
    `pages allocated ${l(info.shmTot)}\n` +
    `pages resident  ${l(info.shmRss)}\n` +
    `pages swapped   ${l(info.shmSwp)}\n` +
    `Swap performance: ${l(info.swapAttempts)} attempts\t ${l(info.swapSuccesses)} successes\n`
  );
}

export function renderSemaphoreUsage(info: SemInfo | null): string {
  if (info === null) return 'kernel not configured for semaphores\n';
  return (
    '------ Semaphore Status --------\n' +
    `used arrays = ${signed32(info.semusz)}\n` +
    `allocated semaphores = ${signed32(info.semaem)}\n`
  );
}

// ------------------------------------------------------------------------- details (-i)

/** print_msg(); `id` is the id asked for (util-linux prints it, not the record's). */
export function renderQueueDetails(r: QueueRecord, id: number, unit: IpcsUnit): string {
  const human = unit === 'human';
  return (
    `\nMessage Queue msqid=${id}\n` +
    `uid=${unsigned32(r.uid)}\tgid=${unsigned32(r.gid)}\tcuid=${unsigned32(r.cuid)}\tcgid=${unsigned32(r.cgid)}\tmode=${octalAlt(r.mode)}\n` +
    printSize(unit, human ? 'csize=' : 'cbytes=', r.cbytes, '\t', 0) +
    printSize(unit, human ? 'qsize=' : 'qbytes=', r.qbytes ?? 0, '\t', 0) +
    `qnum=${r.qnum}\tlspid=${signed32(r.lspid)}\tlrpid=${signed32(r.lrpid)}\n` +
    `send_time=${when(r.stime, 26, 24, 0)}\n` +
    `rcv_time=${when(r.rtime, 26, 24, 0)}\n` +
    `change_time=${when(r.ctime, 26, 24, 0)}\n` +
    '\n'
  );
}

export function renderSegmentDetails(r: SegmentRecord, id: number, unit: IpcsUnit): string {
  return (
    `\nShared memory Segment shmid=${id}\n` +
    `uid=${unsigned32(r.uid)}\tgid=${unsigned32(r.gid)}\tcuid=${unsigned32(r.cuid)}\tcgid=${unsigned32(r.cgid)}\n` +
    `mode=${octalAlt(r.mode)}\taccess_perms=${octalAlt(r.mode & 0o777)}\n` +
    printSize(unit, unit === 'human' ? 'size=' : 'bytes=', r.size, '\t', 0) +
    `lpid=${unsigned32(r.lpid)}\tcpid=${unsigned32(r.cpid)}\tnattch=${r.nattch}\n` +
    `att_time=${when(r.atime, 26, 24, 0)}\n` +
    `det_time=${when(r.dtime, 26, 24, 0)}\n` +
    // change_time is printed even when 0 (util-linux calls ctime unconditionally)
    `change_time=${left(truncate(ctime(r.ctime) + '\n', 24), 26)}\n` +
    '\n'
  );
}

export function renderSemaphoreDetails(r: SemaphoreRecord, id: number): string {
  let out =
    `\nSemaphore Array semid=${id}\n` +
    `uid=${unsigned32(r.uid)}\t gid=${unsigned32(r.gid)}\t cuid=${unsigned32(r.cuid)}\t cgid=${unsigned32(r.cgid)}\n` +
    `mode=${octalAlt(r.mode)}, access_perms=${octalAlt(r.mode & 0o777)}\n` +
    `nsems = ${r.nsems}\n` +
    `otime = ${when(r.otime, 26, 24, 0)}\n` +
    `ctime = ${left(truncate(ctime(r.ctime) + '\n', 24), 26)}\n` +
    `${left('semnum', 10)} ${left('value', 10)} ${left('ncount', 10)} ${left('zcount', 10)} ${left('pid', 10)}\n`;
  for (const e of r.elements ?? []) {
    out += `${left(e.semnum, 10)} ${left(e.value, 10)} ${left(e.ncount, 10)} ${left(e.zcount, 10)} ${left(e.pid, 10)}\n`;
  }
  return out + '\n';
}

/** The help text of util-linux 2.38.1's ipcs, for `prog`. */
export function ipcsHelp(prog: string): string {
  return `
Usage:
 ${prog} [resource-option...] [output-option]
 ${prog} -m|-q|-s -i <id>

Show information on IPC facilities.

Options:
 -i, --id <id>  print details on resource identified by <id>
 -h, --help     display this help
 -V, --version  display version

Resource options:
 -m, --shmems      shared memory segments
 -q, --queues      message queues
 -s, --semaphores  semaphores
 -a, --all         all (default)

Output options:
 -t, --time        show attach, detach and change times
 -p, --pid         show PIDs of creator and last operator
 -c, --creator     show creator and owner
 -l, --limits      show resource limits
 -u, --summary     show status summary
     --human       show sizes in human-readable format
 -b, --bytes       show sizes in bytes

For more details see ipcs(1).
`;
}
