// The semaphore rules behind `svipc sem`: values and NUM:OP checked, and the sem_otime
// initialization protocol. semget with IPC_CREAT leaves values unset until someone's SETVAL,
// and a second process may use the set before: so a creator makes the set exclusively, gives
// it its values, then marks it initialized by a no-op semop, which sets sem_otime; an opener
// waits until sem_otime != 0 before it uses the set. Also the System V subcommands' actions.
import {
  formatKey,
  isIpcError,
  SEMVMX,
  SemaphoreSet,
  type SemidDs,
  type SemOp,
  sleep,
  WaitAbortedError,
  WaitTimeoutError,
} from '../ipc/index.js';
import type { CommandContext } from './context.js';
import { CommandError, UsageError } from './exit.js';
import { explain, explained, type Situation, valueTooLarge } from './explain.js';
import { announceCreated, written } from './output.js';
import { idDocumentOf, jsonText, noMore, type WaitFlags, waitOptions } from './primitives.js';
import { keyOf, type Target, type TargetOptions, takeTarget } from './target.js';
import { parseCount, parseMode, parseSeconds } from './values.js';

/** How long an opener waits for the creator's initialization by default. */
export const INIT_WAIT_MS = 10_000;
/** A set opened by key whose ctime is younger than this may still be being initialized. */
const YOUNG_MS = 2_000;

/** A semaphore value: 0..SEMVMX. */
export function parseValue(s: string): number {
  const v = parseCount(s, 'semaphore value');
  if (v > SEMVMX) throw valueTooLarge(v);
  return v;
}

/** V[,V...] */
export function parseValues(s: string): number[] {
  return s.split(',').map((v) => parseValue(v.trim()));
}

/**
 * `create`'s --init V[,V...] and --nsems N: one value for all, or one per semaphore (default
 * one semaphore, value 0).
 */
export function initialValues(
  initText: string | undefined,
  nsemsText: string | undefined,
): { nsems: number; values: number[] } {
  let values = initText !== undefined ? parseValues(initText) : undefined;
  const nsems =
    nsemsText !== undefined
      ? parseCount(nsemsText, 'number of semaphores', 0x7fffffff)
      : (values?.length ?? 1);
  if (nsems < 1) throw new UsageError('a set needs at least one semaphore');
  if (values === undefined) values = [0];
  const first = values[0]!;
  if (values.length === 1) values = Array.from({ length: nsems }, () => first);
  if (values.length !== nsems) {
    throw new UsageError(
      `--init has ${values.length} values for ${nsems} semaphores (give one, or one per semaphore)`,
    );
  }
  return { nsems, values };
}

/** NUM:OP, e.g. 0:-1 (P), 1:+1 (V), 2:0 (wait for zero). */
export function parseOp(s: string, undo: boolean): SemOp {
  const m = /^([0-9]+):([+-]?[0-9]+)$/.exec(s);
  if (!m) throw new UsageError(`invalid operation: '${s}' (NUM:OP expected, e.g. 0:-1)`);
  const num = Number(m[1]);
  const op = Number(m[2]);
  if (num > 0xffff) throw new UsageError(`invalid semaphore number: '${m[1]}'`);
  if (Math.abs(op) > SEMVMX) throw valueTooLarge(Math.abs(op));
  return { num, op, undo };
}

/** "no semaphore NUM" for a set of `nsems`. */
export function noSemaphore(id: number, num: number, nsems: number): CommandError {
  return new CommandError(`semaphore set ${id}: no semaphore ${num} (the set has ${nsems}: 0..${nsems - 1})`);
}

/**
 * The opener's half of the sem_otime protocol: wait until the creator's first semop.
 * With `youngOnly`, a set whose last change is older than YOUNG_MS is taken as it is (made by
 * a tool that never semops, such as ipcmk): no wait.
 */
export async function awaitInitialized(
  set: SemaphoreSet,
  s: Situation,
  opts: { timeoutMs: number; signal: AbortSignal; youngOnly: boolean },
): Promise<SemidDs> {
  const start = performance.now();
  for (;;) {
    const ds = explained(s, () => set.stat());
    if (ds.otime !== 0) return ds;
    if (opts.youngOnly && Date.now() - ds.ctime * 1000 > YOUNG_MS) return ds;
    if (opts.signal.aborted) throw new WaitAbortedError('semget');
    if (performance.now() - start >= opts.timeoutMs) {
      throw new WaitTimeoutError(
        `waiting for semaphore set ${set.id} to be initialized (sem_otime is still 0)`,
        opts.timeoutMs,
      );
    }
    await sleep(10, opts.signal);
  }
}

