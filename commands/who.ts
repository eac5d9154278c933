// svipc who: for each object (all, or the ones named like ipcrm names them), the processes that
// hold it now (attached, blocked and in which call) and the pids the kernel recorded on it.
import type { CommandContext } from '../src/cli/context.js';
import { CommandError } from '../src/cli/exit.js';
import { defineCommand } from '../src/cli/spec.js';
import { parseId, parseKey } from '../src/cli/values.js';
import { scanHolders } from '../src/hygiene/holders.js';
import { formatKey } from '../src/ipc/ftok.js';
import { type IpcRecord, listAll } from '../src/ipc/inventory.js';
import { KINDS } from '../src/ipc/kinds.js';
import { selectTargets, type WhoTarget, whoReports } from '../src/live/who.js';
import { toJson } from '../src/render/json.js';
import { whoJson, whoText } from '../src/render/who.js';

interface Opts {
  queueId: string[];
  queueKey: string[];
  shmemId: string[];
  shmemKey: string[];
  semaphoreId: string[];
  semaphoreKey: string[];
  json?: boolean;
}

function whoAction(ctx: CommandContext, opts: Opts): number {
  const wanted: WhoTarget[] = [];
  const add = (kind: IpcRecord['kind'], by: 'id' | 'key', list: string[]) => {
    for (const t of list) {
      const value = by === 'id' ? parseId(t, `${KINDS[kind].noun} id`) : parseKey(t);
      wanted.push({ kind, by, value, text: by === 'id' ? String(value) : formatKey(value) });
    }
  };
  add('msg', 'id', opts.queueId);
  add('msg', 'key', opts.queueKey);
  add('shm', 'id', opts.shmemId);
  add('shm', 'key', opts.shmemKey);
  add('sem', 'id', opts.semaphoreId);
  add('sem', 'key', opts.semaphoreKey);

  const all = listAll({ values: true });
  const { chosen, missing } = selectTargets([...all.queues, ...all.segments, ...all.semaphores], wanted);
  // After the listing: a holder of a listed object that started before it is seen.
  const reports = whoReports(chosen, scanHolders());
  if (opts.json) ctx.stdout.write(toJson({ schemaVersion: 1, objects: reports.map(whoJson) }));
  else ctx.stdout.write(whoText(reports));
  if (missing.length > 0) throw new CommandError(missing.join('; '));
  return 0;
}

export const { spec, run } = defineCommand({
  summary:
    'Show who uses each System V IPC object now: the processes with a segment attached (pid,\n' +
    'command, user, address range), the threads blocked on a queue or a semaphore set and in which\n' +
    'call (for semop/semtimedop also the semaphore numbers and operations), and the pids the kernel\n' +
    'recorded (creator, last msgsnd/msgrcv, shmat/shmdt, semop), alive or gone. Every object when\n' +
    'none is named; name objects as ipcrm does.',
  options: [
    {
      flags: '-q, --queue-id <id>',
      description: 'the message queue with this id (repeatable)',
      repeatable: true,
    },
    {
      flags: '-Q, --queue-key <key>',
      description: 'the message queue with this key (repeatable)',
      repeatable: true,
    },
    {
      flags: '-m, --shmem-id <id>',
      description: 'the shared memory segment with this id (repeatable)',
      repeatable: true,
    },
    {
      flags: '-M, --shmem-key <key>',
      description: 'the shared memory segment with this key (repeatable)',
      repeatable: true,
    },
    {
      flags: '-s, --semaphore-id <id>',
      description: 'the semaphore set with this id (repeatable)',
      repeatable: true,
    },
    {
      flags: '-S, --semaphore-key <key>',
      description: 'the semaphore set with this key (repeatable)',
      repeatable: true,
    },
    {
      flags: '--json',
      description:
        'print {"schemaVersion": 1, "objects": [{kind, id, key, uid, owner, mode, recorded, attached, waiting, blind}]}',
    },
  ],
  help:
    '\nKeys are decimal, 0x hex or 0 octal; ids decimal. svipc looks at every process of this IPC\n' +
    'namespace: /proc/PID/maps (attached segments), /proc/PID/task/TID/syscall (a thread blocked\n' +
    'in msgrcv, msgsnd, semop, semtimedop) and, for a semaphore wait, the struct sembuf array in\n' +
    '/proc/PID/mem, which needs ptrace rights (root, or your own process): else "unknown". Another\n' +
    "user's /proc entries are unreadable without root: each object then says what was not seen\n" +
    '("not seen:", JSON "blind"). The kernel records no creator pid for queues and sets.\n' +
    '\nExit status: 0 ok; 1 a named object does not exist, or the objects cannot be listed; 2 usage;\n' +
    '141 stdout closed.\n',
  examples: [
    ['svipc who', 'every object, and who holds it now'],
    [
      'svipc who -M 0x1234 -S 0x5678',
      "who holds svshm-writer's segment and semaphore set (the lecture's keys)",
    ],
    ['svipc who --json', 'the same as one JSON document (schemaVersion 1), for scripts'],
  ],
  action: whoAction,
});
