// svipc sem create|get|set|op|stat|rm: System V semaphore sets from the shell.
//
// `create` is free of the initialization race the lecture describes (semget with IPC_CREAT
// leaves values unset until someone's SETVAL, and a second process may use the set before):
// the set is created exclusively, initialized, then marked initialized by a no-op semop,
// which sets sem_otime; an opener (`create --exist-ok`, or any command that opens a set by
// key right after it was made) waits until sem_otime != 0 before it uses the set.
import type { CommandContext } from '../src/cli/context.js';
import { CommandError, UsageError } from '../src/cli/exit.js';
import { explain, explained, explainedAsync, type Situation, valueTooLarge } from '../src/cli/explain.js';
import { announceCreated, CREATED_HELP, written } from '../src/cli/output.js';
import {
  EXIT_HELP,
  idDocumentOf,
  jsonText,
  noMore,
  rmSubcommand,
  statSubcommand,
  targetSubcommand,
  waitOptions,
} from '../src/cli/primitives.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import {
  keyOf,
  TARGET_HELP,
  TARGET_USAGE,
  type Target,
  type TargetOptions,
  takeTarget,
} from '../src/cli/target.js';
import { parseCount, parseMode, parseSeconds } from '../src/cli/values.js';
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
} from '../src/ipc/index.js';

interface Json {
  json?: boolean;
}

/** How long an opener waits for the creator's initialization by default. */
const INIT_WAIT_MS = 10_000;
/** A set opened by key whose ctime is younger than this may still be being initialized. */
const YOUNG_MS = 2_000;

function parseValue(s: string): number {
  const v = parseCount(s, 'semaphore value');
  if (v > SEMVMX) throw valueTooLarge(v);
  return v;
}

function parseValues(s: string): number[] {
  return s.split(',').map((v) => parseValue(v.trim()));
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

/** Resolve TARGET; a set opened by key gets the young-set wait. */
async function openSet(
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
      {
        timeoutMs: timeoutMs ?? INIT_WAIT_MS,
        signal: ctx.signal,
        youngOnly: true,
      },
    );
  }
  return { target, set, rest, sit };
}

