// What the POSIX forms of msg, sem and shm share: a TARGET that starts with "/" names a POSIX
// object; options of the other family refused (exit 2); POSIX errors explained in one line
// (the object's name, its owner and mode, the fs.mqueue limit or /dev/shm's room); the record
// of one object (stat) as name=value lines or JSON; the stat and rm subcommands of both families.
import { statfsSync, statSync } from 'node:fs';
import { IpcError, type IpcPerm } from '../ipc/index.js';
import { type IpcKind, KINDS } from '../ipc/kinds.js';
import { PX } from '../ipc/libc.js';
import { checkName } from '../ipc/posix-common.js';
import {
  listPosixQueues,
  listPosixSegments,
  listPosixSemaphores,
  type PosixKind,
  type PosixQueueLimits,
  type PosixRecord,
  posixQueueLimits,
} from '../ipc/posix-inventory.js';
import { MQUEUE_DIR, PosixMessageQueue } from '../ipc/posix-mq.js';
import { PosixSemaphore, semaphorePath } from '../ipc/posix-sem.js';
import { PosixSharedMemory, SHM_DIR } from '../ipc/posix-shm.js';
import { IpcArgumentError } from '../ipc/validate.js';
import type { CommandContext } from './context.js';
import { CommandError, EXIT, UsageError } from './exit.js';
import { explained, ownerText, translatingErrors, whoAmI } from './explain.js';
import {
  idDocumentOf,
  isoTime,
  jsonText,
  modeText,
  NAMES,
  noMore,
  statTextOf,
  targetSpec,
} from './primitives.js';
import type { CommandSpec } from './spec.js';
import { TARGET_USAGE, type TargetOptions, takeTarget } from './target.js';

export const NOUN: Record<PosixKind, string> = {
  pmsg: 'POSIX message queue',
  psem: 'POSIX semaphore',
  pshm: 'POSIX shared memory object',
};

const FAMILY_NOUN: Record<PosixKind, string> = {
  pmsg: 'message queues',
  psem: 'semaphores',
  pshm: 'shared memory',
};

/**
 * The POSIX name a subcommand's first argument gives ("/NAME"), or null for a System V TARGET.
 * With -k/--path the TARGET is System V and the first argument is data (it may start with "/").
 */
export function posixName(opts: TargetOptions, args: readonly string[]): string | null {
  if (opts.key !== undefined || opts.path !== undefined || opts.proj !== undefined) return null;
  const first = args[0];
  if (first === undefined || !first.startsWith('/')) return null;
  try {
    return checkName(first);
  } catch (e) {
    if (e instanceof IpcArgumentError) throw new UsageError(`invalid POSIX name '${first}': ${e.message}`);
    throw e;
  }
}

/** Options of one family given to the other: one line, exit 2. `flags` maps option keys to their flags. */
export function refuseOptions(
  opts: object,
  flags: Record<string, string>,
  kind: PosixKind,
  given: 'posix' | 'sysv',
): void {
  for (const [key, flag] of Object.entries(flags)) {
    if ((opts as Record<string, unknown>)[key] === undefined) continue;
    throw new UsageError(
      given === 'posix'
        ? `${flag} applies to System V ${FAMILY_NOUN[kind]}, not to POSIX ones (/NAME)`
        : `${flag} applies to POSIX ${FAMILY_NOUN[kind]} (/NAME), not to System V ones`,
    );
  }
}

/** A subcommand System V has and POSIX has not (msg peek, msg set, sem set). */
export function noPosixForm(kind: PosixKind, sub: string, why: string): never {
  throw new UsageError(`${sub} has no POSIX form: ${why} (${NOUN[kind]}s are named /NAME)`);
}

/** The file that holds a POSIX object. */
export function pathOf(kind: PosixKind, name: string): string {
  if (kind === 'pmsg') return `${MQUEUE_DIR}${name}`;
  if (kind === 'psem') return semaphorePath(name);
  return `${SHM_DIR}${name}`;
}

