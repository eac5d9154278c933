// The /proc/sysvipc files captured from a kernel (test/fixtures/proc/, their golden/ ipcs
// output beside them) and the inventory records built from them, for the unit tests of the
// parsers and of the ipcs renderers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { queueFromProc, segmentFromProc, semaphoreFromProc } from '../../src/ipc/inventory.js';
import { parseMsgTable, parseSemTable, parseShmTable } from '../../src/proc/sysvipc.js';
import { ROOT } from './run.js';

export const PROC_FIXTURES = join(ROOT, 'test/fixtures/proc');

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