/** The creator's half: a semop that changes no value but sets sem_otime. */
export function markInitialized(set: SemaphoreSet, first: number): void {
  const ops: SemOp[] =
    first < SEMVMX
      ? [
          { num: 0, op: 1 },
          { num: 0, op: -1 },
        ]
      : [
          { num: 0, op: -1 },
          { num: 0, op: 1 },
        ];
  set.op(ops, { nowait: true });
}

/** Resolve TARGET; a set opened by key gets the young-set wait (unless `waitInit` is false). */
export async function openSet(
  ctx: CommandContext,
  opts: TargetOptions,
  args: string[],
  s: Omit<Situation, 'kind' | 'id'>,
  timeoutMs?: number,
  waitInit = true,
): Promise<{ target: Target; set: SemaphoreSet; rest: string[]; sit: Situation }> {
  const { target, rest } = takeTarget('sem', opts, args);
  const set = new SemaphoreSet(target.id);
  const sit: Situation = { kind: 'sem', id: target.id, ...s };
  if (waitInit && target.key !== undefined) {
    await awaitInitialized(
      set,
      { ...sit, op: 'stat', access: 'read' },
      { timeoutMs: timeoutMs ?? INIT_WAIT_MS, signal: ctx.signal, youngOnly: true },
    );
  }
  return { target, set, rest, sit };
}

export interface CreateSetOptions {
  key: number | undefined;
  mode: number;
  nsems: number;
  values: number[];
  /** Open the set at `key` if it exists, and wait (this long) for its creator's initialization. */
  existOk?: { timeoutMs: () => number; signal: AbortSignal };
}

/**
 * Create a set exclusively, SETALL its values and mark it initialized; with `existOk`, open the
 * one at the key instead and wait until it is initialized (it must have at least `nsems`).
 * A set made here that fails half-way is removed again.
 */
export async function createSet(o: CreateSetOptions): Promise<{ set: SemaphoreSet; created: boolean }> {
  const { key, nsems, values } = o;
  const s: Situation = { kind: 'sem', op: 'create', nsems, ...(key !== undefined ? { key } : {}) };
  let set: SemaphoreSet;
  try {
    set = SemaphoreSet.create(nsems, { mode: o.mode, ...(key !== undefined ? { key } : {}) });
  } catch (e) {
    if (!(o.existOk && key !== undefined && isIpcError(e, 'EEXIST'))) throw explain(e, s);
    set = explained({ ...s, op: 'stat' }, () => SemaphoreSet.get(key, 0));
    const ds = await awaitInitialized(
      set,
      { kind: 'sem', op: 'stat', id: set.id, access: 'read' },
      { timeoutMs: o.existOk.timeoutMs(), signal: o.existOk.signal, youngOnly: false },
    );
    if (ds.nsems < nsems) {
      throw new CommandError(
        `semaphore set ${set.id} (key ${formatKey(key)}) exists with ${ds.nsems} semaphores, fewer than ${nsems}`,
      );
    }
    return { set, created: false };
  }
  const sit: Situation = { kind: 'sem', op: 'setval', id: set.id };
  try {
    explained(sit, () => set.setAll(values));
    explained({ ...sit, op: 'semop' }, () => markInitialized(set, values[0]!));
  } catch (e) {
    set.remove(); // Ours, and not initialized: leave nothing half-made.
    throw e;
  }
  return { set, created: true };
}

// The System V subcommands' actions (the POSIX ones are in posix-sem.ts).

export interface CreateFlags extends TargetOptions {
  json?: boolean;
  nsems?: string;
  init?: string;
  mode: string;
  existOk?: boolean;
  timeout?: string;
}

