// `svipc sem create|op|get /NAME`: POSIX named semaphores from the shell. `op /NAME -1` takes one
// (sem_trywait, then sem_timedwait in slices: --timeout, --nowait, interruptible), `op /NAME +N`
// posts N times (sem_post). A POSIX semaphore is one value, taken one at a time: no NUM, no -N.
// Also which family a subcommand's TARGET picks (the *Either actions of commands/sem.ts).
import { PX } from '../ipc/libc.js';
import { PosixSemaphore } from '../ipc/posix-sem.js';
import type { CommandContext } from './context.js';
import { UsageError } from './exit.js';
import { announceCreated, written } from './output.js';
import {
  noPosixForm,
  type PosixSituation,
  posixExplained,
  posixName,
  refuseOptions,
} from './posix-primitives.js';
import { jsonText, noMore, type WaitFlags, waitOptions } from './primitives.js';
import * as sysv from './sem-set.js';
import type { TargetOptions } from './target.js';
import { parseCount, parseMode } from './values.js';

/** sem create /NAME [--init V]: sem_open(O_CREAT|O_EXCL) with V (default 0), which sets it atomically. */
export async function createSemaphore(
  ctx: CommandContext,
  name: string,
  opts: { init?: string; mode: string; json?: boolean },
): Promise<number> {
  const mode = parseMode(opts.mode);
  const value = opts.init === undefined ? 0 : parseCount(opts.init, 'value', PX.SEM_VALUE_MAX);
  const sem = posixExplained({ kind: 'psem', name, op: 'create' }, () =>
    PosixSemaphore.create(name, { value, mode }),
  );
  try {
    const text = opts.json ? jsonText({ name, value, mode: `0${mode.toString(8)}` }) : `${name}\n`;
    await announceCreated(ctx, text, `POSIX semaphore ${name}`, () => sem.remove());
  } finally {
    sem.close();
  }
  return 0;
}

function openSemaphore(name: string, op: PosixSituation['op']): PosixSemaphore {
  // sem_open maps it read-write: every use needs both permissions.
  return posixExplained({ kind: 'psem', name, op, access: 'read and write' }, () =>
    PosixSemaphore.open(name),
  );
}

/** "-1" (wait) or "+N"/"N" (post N times); anything else is refused with what to use instead. */
export function parsePosixOp(text: string | undefined): number {
  if (text === undefined) throw new UsageError('give the operation: -1 (sem_wait) or +1 (sem_post)');
  const m = /^([+-]?)([0-9]+)$/.exec(text);
  if (!m) throw new UsageError(`invalid operation: '${text}' (-1 to wait, +N to post)`);
  const n = parseCount(m[2]!, 'operation', PX.SEM_VALUE_MAX);
  if (m[1] === '-') {
    if (n !== 1)
      throw new UsageError(
        `a POSIX semaphore is taken one at a time: '${text}' would not be atomic (use -1, or a System V set)`,
      );
    return -1;
  }
  if (n === 0) throw new UsageError("a POSIX semaphore has no wait-for-zero: '0' (use -1 or +N)");
  return n;
}

/** sem op /NAME -1|+N. */
export async function operate(
  ctx: CommandContext,
  name: string,
  rest: readonly string[],
  opts: WaitFlags,
): Promise<number> {
  const [opText, ...extra] = rest;
  noMore(extra);
  const op = parsePosixOp(opText);
  const wait = waitOptions(ctx, opts);
  if (op > 0 && (opts.nowait || opts.timeout !== undefined))
    throw new UsageError('--nowait and --timeout apply to -1: sem_post never waits');
  const sem = openSemaphore(name, op < 0 ? 'wait' : 'post');
  try {
    if (op < 0) {
      await posixExplained({ kind: 'psem', name, op: 'wait', ...wait }, () => sem.wait(wait));
    } else {
      for (let i = 0; i < op; i++) posixExplained({ kind: 'psem', name, op: 'post' }, () => sem.post());
    }
  } finally {
    sem.close();
  }
  return 0;
}

/** sem get /NAME: sem_getvalue. */
export async function getValue(
  ctx: CommandContext,
  name: string,
  rest: readonly string[],
  opts: { json?: boolean },
): Promise<number> {
  if (rest.length > 0) throw new UsageError(`a POSIX semaphore has one value: no NUM ('${rest[0]}')`);
  const sem = openSemaphore(name, 'read');
  try {
    const value = posixExplained({ kind: 'psem', name, op: 'read' }, () => sem.value());
    await written(ctx.stdout, opts.json ? jsonText({ name, value }) : `${value}\n`);
  } finally {
    sem.close();
  }
  return 0;
}

const SYSV_CREATE = {
  key: '-k/--key',
  path: '--path',
  proj: '--proj',
  nsems: '-n/--nsems',
  existOk: '--exist-ok',
  timeout: '--timeout',
};

/** sem create [/NAME]: a System V set, or with /NAME a POSIX semaphore. */
export function createEither(ctx: CommandContext, name: string | undefined, opts: sysv.CreateFlags) {
  if (name === undefined) return sysv.createAction(ctx, opts);
  if (!name.startsWith('/'))
    throw new UsageError(`unexpected argument: '${name}' (a POSIX semaphore is named /NAME)`);
  refuseOptions(opts, SYSV_CREATE, 'psem', 'posix');
  if (opts.init?.includes(',')) throw new UsageError('a POSIX semaphore has one value: --init V');
  return createSemaphore(ctx, posixName({}, [name])!, opts);
}

/** sem op TARGET ...: the family the TARGET names. */
export function opEither(
  ctx: CommandContext,
  args: string[],
  opts: TargetOptions & { undo?: boolean; nowait?: boolean },
) {
  const name = posixName(opts, args);
  if (name === null) return sysv.opAction(ctx, args, opts);
  refuseOptions(opts, { undo: '--undo' }, 'psem', 'posix');
  return operate(ctx, name, args.slice(1), opts);
}

/** sem get TARGET: the family the TARGET names. */
export function getEither(ctx: CommandContext, args: string[], opts: TargetOptions & { json?: boolean }) {
  const name = posixName(opts, args);
  return name === null ? sysv.getAction(ctx, args, opts) : getValue(ctx, name, args.slice(1), opts);
}

/** sem set has no POSIX form. */
export function setEither(ctx: CommandContext, args: string[], opts: TargetOptions & { all?: string }) {
  if (posixName(opts, args) !== null)
    noPosixForm('psem', 'set', 'a POSIX semaphore changes only by sem_post and sem_wait (sem op /NAME +N)');
  return sysv.setAction(ctx, args, opts);
}