/** What was being done when a POSIX call failed. */
export interface PosixSituation {
  kind: PosixKind;
  name: string;
  op: 'create' | 'open' | 'send' | 'recv' | 'wait' | 'post' | 'read' | 'write' | 'remove' | 'stat';
  access?: 'read' | 'write' | 'read and write';
  /** Message size for send; --max-messages/--message-size for create; bytes for shm. */
  size?: number;
  maxMessages?: number;
  messageSize?: number;
  nowait?: boolean;
}

const VERB: Record<PosixSituation['op'], string> = {
  create: 'create',
  open: 'open',
  send: 'send to',
  recv: 'receive from',
  wait: 'wait on',
  post: 'post',
  read: 'read',
  write: 'write to',
  remove: 'remove',
  stat: 'read the status of',
};

/** "fs.mqueue.msgsize_max = 8192 bytes (change with: sysctl -w fs.mqueue.msgsize_max=N)". */
export function describeMqueueLimit(name: 'msg_max' | 'msgsize_max' | 'queues_max'): string {
  const l: PosixQueueLimits = posixQueueLimits();
  const v = name === 'msg_max' ? l.msgMax : name === 'msgsize_max' ? l.msgsizeMax : l.queuesMax;
  const unit = name === 'msg_max' ? 'messages' : name === 'msgsize_max' ? 'bytes' : 'queues';
  return `fs.mqueue.${name} = ${v === null ? 'unknown' : `${v} ${unit}`} (change with: sysctl -w fs.mqueue.${name}=N)`;
}

/** /dev/shm's size in bytes (the tmpfs's size= option), or null when it cannot be read. */
export function shmSize(): number | null {
  try {
    const s = statfsSync(SHM_DIR);
    return s.blocks * s.bsize;
  } catch {
    return null;
  }
}

/** /dev/shm's size and room, for a failure to grow or write an object there. */
export function shmRoom(): string {
  try {
    const s = statfsSync(SHM_DIR);
    return `${SHM_DIR} holds ${s.blocks * s.bsize} bytes, ${s.bavail * s.bsize} free`;
  } catch {
    return `${SHM_DIR}'s size is unknown`;
  }
}

function ownerOf(s: PosixSituation): string | null {
  try {
    const st = statSync(pathOf(s.kind, s.name));
    const perm: IpcPerm = {
      key: 0,
      uid: st.uid,
      gid: st.gid,
      cuid: st.uid,
      cgid: st.gid,
      mode: st.mode,
      seq: 0,
    };
    return ownerText(perm);
  } catch {
    return null;
  }
}

/** An IpcError of a POSIX call as one sentence (others pass through). */
export function explainPosix(e: unknown, s: PosixSituation): unknown {
  if (!(e instanceof IpcError)) return e;
  const what = `${NOUN[s.kind]} ${s.name}`;
  switch (e.code) {
    case 'ENOENT':
      return new CommandError(`no ${what}`);
    case 'EEXIST':
      return new CommandError(`${what} already exists`);
    case 'EACCES':
    case 'EPERM': {
      const need = s.access ? ` (needs ${s.access} permission)` : '';
      const owner = ownerOf(s);
      return new CommandError(
        `permission denied: cannot ${VERB[s.op]} ${what}${need}: ${owner ? `${owner}; ${whoAmI()}` : e.message}`,
      );
    }
    case 'EAGAIN':
      if (s.op === 'recv') return new CommandError(`${what} is empty (--nowait)`, EXIT.WOULD_BLOCK);
      if (s.op === 'send') return new CommandError(`${what} is full (--nowait)`, EXIT.WOULD_BLOCK);
      if (s.op === 'wait') return new CommandError(`${what} is 0 (--nowait)`, EXIT.WOULD_BLOCK);
      break;
    case 'EMSGSIZE':
      return messageTooLarge(s.name, String(s.size ?? '?'), s.messageSize);
    case 'EINVAL':
      if (s.kind === 'pmsg' && s.op === 'create') return mqueueInvalid(s, e);
      break;
    case 'ENOSPC':
      if (s.kind === 'pmsg' && s.op === 'create')
        return new CommandError(
          `cannot create ${what}: the namespace's queues are at ${describeMqueueLimit('queues_max')}`,
        );
      if (s.kind !== 'pmsg')
        return new CommandError(`cannot ${VERB[s.op]} ${what}: no space left: ${shmRoom()}`);
      break;
    case 'EMFILE':
      if (s.kind === 'pmsg' && s.op === 'create')
        return new CommandError(
          `cannot create ${what}: its memory would pass this user's RLIMIT_MSGQUEUE (ulimit -q), or too many files are open`,
        );
      break;
    case 'EOVERFLOW':
      if (s.op === 'post')
        return new CommandError(`${what} is at its maximum value (SEM_VALUE_MAX = ${PX.SEM_VALUE_MAX})`);
      break;
  }
  return new CommandError(`${what}: ${e.message}`);
}

