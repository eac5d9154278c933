// The lecture's svsem_demo (TLPI's svsem_demo.c): `INIT` makes a private set of one semaphore
// set to INIT; `SEMID OP` makes one semop of OP on semaphore 0, between the C program's
// "PID: about to semop" and "PID: semop completed". The failures as one sentence each.

import { isIpcError, SEMVMX, SemaphoreSet, strerror, type Tracer } from '../ipc/index.js';
import { CommandError, EXIT } from './exit.js';

/** svsem_demo INIT: semget(IPC_PRIVATE, 1, 0600) and SETVAL (the set is removed if SETVAL fails). */
export function createDemoSet(init: number, trace: Tracer | undefined): SemaphoreSet {
  const set = SemaphoreSet.create(1, { mode: 0o600, trace });
  try {
    set.setValue(0, init);
  } catch (e) {
    set.remove();
    throw e;
  }
  return set;
}

export interface DemoOp {
  semid: number;
  op: number;
  undo?: boolean | undefined;
  nowait?: boolean | undefined;
  timeoutMs?: number | undefined;
  signal: AbortSignal;
  trace: Tracer | undefined;
}

/**
 * svsem_demo SEMID OP: the one semop. An addition never waits: the plain synchronous semop
 * of the C program. A wait runs off the event loop (Ctrl-C ends it at once); --trace shows
 * it as that one semop, whatever the way it waits.
 */
export async function demoSemop(d: DemoOp): Promise<void> {
  const set = new SemaphoreSet(d.semid, { trace: d.trace });
  const ops = [{ num: 0, op: d.op, undo: d.undo ?? false }];
  try {
    if (d.op > 0 && !d.nowait) set.op(ops);
    else if (d.nowait) {
      if (!set.op(ops, { nowait: true }))
        throw new CommandError(
          `semop would wait (EAGAIN): semaphore 0 of set ${d.semid} cannot take ${d.op} now`,
          EXIT.WOULD_BLOCK,
        );
    } else await set.opAsync(ops, { timeout: d.timeoutMs, signal: d.signal });
  } catch (e) {
    semopError(e, d.semid);
  }
}

/** A failed semop as one line naming the cause. */
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
