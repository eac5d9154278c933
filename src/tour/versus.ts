// The tour's step for the lecture's "POSIX IPC" slide: one work queue and one mutex, made and
// used the same way in both families, side by side. System V with svipc's commands (msg, the
// lecture's svsem-demo, ipcrm); POSIX through svipc's library in the tour's helper process
// (posix-side.ts), each call shown as C. Last in the tour: it uses queues and semaphores.
import { SemaphoreSet } from '../ipc/sem.js';
import { exists } from './objects.js';
import { PosixSide } from './posix-side.js';
import { hexKey, type Tour } from './runner.js';
import { exited, idFrom } from './step-tools.js';
import type { Step } from './steps.js';

const STAT_NAMES = 'stat("/dev/mqueue/NAME"); stat("/dev/shm/sem.NAME")';
const EAGAIN_HELD = { EAGAIN: 'the mutex is held: a second taker would wait' };

async function versus(t: Tour): Promise<void> {
  t.say('  POSIX IPC: the same three mechanisms, named "/like-a-file" instead of by ftok keys,');
  t.say('  opened, closed and unlinked like files, and reference counted. Here a work queue and');
  t.say('  a mutex in both families: System V with svipc commands, POSIX with the svipc library');
  t.say("  in the tour's helper process (its C calls shown as `C: ... (POSIX)`).");
  const px = PosixSide.start(t);
  t.note(
    px.isolated
      ? '(the POSIX helper runs in a private IPC and mount namespace: its own /dev/shm and /dev/mqueue)'
      : `(the POSIX objects are ${px.jobs} and ${px.mutex}, removed at the end)`,
  );

  t.say('  -- make the queue and the mutex: a key and an id, or a name --');
  const key = t.freshKey();
  t.ownKey('msg', key); // before it exists: a tour killed meanwhile still has it removed
  const mq = await t.run(['msg', 'create', '-k', hexKey(key)], {
    c: `msgget(${hexKey(key)}, IPC_CREAT|IPC_EXCL|0600)`,
  });
  const qid = idFrom(mq, /^(\d+)$/m);
  if (qid !== undefined) t.own('msg', qid, key);
  const ms = await t.run(['svsem-demo', '1'], {
    traceable: true,
    c: 'semget(IPC_PRIVATE, 1, 0600); semctl(semid, 0, SETVAL, 1)',
  });
  const sid = idFrom(ms, /semaphore ID = (\d+)/);
  if (sid !== undefined) t.own('sem', sid);
  await px.ask({ op: 'open', jobs: px.jobs, mutex: px.mutex }, [
    `mq_open("${px.jobs}", O_CREAT|O_EXCL|O_RDWR, 0600, &attr)`,
    `sem_open("${px.mutex}", O_CREAT|O_EXCL, 0600, 1)`,
  ]);
  const made = await px.ask({ op: 'names' }, STAT_NAMES);
  if (
    !t.check(
      mq.code === 0 && ms.code === 0 && qid !== undefined && sid !== undefined && made.mutex === true,
      `System V: queue ${qid} and semaphore set ${sid} (ids); POSIX: ${px.jobs}, ${px.mutex} (names)`,
      exited(mq) ?? exited(ms),
    )
  )
    return;
  const set = new SemaphoreSet(sid!);

  t.say('  -- the mutex: take it; a second taker would have to wait; give it back --');
  const take = await t.run(['svsem-demo', String(sid), '-1'], {
    traceable: true,
    c: `semop(${sid}, {0, -1, 0}, 1)`,
  });
  await px.ask({ op: 'wait' }, 'sem_wait(mutex)');
  const second = await t.run(['svsem-demo', '--nowait', String(sid), '-1'], {
    traceable: true,
    c: `semop(${sid}, {0, -1, IPC_NOWAIT}, 1)`,
    expected: EAGAIN_HELD,
  });
  const tryp = await px.ask({ op: 'trywait' }, 'sem_trywait(mutex)', EAGAIN_HELD);
  t.check(
    take.code === 0 && second.code === 75 && tryp.took === false,
    'held: a second taker would wait in both (exit 75; sem_trywait EAGAIN)',
    exited(take) ?? exited(second, 75),
  );
  const give = await t.run(['svsem-demo', String(sid), '+1'], {
    traceable: true,
    c: `semop(${sid}, {0, +1, 0}, 1)`,
  });
  await px.ask({ op: 'post' }, 'sem_post(mutex)');
  const pv = await px.ask({ op: 'value' }, 'sem_getvalue(mutex, &v)');
  t.check(
    give.code === 0 && set.getValue(0) === 1 && pv.value === 1,
    'given back: both are 1 again',
    exited(give),
  );

  t.say('  -- the work queue: two jobs, then an urgent one; System V picks by type, POSIX by priority --');
  const sends: [string, string, number][] = [
    ['job 1', '1', 0],
    ['job 2', '1', 0],
    ['urgent', '2', 5],
  ];
  let sent = true;
  for (const [text, type, prio] of sends) {
    const f = await t.run(['msg', 'send', String(qid), '-t', type, text], {
      c: `msgsnd(${qid}, {${type}, "${text}"}, ${text.length}, 0)`,
    });
    await px.ask({ op: 'send', text, priority: prio }, `mq_send(mqd, "${text}", ${text.length}, ${prio})`);
    sent &&= f.code === 0;
  }
  const r1 = await t.run(['msg', 'recv', String(qid), '-t', '2'], { c: `msgrcv(${qid}, &msg, 64, 2, 0)` });
  const p1 = await px.ask({ op: 'receive' }, 'mq_receive(mqd, buf, 64, &prio)');
  const r2 = await t.run(['msg', 'recv', String(qid)], { c: `msgrcv(${qid}, &msg, 64, 0, 0)` });
  const p2 = await px.ask({ op: 'receive' }, 'mq_receive(mqd, buf, 64, &prio)');
  t.check(
    sent && r1.output === 'urgent' && p1.text === 'urgent' && p1.priority === 5,
    'the urgent job first: System V asked for type 2, POSIX gives the highest priority first',
    exited(r1) ?? `System V: ${JSON.stringify(r1.output)}, POSIX: ${JSON.stringify(p1.text)}`,
  );
  t.check(
    r2.output === 'job 1' && p2.text === 'job 1',
    'then job 1: first in, first out in both',
    exited(r2) ?? `System V: ${JSON.stringify(r2.output)}, POSIX: ${JSON.stringify(p2.text)}`,
  );

  t.say('  -- remove both while "job 2" waits: System V objects go at once, POSIX names go,');
  t.say('     but the open queue lives on until the last close (reference counting) --');
  const rm = await t.run(['ipcrm', '-q', String(qid), '-s', String(sid)], {
    c: `msgctl(${qid}, IPC_RMID, NULL); semctl(${sid}, 0, IPC_RMID)`,
  });
  const lost = await t.run(['msg', 'recv', '--nowait', String(qid)], {
    c: `msgrcv(${qid}, &msg, 64, 0, IPC_NOWAIT)`,
  });
  const gone = !exists('msg', qid!) && !exists('sem', sid!);
  if (!exists('msg', qid!)) t.disown('msg', qid!);
  if (!exists('sem', sid!)) t.disown('sem', sid!);
  t.check(
    rm.code === 0 && gone && lost.code === 1,
    'System V: removed at once; job 2 went with the queue',
    exited(rm),
  );
  await px.ask({ op: 'unlink' }, [`mq_unlink("${px.jobs}")`, `sem_unlink("${px.mutex}")`]);
  const after = await px.ask({ op: 'names' }, STAT_NAMES);
  const p3 = await px.ask({ op: 'receive' }, 'mq_receive(mqd, buf, 64, &prio)');
  t.check(
    after.mutex === false && after.jobs !== true && p3.text === 'job 2',
    'POSIX: the names are gone, and the open queue still hands out job 2',
    `names left: ${JSON.stringify(after)}, received ${JSON.stringify(p3.text)}`,
  );
  await px.stop();
}

export const VERSUS_STEP: Step = {
  title: 'System V beside POSIX: one work queue and one mutex in both families',
  slide: '19, "POSIX IPC"',
  needs: ['msg', 'svsem-demo', 'ipcrm'],
  run: versus,
};
