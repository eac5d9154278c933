// svipc sem create|get|set|op|stat|rm: semaphores from the shell, System V sets (ID, -k KEY,
// --path P) or POSIX named semaphores (/NAME). System V's `create` is free of the
// initialization race the lecture describes (src/cli/sem-set.ts, with the System V actions);
// the POSIX actions and the choice of family are in src/cli/posix-sem.ts. This file declares the command.
import { CREATED_HELP } from '../src/cli/output.js';
import { rmSpec, statSpec } from '../src/cli/posix-primitives.js';
import * as posix from '../src/cli/posix-sem.js';
import { EXIT_HELP, MODE_OPTION, NOWAIT_OPTION, targetSpec } from '../src/cli/primitives.js';
import { defineCommand } from '../src/cli/spec.js';
import { createKeyOptions, TARGET_HELP, TARGET_USAGE } from '../src/cli/target.js';

export const { spec, run } = defineCommand({
  summary:
    'Semaphores from the shell, System V sets (ID, -k KEY) or POSIX (/NAME): create, get, set, op, stat, rm.',
  help: TARGET_HELP + EXIT_HELP,
  examples: [
    ['s=$(svipc sem create --init 1)', 'a System V set of one semaphore, value 1: a mutex'],
    ['svipc sem op "$s" 0:-1 --timeout 5 && date; svipc sem op "$s" 0:+1', 'P, the critical section, V'],
    ['svipc sem create /lock --init 1', 'a POSIX named semaphore of value 1'],
    ['svipc sem op /lock -1 --timeout 5; svipc sem op /lock +1', 'sem_timedwait, then sem_post'],
  ],
  subcommands: [
    {
      name: 'create',
      summary: 'create and initialize a set (race-free) or a POSIX semaphore, and print its id (or name)',
      usage: '[-k KEY | --path P [--proj N] | /NAME] [options]',
      args: [{ name: '[name]', description: 'a POSIX semaphore: /NAME (default: a System V set)' }],
      options: [
        ...createKeyOptions('create it with this key (fails if taken, unless --exist-ok)'),
        {
          flags: '-n, --nsems <n>',
          description: 'number of semaphores (default: the number of --init values, or 1)',
        },
        {
          flags: '--init <values>',
          description: 'initial values V[,V...]: one for all, or one per semaphore (default 0); POSIX: one V',
        },
        MODE_OPTION,
        {
          flags: '--exist-ok',
          description: 'if the key is taken, open that set and wait until its creator has initialized it',
        },
        {
          flags: '--timeout <seconds>',
          description: 'with --exist-ok: how long to wait for the initialization (default 10)',
        },
        {
          flags: '--json',
          description: 'print {"id", "key", "keyHex", "created", "nsems"}; POSIX: {"name", "value"}',
        },
      ],
      help:
        '\nThe set is created exclusively (IPC_EXCL), given its values (SETALL), then marked initialized\n' +
        'by a semop that changes nothing but sets sem_otime. Openers (--exist-ok, or any command that\n' +
        'opens a just-made set by key) wait for sem_otime != 0, so nobody uses uninitialized values.\n' +
        'A POSIX semaphore gets its value from sem_open(O_CREAT|O_EXCL) itself: no race.\n' +
        CREATED_HELP +
        EXIT_HELP,
      action: posix.createEither,
    },
    targetSpec({
      name: 'get',
      summary: 'print the values of a set (all, or semaphore NUM), or of a POSIX semaphore',
      usage: `${TARGET_USAGE} [NUM] [--json]`,
      options: [
        {
          flags: '--json',
          description: 'the document of `svipc ipcs --json -s -i ID` (elements: value, ncount, zcount, pid)',
        },
      ],
      help: '\nOutput: the values separated by spaces, or the one value of NUM.\n',
      action: posix.getEither,
    }),
    targetSpec({
      name: 'set',
      summary:
        'set semaphore NUM to VALUE (SETVAL), or every value (--all, SETALL); marks the set initialized',
      usage: `${TARGET_USAGE} (NUM VALUE | --all V,V...)`,
      options: [{ flags: '--all <values>', description: 'one value per semaphore of the set' }],
      action: posix.setEither,
    }),
    targetSpec({
      name: 'op',
      summary: 'one atomic semop (every NUM:OP together, or none), or POSIX -1 (sem_wait) / +N (sem_post)',
      usage: `${TARGET_USAGE} NUM:OP [NUM:OP...] [--undo] [--nowait] [--timeout S]  |  /NAME -1|+N`,
      options: [
        {
          flags: '--undo',
          description: 'SEM_UNDO: the kernel reverts these operations when this process exits',
        },
        NOWAIT_OPTION,
        {
          flags: '--timeout <seconds>',
          description: 'give up after this long (semtimedop; exit 124)',
        },
      ],
      help:
        '\nNUM:OP: OP > 0 adds (V, release), OP < 0 subtracts and waits while it cannot (P, acquire),\n' +
        'OP = 0 waits until the value is zero. E.g. `svipc sem op 3 0:-1 1:+1`.\n' +
        'Note that --undo is undone when svipc exits, right after the operation: it is for tests.\n' +
        'A POSIX semaphore: -1 waits and takes one (sem_timedwait), +N posts N times (sem_post).\n',
      examples: [
        ['svipc sem op 3 0:-1 1:+1', 'take semaphore 0 and release semaphore 1 of set 3, atomically'],
      ],
      action: posix.opEither,
    }),
    statSpec('sem', "print a set's status and values (semctl IPC_STAT, GETALL), or a POSIX semaphore's"),
    rmSpec('sem', 'remove a set (IPC_RMID: waiting processes fail with EIDRM), or sem_unlink /NAME'),
  ],
});
