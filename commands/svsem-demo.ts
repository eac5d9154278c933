// svipc svsem-demo INIT | SEMID OP: the lecture's svsem_demo (TLPI's svsem_demo.c).
//   INIT     semget(IPC_PRIVATE, 1, 0600) + SETVAL INIT, prints "semaphore ID = N"
//   SEMID OP prints "PID: about to semop", one semop on semaphore 0, "PID: semop completed"
// Beyond the C program: the wait runs off the event loop (Ctrl-C ends it at once, 130),
// --timeout (124), --nowait (75), --undo (SEM_UNDO), --trace. The calls: src/cli/svsem-demo.ts.
import type { CommandContext } from '../src/cli/context.js';
import { EXIT, UsageError } from '../src/cli/exit.js';
import { announceCreated } from '../src/cli/output.js';
import { TIMEOUT_OPTION } from '../src/cli/primitives.js';
import { createDemoSet, demoSemop } from '../src/cli/svsem-demo.js';
import { defineTracedCommand, type TraceOpts, tracerOf } from '../src/cli/trace-option.js';
import { parseId, parseInteger, parseSeconds } from '../src/cli/values.js';
import { SEMVMX } from '../src/ipc/index.js';

interface Opts extends TraceOpts {
  undo?: boolean;
  nowait?: boolean;
  timeout?: string;
}

/** TLPI's examples write additions with a sign: `svsem_demo 32769 +3`. */
const signed = (text: string, what: string) => parseInteger(text.replace(/^\+(?=[0-9])/, ''), what);

async function demoAction(ctx: CommandContext, first: string, opText: string | undefined, opts: Opts) {
  const trace = tracerOf(ctx, opts);
  if (opText === undefined) {
    if (opts.undo || opts.nowait || opts.timeout !== undefined)
      throw new UsageError('--undo, --nowait and --timeout apply to an operation (SEMID OP)');
    const init = signed(first, 'initial value');
    if (init < 0 || init > SEMVMX) throw new UsageError(`invalid initial value: '${first}' (0 to ${SEMVMX})`);
    const set = createDemoSet(init, trace);
    // An IPC_PRIVATE set whose id nobody saw could never be used or found: remove it again.
    await announceCreated(ctx, `semaphore ID = ${set.id}\n`, `semaphore set ${set.id}`, () => set.remove());
    return EXIT.OK;
  }
  const semid = parseId(first, 'semaphore id');
  const op = signed(opText, 'operation');
  if (op < -SEMVMX || op > SEMVMX)
    throw new UsageError(`invalid operation: '${opText}' (-${SEMVMX} to ${SEMVMX})`);
  if (opts.nowait && opts.timeout !== undefined)
    throw new UsageError('--nowait and --timeout exclude each other');
  const timeoutMs = opts.timeout === undefined ? undefined : parseSeconds(opts.timeout);
  ctx.stdout.write(`${process.pid}: about to semop\n`);
  await demoSemop({ semid, op, undo: opts.undo, nowait: opts.nowait, timeoutMs, signal: ctx.signal, trace });
  ctx.stdout.write(`${process.pid}: semop completed\n`);
  return EXIT.OK;
}

export const { spec, run } = defineTracedCommand({
  summary:
    "The lecture's svsem_demo. With one argument, create a private semaphore set of one semaphore " +
    'initialised to INIT and print its id; with two, do one semop of OP on semaphore 0 of SEMID.',
  usage: '[options] INIT | SEMID OP',
  args: [
    { name: '<init|semid>', description: 'initial value (create), or the semaphore set id (operate)' },
    {
      name: '[op]',
      description: 'the operation: > 0 adds, < 0 subtracts (waits while it cannot), 0 waits for zero',
    },
  ],
  options: [
    { flags: '--undo', description: 'SEM_UNDO: the kernel reverts the operation when this process exits' },
    { flags: '--nowait', description: 'IPC_NOWAIT: fail at once (exit 75) instead of waiting' },
    TIMEOUT_OPTION,
  ],
  help:
    '\nOutput (as the C program): "semaphore ID = N", or "PID: about to semop" and' +
    ' "PID: semop completed".\nExit status: 0 ok, 1 failed, 2 usage, 75 --nowait and it would wait,' +
    ' 124 timed out, 130/143 interrupted.\n',
  examples: [
    ['id=$(svipc svsem-demo 0 | sed "s/.*= //")', 'create a set whose semaphore 0 is 0; keep its id'],
    ['svipc svsem-demo "$id" -2 &', 'P of 2: waits until the value reaches 2'],
    ['svipc svsem-demo --trace "$id" +3', 'V of 3 releases it; --trace shows semop(semid=ID, {0,3,0})'],
    ['svipc ipcrm -s "$id"', 'remove the set afterwards'],
  ],
  action: demoAction,
});
