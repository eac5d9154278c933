// The /proc/sysvipc files captured from a kernel (test/fixtures/proc/, their golden/ ipcs
// output beside them), its /proc/sys/kernel limits (kernel/), and the inventory records and
// limits built from them, for the unit tests of the parsers and of the ipcs renderers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  queueFromProc,
  queueLimits,
  segmentFromProc,
  segmentLimits,
  semaphoreFromProc,
  semaphoreLimits,
} from '../../src/ipc/inventory.js';
import type { MsgInfo, ShmInfo } from '../../src/ipc/types.js';
import { parseMsgTable, parseSemTable, parseShmTable } from '../../src/proc/sysvipc.js';
import { ROOT } from './run.js';

export const PROC_FIXTURES = join(ROOT, 'test/fixtures/proc');
/** The kernel's limit files (msgmni, shmmax, sem, ...), as in /proc/sys/kernel. */
export const KERNEL_FIXTURE = join(PROC_FIXTURES, 'kernel');

/** A fixture file's text (`golden/...` for what util-linux's ipcs printed). */
export function procFixture(name: string, encoding: BufferEncoding = 'utf8'): string {
  return readFileSync(join(PROC_FIXTURES, name), encoding);
}

/** The records of msg.txt, shm-16col.txt and sem.txt, as the inventory makes them from /proc. */
export function fixtureRecords() {
  return {
    queues: parseMsgTable(procFixture('msg.txt')).map(queueFromProc),
    segments: parseShmTable(procFixture('shm-16col.txt')).map(segmentFromProc),
    semaphores: parseSemTable(procFixture('sem.txt')).map(semaphoreFromProc),
  };
}

/** The limits `ipcs -l` reads from KERNEL_FIXTURE, with a 4 KiB page (shmall counts pages). */
export function fixtureLimits() {
  const kernelDir = KERNEL_FIXTURE;
  return {
    queues: queueLimits({ kernelDir })!,
    segments: { ...segmentLimits({ kernelDir })!, pageSize: 4096 },
    semaphores: semaphoreLimits({ kernelDir })!,
  };
}

/** What MSG_INFO and SHM_INFO report (`ipcs -u`): one queue, two segments of 246 pages. */
export const USAGE_FIXTURE: { queues: MsgInfo; segments: ShmInfo } = {
  queues: {
    msgpool: 1,
    msgmap: 3,
    msgmax: 0,
    msgmnb: 0,
    msgmni: 0,
    msgssz: 0,
    msgtql: 60,
    msgseg: 0,
    maxIndex: 0,
  },
  segments: {
    usedIds: 2,
    shmTot: 246,
    shmRss: 0,
    shmSwp: 0,
    swapAttempts: 0,
    swapSuccesses: 0,
    maxIndex: 1,
  },
};
