// svipc sem create|get|set|op|stat|rm: System V semaphore sets from the shell.
// `create` is free of the initialization race the lecture describes: the sem_otime protocol,
// and the values' checks, are in src/cli/sem-set.ts.
import type { CommandContext } from '../src/cli/context.js';
import { UsageError } from '../src/cli/exit.js';
import { explain, explained, explainedAsync, type Situation } from '../src/cli/explain.js';
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
  createSet,
  INIT_WAIT_MS,
  initialValues,
  markInitialized,
  noSemaphore,
  openSet,
  parseOp,
  parseValue,
  parseValues,
} from '../src/cli/sem-set.js';
import { keyOf, TARGET_HELP, TARGET_USAGE, type TargetOptions } from '../src/cli/target.js';
import { parseCount, parseMode, parseSeconds } from '../src/cli/values.js';
import { formatKey, isIpcError } from '../src/ipc/index.js';

interface Json {
  json?: boolean;
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
          const { nsems, values } = initialValues(opts.init, opts.nsems);
          if (opts.existOk && key === undefined) throw new UsageError('--exist-ok needs -k/--key or --path');
          if (opts.timeout !== undefined && !opts.existOk)
            throw new UsageError('--timeout applies to --exist-ok');
          const { set, created } = await createSet({
            key,
            mode,
            nsems,
            values,
            ...(opts.existOk
              ? {
                  existOk: {
                    timeoutMs: () => (opts.timeout !== undefined ? parseSeconds(opts.timeout) : INIT_WAIT_MS),
                    signal: ctx.signal,
                  },
                }
              : {}),
          });
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
          throw noSemaphore(set.id, num, values.length);
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
  rmSubcommand(program, 'sem', 'remove a set (IPC_RMID); waiting processes fail with EIDRM');

  return runProgram(program, ctx);
}