/** EMSGSIZE, said with the queue's message size and the limit it was chosen under. */
export function messageTooLarge(name: string, size: string, messageSize: number | undefined): CommandError {
  return new CommandError(
    `message of ${size} bytes is larger than ${NOUN.pmsg} ${name}'s message size (${messageSize ?? '?'} bytes, ` +
      `chosen at its creation by --message-size; at most ${describeMqueueLimit('msgsize_max')})`,
  );
}

function mqueueInvalid(s: PosixSituation, e: IpcError): CommandError {
  const l = posixQueueLimits();
  const what = `cannot create ${NOUN.pmsg} ${s.name}`;
  if (s.maxMessages !== undefined && l.msgMax !== null && s.maxMessages > l.msgMax)
    return new CommandError(
      `${what}: --max-messages ${s.maxMessages} is more than ${describeMqueueLimit('msg_max')}`,
    );
  if (s.messageSize !== undefined && l.msgsizeMax !== null && s.messageSize > l.msgsizeMax)
    return new CommandError(
      `${what}: --message-size ${s.messageSize} is more than ${describeMqueueLimit('msgsize_max')}`,
    );
  return new CommandError(`${what}: ${e.message}`);
}

/** Run `fn`, explaining what it throws (or its promise rejects with). */
export function posixExplained<T>(s: PosixSituation, fn: () => T): T {
  return translatingErrors(fn, (e) => explainPosix(e, s));
}

/** The inventory's record of one POSIX object, or "no such" (exit 1). */
export function posixRecord(kind: PosixKind, name: string): PosixRecord {
  const list: PosixRecord[] =
    kind === 'pmsg' ? listPosixQueues() : kind === 'psem' ? listPosixSemaphores() : listPosixSegments();
  const r = list.find((x) => x.name === name);
  if (r === undefined) throw new CommandError(`no ${NOUN[kind]} ${name}`);
  return r;
}

/** A record with owner names and ISO times, in the order stat prints it. */
export function posixRecordJson(
  r: PosixRecord,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const { kind, name, path, mode, uid, gid, mtime, ctime, atime, ...rest } = r;
  return {
    kind,
    name,
    path,
    mode,
    uid,
    user: NAMES.user(uid),
    gid,
    group: NAMES.group(gid),
    ...rest,
    ...extra,
    mtime: isoTime(mtime),
    ctime: isoTime(ctime),
    atime: isoTime(atime),
  };
}

/** `stat /NAME`: name=value lines (mode in octal with its rwx form), or the JSON document. */
export function posixStatText(r: PosixRecord, json: boolean, extra: Record<string, unknown> = {}): string {
  return docText(posixRecordJson(r, extra), json);
}

function docText(doc: Record<string, unknown>, json: boolean): string {
  if (json) return jsonText(doc);
  let out = '';
  for (const [k, v] of Object.entries(doc)) {
    if (k === 'mode' && typeof v === 'number') out += `mode=${modeText(v)}\n`;
    else out += `${k}=${v === null ? '-' : String(v)}\n`;
  }
  return out;
}

const MQUEUE_MAGIC = 0x19800202;

/** Whether /dev/mqueue is the mqueue filesystem (an empty directory there is not). */
function mqueueFsMounted(): boolean {
  try {
    return statfsSync(MQUEUE_DIR).type === MQUEUE_MAGIC;
  } catch {
    return false;
  }
}

/**
 * `msg stat /NAME` where the mqueue filesystem is not mounted (as on many hosts): what
 * mq_getattr says, the rest unknown (null), and a line on stderr saying why, as util-linux does.
 */
