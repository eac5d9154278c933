// Process ties the kernel keeps for us (prctl(2)): a child that is signalled when its parent
// dies, whatever killed the parent (SIGKILL included), and a subreaper that adopts its
// orphaned descendants. Checked like every libc call here: -1 becomes an IpcError.
import { constants } from 'node:os';
import { fn, PR } from './libc.js';
import { checked } from './trace.js';

/** Set by a parent (the tour) in a child svipc's environment: its pid; the child then dies with it. */
export const PARENT_PID_ENV = 'SVIPC_PARENT_PID';

/**
 * Ask the kernel to send SIGNAL to this process when its parent dies, then check that the
 * parent is still `parentPid` (it may have died before the call: the race prctl leaves
 * open). Returns false when the parent is already gone.
 */
export function dieWithParent(parentPid: number, signal: NodeJS.Signals = 'SIGTERM'): boolean {
  const sig = constants.signals[signal];
  checked('prctl', () => `PR_SET_PDEATHSIG, ${signal}`, fn.prctl(PR.SET_PDEATHSIG, sig, 0, 0, 0));
  return fn.getppid() === parentPid;
}

/** Become the parent of every orphaned descendant (PR_SET_CHILD_SUBREAPER). */
export function becomeSubreaper(): void {
  checked('prctl', () => 'PR_SET_CHILD_SUBREAPER, 1', fn.prctl(PR.SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}