/** Mark a set initialized: a semop that changes no value but sets sem_otime. */
function markInitialized(set: SemaphoreSet, first: number): void {
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

export async function run(ctx: CommandContext): Promise<number> {
  const program = newProgram(
    ctx,
    'System V semaphore sets from the shell: create, get, set, op, stat, rm.',
  ).addHelpText('after', TARGET_HELP + EXIT_HELP);

  // create
  program
    .command('create')
    .description('create and initialize a set, race-free, and print its id')
    .option('-k, --key <key>', 'create it with this key (fails if taken, unless --exist-ok)')
    .option('--path <path>', 'create it with the key ftok(PATH, PROJ)')
    .option('--proj <n>', 'project number for --path (default 1)')
    .option('-n, --nsems <n>', 'number of semaphores (default: the number of --init values, or 1)')
    .option('--init <values>', 'initial values V[,V...]: one for all, or one per semaphore (default 0)')
    .option('-m, --mode <mode>', 'permission bits, octal', '600')
    .option('--exist-ok', 'if the key is taken, open that set and wait until its creator has initialized it')
    .option('--timeout <seconds>', 'with --exist-ok: how long to wait for the initialization (default 10)')
    .option('--json', 'print {"id", "key", "keyHex", "created", "nsems"}')
    .addHelpText(
      'after',
      '\nThe set is created exclusively (IPC_EXCL), given its values (SETALL), then marked initialized\n' +
        'by a semop that changes nothing but sets sem_otime. Openers (--exist-ok, or any command that\n' +
        'opens a just-made set by key) wait for sem_otime != 0, so nobody uses uninitialized values.\n' +
        CREATED_HELP +
        EXIT_HELP,
    )
    .action(
      action(
        program,
        async (
          opts: TargetOptions &
            Json & { nsems?: string; init?: string; mode: string; existOk?: boolean; timeout?: string },
        ) => {
          const key = keyOf(opts);
          const mode = parseMode(opts.mode);
          let values = opts.init !== undefined ? parseValues(opts.init) : undefined;
          const nsems =
            opts.nsems !== undefined
              ? parseCount(opts.nsems, 'number of semaphores', 0x7fffffff)
              : (values?.length ?? 1);
          if (nsems < 1) throw new UsageError('a set needs at least one semaphore');
          if (values === undefined) values = [0];
          if (values.length === 1) values = Array.from({ length: nsems }, () => values![0]!);
          if (values.length !== nsems) {
            throw new UsageError(
              `--init has ${values.length} values for ${nsems} semaphores (give one, or one per semaphore)`,
            );
          }
          if (opts.existOk && key === undefined) throw new UsageError('--exist-ok needs -k/--key or --path');
          if (opts.timeout !== undefined && !opts.existOk)
            throw new UsageError('--timeout applies to --exist-ok');
          const s: Situation = { kind: 'sem', op: 'create', nsems, ...(key !== undefined ? { key } : {}) };
          let set: SemaphoreSet;
          let created = true;
          try {
            set = SemaphoreSet.create(nsems, { mode, ...(key !== undefined ? { key } : {}) });
          } catch (e) {
            if (!(opts.existOk && isIpcError(e, 'EEXIST'))) throw explain(e, s);
            created = false;
            set = explained({ ...s, op: 'stat' }, () => SemaphoreSet.get(key!, 0));
          }
          if (created) {
            const sit: Situation = { kind: 'sem', op: 'setval', id: set.id };
            try {
              explained(sit, () => set.setAll(values!));
              explained({ ...sit, op: 'semop' }, () => markInitialized(set, values![0]!));
            } catch (e) {
              set.remove(); // Ours, and not initialized: leave nothing half-made.
              throw e;
            }
          } else {
            const ds = await awaitInitialized(
              set,
              { kind: 'sem', op: 'stat', id: set.id, access: 'read' },
              {
                timeoutMs: opts.timeout !== undefined ? parseSeconds(opts.timeout) : INIT_WAIT_MS,
                signal: ctx.signal,
                youngOnly: false,
              },
            );
            if (ds.nsems < nsems) {
              throw new CommandError(
                `semaphore set ${set.id} (key ${formatKey(key!)}) exists with ${ds.nsems} semaphores, fewer than ${nsems}`,
              );
            }
          }
          const text = opts.json
            ? jsonText({ id: set.id, key: key ?? 0, keyHex: formatKey(key ?? 0), created, nsems })
            : `${set.id}\n`;
          // A set we made and nobody can know of is removed again; one we only opened is not ours.
          if (created) await announceCreated(ctx, text, `semaphore set ${set.id}`, () => set.remove());
          else await written(ctx.stdout, text);
          return 0;
        },
      ),
    );

  // get
  targetSubcommand(program, 'get', 'print the values of a set (all, or semaphore NUM)')
    .usage(`${TARGET_USAGE} [NUM] [--json]`)
    .argument('[args...]', 'TARGET id (unless -k/--path), then NUM')
    .option(
      '--json',
      'the document of `svipc ipcs --json -s -i ID`: elements hold value, ncount, zcount, pid',
    )
    .addHelpText('after', '\nOutput: the values separated by spaces, or the one value of NUM.')
    .action(
      action(program, async (args: string[], opts: TargetOptions & Json) => {
        const { set, rest, sit } = await openSet(ctx, opts, args, { op: 'getval', access: 'read' });
        const [numText, ...extra] = rest;
        noMore(extra);
        const num = numText === undefined ? undefined : parseCount(numText, 'semaphore number', 0xffff);
        const values = explained(sit, () => set.getAll());
        if (num !== undefined && num >= values.length) {
          throw new CommandError(
            `semaphore set ${set.id}: no semaphore ${num} (the set has ${values.length}: 0..${values.length - 1})`,
          );
        }
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
      }),
    );

  // set
  targetSubcommand(
    program,
    'set',
    'set semaphore NUM to VALUE (SETVAL), or every value (--all, SETALL); marks the set initialized',
  )
    .usage(`${TARGET_USAGE} (NUM VALUE | --all V,V...)`)
    .argument('[args...]', 'TARGET id (unless -k/--path), then NUM VALUE')
    .option('--all <values>', 'one value per semaphore of the set')
    .action(
      action(program, async (args: string[], opts: TargetOptions & { all?: string }) => {
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
            throw new UsageError(
              `--all has ${values.length} values for the ${nsems} semaphores of set ${set.id}`,
            );
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
            if (num >= n)
              throw new CommandError(
                `semaphore set ${set.id}: no semaphore ${num} (the set has ${n}: 0..${n - 1})`,
              );
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
      }),
    );

  // op
  targetSubcommand(program, 'op', 'one atomic semop: every NUM:OP happens together, or none does')
    .usage(`${TARGET_USAGE} NUM:OP [NUM:OP...] [--undo] [--nowait] [--timeout S]`)
    .argument('[args...]', 'TARGET id (unless -k/--path), then the operations')
    .option('--undo', 'SEM_UNDO: the kernel reverts these operations when this process exits')
    .option('--nowait', 'fail with exit 75 instead of waiting')
    .option('--timeout <seconds>', 'give up after this long (semtimedop; exit 124)')
    .addHelpText(
      'after',
      '\nNUM:OP: OP > 0 adds (V, release), OP < 0 subtracts and waits while it cannot (P, acquire),\n' +
        'OP = 0 waits until the value is zero. E.g. `svipc sem op 3 0:-1 1:+1`.\n' +
        'Note that --undo is undone when svipc exits, right after the operation: it is for tests.\n',
    )
    .action(
      action(
        program,
        async (
          args: string[],
          opts: TargetOptions & { undo?: boolean; nowait?: boolean; timeout?: string },
        ) => {
          const wait = waitOptions(ctx, opts);
          const { set, rest, sit } = await openSet(
            ctx,
            opts,
            args,
            { op: 'semop', access: 'write' },
            wait.timeout,
          );
          if (rest.length === 0) throw new UsageError('give at least one operation NUM:OP');
          const ops = rest.map((r) => parseOp(r, opts.undo ?? false));
          const s: Situation = { ...sit, nops: ops.length, ...(wait.nowait ? { nowait: true } : {}) };
          await explainedAsync(s, () => set.opAsync(ops, wait));
          return 0;
        },
      ),
    );

  // stat
  statSubcommand(program, ctx, 'sem', "print a set's status (semctl IPC_STAT)", `${TARGET_USAGE} [--json]`);

  // rm
  rmSubcommand(program, 'sem', 'remove a set (IPC_RMID); waiting processes fail with EIDRM', (id) =>
    new SemaphoreSet(id).remove(),
  );

  return runProgram(program, ctx);
}
