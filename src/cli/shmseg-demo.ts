// What the lecture's stdin2shm and shm2stdout share on the command line: their SHMID [SIZE]
// arguments, and how a failed read(2)/write(2) of the copy is told (one line, exit 1).
import { ioErrorMessage } from '../protocols/shmseg-io.js';
import { CommandError } from './exit.js';
import type { ArgumentSpec } from './spec.js';

/** `<shmid> [size]`, the shmid described as the command wants. */
export function segmentArgs(shmidDescription: string): readonly ArgumentSpec[] {
  return [
    { name: '<shmid>', description: shmidDescription },
    {
      name: '[size]',
      description: 'the size the segment is used as (at most its real size; default: all of it)',
    },
  ];
}

/**
 * The copy's byte count; a failed read/write (EIO, EISDIR, ENOSPC...) as a CommandError
 * naming it. An abort or EPIPE goes on as it is (the launcher's 130/143/141).
 */
export async function copyOrFail(syscall: 'read' | 'write', copy: () => Promise<number>): Promise<number> {
  try {
    return await copy();
  } catch (e) {
    const message = ioErrorMessage(e, syscall);
    throw message ? new CommandError(message) : e;
  }
}
