// svipc svsem-demo INIT | SEMID OP: the lecture's svsem_demo (TLPI's svsem_demo.c).
//   INIT     semget(IPC_PRIVATE, 1, 0600) + SETVAL INIT, prints "semaphore ID = N"
//   SEMID OP prints "PID: about to semop", one semop on semaphore 0, "PID: semop completed"
// Beyond the C program: the wait runs off the event loop (Ctrl-C ends it at once, 130),
// --timeout (124), --nowait (75), --undo (SEM_UNDO), --trace.
import type { CommandContext } from '../src/cli/context.js';
import { CommandError, EXIT, UsageError } from '../src/cli/exit.js';
import { announceCreated } from '../src/cli/output.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { addTraceOption, withTrace } from '../src/cli/trace-option.js';
import { parseId, parseInteger, parseSeconds } from '../src/cli/values.js';
import { isIpcError, SEMVMX, SemaphoreSet, strerror } from '../src/ipc/index.js';

interface Opts {
  undo?: boolean;
  nowait?: boolean;
  timeout?: string;
  trace?: boolean;
}

function semopError(e: unknown, semid: number): never {
  if (isIpcError(e, 'EINVAL', 'EIDRM')) {
    throw new CommandError(
      e.code === 'EIDRM'
        ? `semop: semaphore set ${semid} was removed while waiting (EIDRM)`
        : `semop: no semaphore set with id ${semid} (EINVAL)`,
    );
  }
  if (isIpcError(e, 'EACCES')) throw new CommandError(`semop: semaphore set ${semid}: ${strerror(e.errno)}`);
  if (isIpcError(e, 'EFBIG')) throw new CommandError(`semop: semaphore set ${semid} has no semaphore 0`);
  if (isIpcError(e, 'ERANGE'))
    throw new CommandError(`semop: the value would exceed ${SEMVMX} (ERANGE), semaphore unchanged`);
  throw e;
}

export async function run(ctx: CommandContext): Promise<number> {
  const program = addTraceOption(
    newProgram(
      ctx,
      "The lecture's svsem_demo. With one argument, create a private semaphore set of one semaphore " +
        'initialised to INIT and print its id; with two, do one semop of OP on semaphore 0 of SEMID.',
    ),
  )
    .usage('[options] INIT | SEMID OP')
    .argument('<init|semid>', 'initial value (create), or the semaphore set id (operate)')
    .argument('[op]', 'the operation: > 0 adds, < 0 subtracts (waits while it cannot), 0 waits for zero')
    .option('--undo', 'SEM_UNDO: the kernel reverts the operation when this process exits')
    .option('--nowait', 'IPC_NOWAIT: fail at once (exit 75) instead of waiting')
    .option('--timeout <seconds>', 'give up waiting after this long (exit 124)')
    .addHelpText(
      'after',
      '\nOutput (as the C program): "semaphore ID = N", or "PID: about to semop" and' +
        ' "PID: semop completed".\nExit status: 0 ok, 1 failed, 2 usage, 75 --nowait and it would wait,' +
        ' 124 timed out, 130/143 interrupted.',
    );
  program.action(
    action(program, async (first: string, opText: string | undefined, opts: Opts) => {
      if (opText === undefined) {
        if (opts.undo || opts.nowait || opts.timeout !== undefined)
          throw new UsageError('--undo, --nowait and --timeout apply to an operation (SEMID OP)');
        const init = parseInteger(first.replace(/^\+(?=[0-9])/, ''), 'initial value');
        if (init < 0 || init > SEMVMX)
          throw new UsageError(`invalid initial value: '${first}' (0 to ${SEMVMX})`);
        return withTrace(ctx, opts, async () => {
          const set = SemaphoreSet.create(1, { mode: 0o600 });
          try {
            set.setValue(0, init);
          } catch (e) {
            set.remove();
            throw e;
          }
          // An IPC_PRIVATE set whose id nobody saw could never be used or found: remove it again.
          await announceCreated(ctx, `semaphore ID = ${set.id}\n`, `semaphore set ${set.id}`, () =>
            set.remove(),
          );
          return EXIT.OK;
        });
      }
      const semid = parseId(first, 'semaphore id');
      // TLPI's examples write additions with a sign: `svsem_demo 32769 +3`.
      const op = parseInteger(opText.replace(/^\+(?=[0-9])/, ''), 'operation');
      if (op < -SEMVMX || op > SEMVMX)
        throw new UsageError(`invalid operation: '${opText}' (-${SEMVMX} to ${SEMVMX})`);
      if (opts.nowait && opts.timeout !== undefined)
        throw new UsageError('--nowait and --timeout exclude each other');
      const timeoutMs = opts.timeout === undefined ? undefined : parseSeconds(opts.timeout);
      return withTrace(ctx, opts, async () => {
        const set = new SemaphoreSet(semid);
        const ops = [{ num: 0, op, undo: opts.undo ?? false }];
        ctx.stdout.write(`${process.pid}: about to semop\n`);
        try {
          if (op > 0 && !opts.nowait) {
            // Adding never waits: the plain semop of the C program (as --trace shows it).
            set.op(ops);
          } else if (opts.nowait) {
            if (!set.op(ops, { nowait: true }))
              throw new CommandError(
                `semop would wait (EAGAIN): semaphore 0 of set ${semid} cannot take ${op} now`,
                EXIT.WOULD_BLOCK,
              );
          } else {
            await set.opAsync(ops, { timeout: timeoutMs, signal: ctx.signal });
          }
        } catch (e) {
          semopError(e, semid);
        }
        ctx.stdout.write(`${process.pid}: semop completed\n`);
        return EXIT.OK;
      });
    }),
  );
  return runProgram(program, ctx);
}