function unmountedQueueStat(ctx: CommandContext, name: string, json: boolean): string {
  const s: PosixSituation = { kind: 'pmsg', name, op: 'stat', access: 'read' };
  const q = posixExplained(s, () => PosixMessageQueue.open(name, { access: 'read' }));
  let a: ReturnType<PosixMessageQueue['attributes']>;
  try {
    a = posixExplained(s, () => q.attributes());
  } finally {
    q.close();
  }
  ctx.stderr.write(
    `${ctx.prog}: ${MQUEUE_DIR} is not mounted (mount -t mqueue none ${MQUEUE_DIR}): ` +
      `the queue's owner, mode, times and QSIZE are unknown\n`,
  );
  const unknown = { path: null, mode: null, uid: null, user: null, gid: null, group: null, qsize: null };
  const doc = { kind: 'pmsg', name, ...unknown, msgs: a.currentMessages, maxMessages: a.maxMessages };
  return docText({ ...doc, messageSize: a.messageSize, mtime: null, ctime: null, atime: null }, json);
}

const POSIX_KIND: Record<IpcKind, PosixKind> = { msg: 'pmsg', sem: 'psem', shm: 'pshm' };

/** `stat`, both families: System V's record as name=value lines or `ipcs --json -i`; POSIX's record. */
export function statSpec(kind: IpcKind, summary: string): CommandSpec {
  return targetSpec({
    name: 'stat',
    summary,
    usage: `${TARGET_USAGE} [--json]`,
    options: [
      {
        flags: '--json',
        description:
          'print the record as JSON: System V, the document of `svipc ipcs --json -i ID` (schema/ipcs.schema.json)',
      },
    ],
    action: (ctx: CommandContext, args: string[], opts: TargetOptions & { json?: boolean }) => {
      const name = posixName(opts, args);
      if (name !== null) {
        noMore(args.slice(1));
        const pkind = POSIX_KIND[kind];
        if (pkind === 'pmsg' && !mqueueFsMounted()) {
          ctx.stdout.write(unmountedQueueStat(ctx, name, opts.json ?? false));
          return 0;
        }
        const extra = pkind === 'pmsg' ? queueAttributes(name) : {};
        ctx.stdout.write(posixStatText(posixRecord(pkind, name), opts.json ?? false, extra));
        return 0;
      }
      const { target, rest } = takeTarget(kind, opts, args);
      noMore(rest);
      ctx.stdout.write(opts.json ? idDocumentOf(kind, target.id) : statTextOf(kind, target.id));
      return 0;
    },
  });
}

/** mq_getattr's sizes, which the queue's file does not show; {} without read permission. */
function queueAttributes(name: string): Record<string, unknown> {
  try {
    const q = PosixMessageQueue.open(name, { access: 'read' });
    try {
      const a = q.attributes();
      return { maxMessages: a.maxMessages, messageSize: a.messageSize };
    } finally {
      q.close();
    }
  } catch {
    return {};
  }
}

const UNLINK: Record<PosixKind, (name: string) => void> = {
  pmsg: (n) => PosixMessageQueue.unlink(n),
  psem: (n) => PosixSemaphore.unlink(n),
  pshm: (n) => PosixSharedMemory.unlink(n),
};

/**
 * `rm`, both families: IPC_RMID of the TARGET (the kind table's `remove`), or the unlink of
 * /NAME; `deferred` says what happens to those still using it, after a removal that waits.
 */
export function rmSpec(
  kind: IpcKind,
  summary: string,
  deferred?: (ctx: CommandContext, id: number) => void,
): CommandSpec {
  return targetSpec({
    name: 'rm',
    summary,
    usage: TARGET_USAGE,
    action: (ctx: CommandContext, args: string[], opts: TargetOptions) => {
      const name = posixName(opts, args);
      if (name !== null) {
        noMore(args.slice(1));
        const pkind = POSIX_KIND[kind];
        posixExplained({ kind: pkind, name, op: 'remove' }, () => UNLINK[pkind](name));
        return 0;
      }
      const { target, rest } = takeTarget(kind, opts, args);
      noMore(rest);
      explained({ kind, op: 'remove', id: target.id }, () => KINDS[kind].remove(target.id));
      deferred?.(ctx, target.id);
      return 0;
    },
  });
}