/** sem create (System V): made, given its values and marked, or with --exist-ok opened once initialized. */
export async function createAction(ctx: CommandContext, opts: CreateFlags): Promise<number> {
  const key = keyOf(opts);
  const mode = parseMode(opts.mode);
  const { nsems, values } = initialValues(opts.init, opts.nsems);
  if (opts.existOk && key === undefined) throw new UsageError('--exist-ok needs -k/--key or --path');
  if (opts.timeout !== undefined && !opts.existOk) throw new UsageError('--timeout applies to --exist-ok');
  const timeoutMs = () => (opts.timeout !== undefined ? parseSeconds(opts.timeout) : INIT_WAIT_MS);
  const { set, created } = await createSet({
    key,
    mode,
    nsems,
    values,
    ...(opts.existOk ? { existOk: { timeoutMs, signal: ctx.signal } } : {}),
  });
  const text = opts.json
    ? jsonText({ id: set.id, key: key ?? 0, keyHex: formatKey(key ?? 0), created, nsems })
    : `${set.id}\n`;
  // A set we made and nobody can know of is removed again; one we only opened is not ours.
  if (created) await announceCreated(ctx, text, `semaphore set ${set.id}`, () => set.remove());
  else await written(ctx.stdout, text);
  return 0;
}

/** sem get (System V): all values, or NUM's; --json as `ipcs --json -s -i ID`. */
export async function getAction(
  ctx: CommandContext,
  args: string[],
  opts: TargetOptions & { json?: boolean },
) {
  const { set, rest, sit } = await openSet(ctx, opts, args, { op: 'getval', access: 'read' });
  const [numText, ...extra] = rest;
  noMore(extra);
  const num = numText === undefined ? undefined : parseCount(numText, 'semaphore number', 0xffff);
  const values = explained(sit, () => set.getAll());
  if (num !== undefined && num >= values.length) throw noSemaphore(set.id, num, values.length);
  const nums = num === undefined ? values.map((_, i) => i) : [num];
  if (opts.json) {
    ctx.stdout.write(
      idDocumentOf('sem', set.id, (r) =>
        r.kind === 'sem' && num !== undefined
          ? { ...r, elements: (r.elements ?? []).filter((e) => e.semnum === num) }
          : r,
      ),
    );
  } else {
    ctx.stdout.write(`${nums.map((i) => values[i]).join(' ')}\n`);
  }
  return 0;
}

/** sem set (System V): SETVAL or SETALL, then the set is marked initialized. */
export async function setAction(ctx: CommandContext, args: string[], opts: TargetOptions & { all?: string }) {
  // The setter may be the initializer: it does not wait for sem_otime, it sets it (below).
  const { set, rest, sit } = await openSet(
    ctx,
    opts,
    args,
    { op: 'setval', access: 'write' },
    undefined,
    false,
  );
  if (opts.all !== undefined) {
    noMore(rest);
    const values = parseValues(opts.all);
    const nsems = explained({ ...sit, op: 'stat', access: 'read' }, () => set.stat().nsems);
    if (values.length !== nsems) {
      throw new UsageError(`--all has ${values.length} values for the ${nsems} semaphores of set ${set.id}`);
    }
    explained(sit, () => set.setAll(values));
    explained({ ...sit, op: 'semop' }, () => markInitialized(set, values[0]!));
    return 0;
  }
  const [numText, valueText, ...extra] = rest;
  if (numText === undefined || valueText === undefined)
    throw new UsageError('give NUM VALUE, or --all V,V...');
  noMore(extra);
  const num = parseCount(numText, 'semaphore number', 0xffff);
  const value = parseValue(valueText);
  try {
    set.setValue(num, value);
  } catch (e) {
    if (isIpcError(e, 'EINVAL')) {
      const n = explained({ ...sit, op: 'stat', access: 'read' }, () => set.stat().nsems);
      if (num >= n) throw noSemaphore(set.id, num, n);
    }
    throw explain(e, sit);
  }
  explained({ ...sit, op: 'semop' }, () =>
    markInitialized(
      set,
      explained(sit, () => set.getValue(0)),
    ),
  );
  return 0;
}

/** sem op (System V): one atomic semop of every NUM:OP. */
export async function opAction(
  ctx: CommandContext,
  args: string[],
  opts: TargetOptions & WaitFlags & { undo?: boolean },
): Promise<number> {
  const wait = waitOptions(ctx, opts);
  const { set, rest, sit } = await openSet(ctx, opts, args, { op: 'semop', access: 'write' }, wait.timeout);
  if (rest.length === 0) throw new UsageError('give at least one operation NUM:OP');
  const ops = rest.map((r) => parseOp(r, opts.undo ?? false));
  const s: Situation = { ...sit, nops: ops.length, ...(wait.nowait ? { nowait: true } : {}) };
  await explained(s, () => set.opAsync(ops, wait));
  return 0;
}
