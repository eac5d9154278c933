// The steps of `svipc tour`: every "Demo" slide of the lecture, in order, each run with
// real `svipc` commands (child processes) on objects the tour creates, each result checked.
import { createHash, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { ftok } from '../ipc/ftok.js';
import { SemaphoreSet } from '../ipc/sem.js';
import { SharedMemory } from '../ipc/shm.js';
import { ELEMENT_SIZE, NEXT_OFFSET } from '../protocols/shm-list.js';
import { writeNativeInt64 } from '../protocols/shmseg.js';
import { exists, idOfKey } from './objects.js';
import { commandExists, type Finished, hexKey, type Tour } from './runner.js';
import { exited, idFrom, removeWithIpcrm } from './step-tools.js';
import { VERSUS_STEP } from './versus.js';

export interface Step {
  title: string;
  /** The lecture's slide(s): page number(s) and title, as `--list` and the heading show them. */
  slide: string;
  /** The commands it needs; missing ones make it a skip, not a failure. */
  needs: string[];
  run(t: Tour): Promise<void>;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Make a segment with a fresh key: with `svipc ipcmk` when it exists, else in-process. */
async function makeSegment(t: Tour, size: number, mode: string): Promise<{ id: number; key: number }> {
  const key = t.freshKey();
  if (commandExists('ipcmk')) {
    t.ownKey('shm', key); // before it exists: a tour killed meanwhile still has it removed
    const f = await t.run(['ipcmk', '-M', String(size), '-p', mode, '-k', hexKey(key)], {
      c: `shmget(${hexKey(key)}, ${size}, IPC_CREAT|IPC_EXCL|0${mode})`,
    });
    const id = idFrom(f, /Shared memory id: (\d+)/);
    if (id === undefined || f.code !== 0) throw new Error(`ipcmk failed: ${f.output.trim() || f.code}`);
    t.own('shm', id, key);
    return { id, key };
  }
  const id = SharedMemory.create(size, { key, mode: Number.parseInt(mode, 8) }).id;
  t.own('shm', id, key);
  t.note(`(svipc ipcmk is not built here: the tour made segment ${id} itself)`);
  return { id, key };
}

/** What the stat server and client trace that is part of the plan, not a fault. */
const SERVER_EXPECTED = {
  E2BIG: 'a 0-byte msgrcv: a request is there, its size is read next',
  ENOMSG: 'IPC_NOWAIT, and no message yet',
  EIDRM: 'the queue was removed: the receive loop ends',
};

/** svshm's waits: slices of semtimedop, so that a dead peer is noticed. */
const SVSHM_EXPECTED = {
  EAGAIN: "a 50 ms slice of the wait ended; the peer's turn is not over yet",
  ENOENT: 'the reader came first: it waits until the writer has made them',
};

const LECTURE_TEXT =
  'System V shared memory is an IPC mechanism that allows unrelated processes to share\n' +
  'memory areas. Segments are kernel-persistent: content copied there persists beyond the\n' +
  'life of the processes accessing it, until it is explicitly removed (IPC_RMID).\n';

export const STEPS: Step[] = [
  {
    title: 'ipcmk, ipcs, ipcrm: IPC objects are kernel-persistent',
    slide: '14, "Shell manipulation of IPC objects"',
    needs: ['ipcmk', 'ipcs', 'ipcrm'],
    async run(t) {
      t.say('  ipcmk creates a message queue and exits; the queue stays in the kernel, ipcs still');
      t.say('  shows it, until ipcrm removes it. (-k: a key of our choosing, refused if taken.)');
      const key = t.freshKey();
      t.ownKey('msg', key); // before it exists: a tour killed meanwhile still has it removed
      const mk = await t.run(['ipcmk', '-Q', '-p', '600', '-k', hexKey(key)], {
        c: `msgget(${hexKey(key)}, IPC_CREAT|IPC_EXCL|0600)`,
      });
      const id = idFrom(mk, /Message queue id: (\d+)/);
      if (id !== undefined) t.own('msg', id, key);
      if (!t.check(mk.code === 0 && id !== undefined, 'ipcmk created a queue', exited(mk))) return;
      const ls = await t.run(['ipcs', '-q', '-i', String(id)], { c: `msgctl(${id}, IPC_STAT, &buf)` });
      const alive = t.traced((trace) => exists('msg', id!, trace));
      t.check(
        ls.code === 0 && ls.output.includes(String(id)) && alive,
        `the queue outlived ipcmk: ipcs -i ${id} shows it`,
        exited(ls),
      );
      await removeWithIpcrm(t, 'msg', id!);
    },
  },
  {
    title: 'ftok: keys made from file names',
    slide: '17-18, "ftok"',
    needs: ['ftok'],
    async run(t) {
      t.say("  ftok(PATH, PROJ) builds a key from the file's inode and device and PROJ's low");
      t.say('  8 bits: same file and PROJ, same key; a hard link is the same inode.');
      writeFileSync(t.path('keyfile'), 'a file to make keys from\n');
      linkSync(t.path('keyfile'), t.path('keyfile-link'));
      const keyOf = (f: Finished) =>
        idFrom({ ...f, output: f.output.replace(/^key=-/, 'key=') }, /key=(\d+)/);
      const a = await t.run(['ftok', 'keyfile', '1'], { c: 'ftok("keyfile", 1)' });
      const expect = t.traced((trace) => ftok(t.path('keyfile'), 1, { trace }));
      t.check(
        a.code === 0 && a.output.trim() === `key=${expect}`,
        `key=${expect}, as ftok(3) says`,
        a.output.trim(),
      );
      const b = await t.run(['ftok', 'keyfile', '2'], { c: 'ftok("keyfile", 2)' });
      t.check(b.code === 0 && keyOf(b) !== keyOf(a), 'another PROJ, another key');
      const c = await t.run(['ftok', 'keyfile-link', '1'], { c: 'ftok("keyfile-link", 1)' });
      t.traced((trace) => ftok(t.path('keyfile-link'), 1, { trace }));
      t.check(c.code === 0 && c.output === a.output, 'a hard link gives the same key (same inode)');
    },
  },
  {
    title: 'message queues: the stat server and its clients',
    slide: '37-41, "Per client response queue — example"',
    needs: ['stat-server', 'stat-client'],
    async run(t) {
      t.say('  One request queue (key from ftok), one private reply queue per client (IPC_PRIVATE).');
      t.say('  A fresh key file whose key no object has; the server creates its queue exclusively.');
      writeFileSync(t.path('lecture.txt'), LECTURE_TEXT);
      // ftok keys can collide: make key files (new inodes) until one gives an unused key.
      let key = 0;
      for (let i = 0; ; i++) {
        writeFileSync(t.path(`stat.key.${i}`), '');
        key = ftok(t.path(`stat.key.${i}`), 1);
        if (!t.keyInUse(key)) {
          renameSync(t.path(`stat.key.${i}`), t.path('stat.key'));
          break;
        }
      }
      const server = t.spawn(['stat-server', '--ftok-path', 'stat.key'], {
        background: true,
        traceable: true,
        c: 'msgget(ftok(PATH, 1), IPC_CREAT|IPC_EXCL|0620); for (;;) msgrcv(srv_id, &req, REQ_SIZ, 0, 0)',
        expected: SERVER_EXPECTED,
      });
      let exitedEarly = false;
      server.done.then(() => {
        exitedEarly = true;
      });
      const up = await t.until(() => exitedEarly || idOfKey('msg', key) !== undefined, 5000);
      const qid = idOfKey('msg', key);
      // The key was free a moment ago and the server creates with IPC_EXCL (it exits if the
      // key is taken): a queue with that key while the server runs is the server's.
      if (qid !== undefined && !exitedEarly) t.own('msg', qid, key);
      if (
        !t.check(
          up && qid !== undefined && !exitedEarly,
          `the server made its request queue (key ${hexKey(key)})`,
        )
      )
        return;
      const size = statSync(t.path('lecture.txt')).size;
      const client = {
        traceable: true,
        c: 'msgget(IPC_PRIVATE, 0620); msgsnd(srv_id, &req, REQ_SIZ, 0); msgrcv(cli_id, &res, RES_SIZ, 0, 0)',
        expected: SERVER_EXPECTED,
      };
      const a = await t.run(['stat-client', '--ftok-path', 'stat.key', 'lecture.txt'], client);
      t.check(
        a.code === 0 && a.lines.includes(String(size)),
        `the server says lecture.txt has ${size} bytes`,
        exited(a),
      );
      t.say("  svipc's extension: --content asks for the file's bytes, streamed back on the reply queue.");
      const content = await t.run(['stat-client', '--ftok-path', 'stat.key', '--content', 'lecture.txt'], {
        ...client,
        stdoutFile: 'lecture.copy',
        c: 'msgsnd(srv_id, &req, REQ_SIZ, 0); loop: msgrcv(cli_id, &chunk, ...)',
        expected: {
          ...SERVER_EXPECTED,
          EPERM: 'raising qbytes past kernel.msgmnb needs CAP_SYS_RESOURCE: the default size does',
        },
      });
      t.check(
        content.code === 0 && readFileSync(t.path('lecture.copy')).equals(Buffer.from(LECTURE_TEXT)),
        `--content: the server streamed the ${size} bytes back`,
        exited(content),
      );
      const b = await t.run(['stat-client', '--ftok-path', 'stat.key', 'no-such-file'], client);
      t.check(b.code === 1, 'a missing file: RES_ERR, exit status 1', exited(b, 1));
      t.say("  $ kill -TERM %1   # C: the server's handler: msgctl(srv_id, IPC_RMID, NULL)");
      server.child.kill('SIGTERM');
      const s = await t.wait(server);
      t.check(s.code === 0 && !exists('msg', qid!), 'on SIGTERM the server removed its queue', exited(s));
      if (!exists('msg', qid!)) t.disown('msg', qid!);
    },
  },
  {
    title: 'semaphores: svsem_demo',
    slide: '58-59, "Semaphore — example"',
    needs: ['svsem-demo'],
    async run(t) {
      t.say('  A semaphore set of one, value 0. Taking 2 waits until someone adds enough; the');
      t.say('  kernel counts the waiters (semncnt). --nowait and --timeout bound the wait.');
      const mk = await t.run(['svsem-demo', '0'], {
        traceable: true,
        c: 'semget(IPC_PRIVATE, 1, S_IRUSR|S_IWUSR); semctl(semid, 0, SETVAL, 0)',
      });
      const id = idFrom(mk, /semaphore ID = (\d+)/);
      if (id !== undefined) t.own('sem', id);
      if (!t.check(mk.code === 0 && id !== undefined, 'created a semaphore, value 0', exited(mk))) return;
      const set = new SemaphoreSet(id!);
      const waiter = t.spawn(['svsem-demo', String(id), '-2'], {
        background: true,
        traceable: true,
        c: `semop(${id}, {0, -2, 0}, 1)`,
      });
      const waiting = await t.until(() => set.getNcnt(0) >= 1, 5000);
      t.check(waiting, 'svsem-demo -2 waits in semop (semncnt = 1)');
      const add = await t.run(['svsem-demo', String(id), '+3'], {
        traceable: true,
        c: `semop(${id}, {0, +3, 0}, 1)`,
      });
      const w = await t.wait(waiter);
      t.check(
        add.code === 0 && w.code === 0 && w.output.includes('semop completed'),
        'adding 3 woke it up: both semops completed',
        exited(w) ?? exited(add),
      );
      t.check(set.getValue(0) === 1, `value 0 + 3 - 2 = ${set.getValue(0)}`);
      const nw = await t.run(['svsem-demo', '--nowait', String(id), '-2'], {
        traceable: true,
        c: `semop(${id}, {0, -2, IPC_NOWAIT}, 1)`,
        expected: { EAGAIN: 'IPC_NOWAIT, and the value 1 cannot give 2' },
      });
      t.check(
        nw.code === 75 && set.getValue(0) === 1,
        '--nowait: would wait, exit status 75',
        exited(nw, 75),
      );
      const to = await t.run(['svsem-demo', '--timeout', '0.2', String(id), '-2'], {
        traceable: true,
        c: `semtimedop(${id}, {0, -2, 0}, 1, {0, 200000000})`,
        expected: { EAGAIN: 'semtimedop gave up: the value stayed 1' },
      });
      t.check(
        to.code === 124 && set.getValue(0) === 1,
        '--timeout 0.2: gave up, exit status 124',
        exited(to, 124),
      );
      const un = await t.run(['svsem-demo', '--undo', String(id), '-1'], {
        traceable: true,
        c: `semop(${id}, {0, -1, SEM_UNDO}, 1)`,
      });
      t.check(
        un.code === 0 && set.getValue(0) === 1,
        '--undo: SEM_UNDO, the kernel gave the 1 back when svsem-demo exited',
        exited(un),
      );
      await removeWithIpcrm(t, 'sem', id!);
    },
  },
  {
    title: 'shared memory: stdin2shm and shm2stdout',
    slide: '73-77, "Shared memory — example"',
    needs: ['stdin2shm', 'shm2stdout'],
    async run(t) {
      t.say('  ipcmk makes a segment; stdin2shm copies stdin into it (an int with the byte count,');
      t.say('  then the data) and exits; shm2stdout, later, copies it out: the data persisted.');
      writeFileSync(t.path('lecture.txt'), LECTURE_TEXT);
      const big = randomBytes(10000);
      writeFileSync(t.path('random.bin'), big);
      const { id } = await makeSegment(t, 4096, '600');
      const toShm = { traceable: true, c: `shmat(${id}, NULL, 0); read(0, shmp->buf, ...)` };
      const fromShm = { traceable: true, c: `shmat(${id}, NULL, 0); write(1, shmp->buf, shmp->size)` };
      const a = await t.run(['stdin2shm', String(id), '4096'], { stdinFile: 'lecture.txt', ...toShm });
      const b = await t.run(['shm2stdout', String(id), '4096'], { stdoutFile: 'copy.txt', ...fromShm });
      const copy = readFileSync(t.path('copy.txt'));
      t.check(
        a.code === 0 && b.code === 0 && copy.equals(Buffer.from(LECTURE_TEXT)),
        `the ${copy.length} bytes that went in came out`,
        exited(a) ?? exited(b) ?? `${copy.length} bytes out`,
      );
      t.say('  10000 bytes do not fit in 4096 - 4: only the first 4092 are copied.');
      const c = await t.run(['stdin2shm', String(id), '4096'], { stdinFile: 'random.bin', ...toShm });
      const d = await t.run(['shm2stdout', String(id), '4096'], { stdoutFile: 'random.out', ...fromShm });
      const out = readFileSync(t.path('random.out'));
      t.check(
        c.code === 0 && d.code === 0 && out.equals(big.subarray(0, 4092)),
        'min(input, SIZE - 4) = 4092 bytes, the right ones',
        exited(c) ?? exited(d) ?? `${out.length} bytes out`,
      );
      t.say('  The C stdin2shm trusts SIZE and would write past the segment; svipc refuses:');
      const e = await t.run(['stdin2shm', String(id), '8192'], { stdinFile: 'lecture.txt', ...toShm });
      t.check(e.code === 1, 'SIZE larger than the segment: refused, exit status 1', exited(e, 1));
      await removeWithIpcrm(t, 'shm', id);
    },
  },
  {
    title: 'synchronized transfer: svshm-writer and svshm-reader',
    slide: '78-86, "Shared memory synchronization — example"',
    needs: ['svshm-writer', 'svshm-reader'],
    async run(t) {
      // With --trace, 3 turns rather than about 100: a trace a class can read.
      const size = t.opts.trace ? 25000 : 1 << 20;
      t.say('  A 10240-byte buffer in shared memory, two semaphores taking turns (writer, reader,');
      t.say(
        t.opts.trace
          ? '  writer...), cnt == 0 for EOF. With --trace, 25000 bytes: 3 turns, every call shown.'
          : '  writer...), cnt == 0 for EOF. 1 MiB goes through in about 100 turns.',
      );
      const data = randomBytes(size);
      writeFileSync(t.path('data.bin'), data);
      const shmKey = t.freshKey();
      let semKey = t.freshKey();
      while (semKey === shmKey) semKey = t.freshKey();
      t.ownKey('shm', shmKey);
      t.ownKey('sem', semKey);
      const keys = ['--shm-key', hexKey(shmKey), '--sem-key', hexKey(semKey)];
      const writer = t.spawn(['svshm-writer', ...keys], {
        stdinFile: 'data.bin',
        background: true,
        traceable: true,
        c: 'shmget; semget; semctl SETALL {1, 0}; loop: semop(W, -1); read into shm; semop(R, +1)',
        expected: SVSHM_EXPECTED,
      });
      const reader = await t.run(['svshm-reader', ...keys, '--timeout', '10'], {
        stdoutFile: 'data.out',
        traceable: true,
        c: 'shmget; semget; loop: semop(R, -1); write from shm; semop(W, +1)',
        expected: SVSHM_EXPECTED,
      });
      const w = await t.wait(writer);
      const out = readFileSync(t.path('data.out'));
      t.check(
        w.code === 0 && reader.code === 0 && sha(out) === sha(data),
        `the ${data.length} bytes that went in came out (sha256 ${sha(data).slice(0, 12)}...)`,
        exited(w) ?? exited(reader) ?? `${out.length} bytes out`,
      );
      t.check(
        w.output.includes(`sent ${size} bytes`) && reader.output.includes(`received ${size} bytes`),
        `both sides counted ${size} bytes`,
      );
      const gone = t.traced(
        (trace) => idOfKey('shm', shmKey, trace) === undefined && idOfKey('sem', semKey, trace) === undefined,
        {
          ENOENT: 'no object has the key any more',
        },
      );
      t.check(gone, 'the writer removed the segment and the semaphores');
    },
  },
  {
    title: 'data structures in shared memory: shm-list',
    slide: '93-101, "Data structures in shared memory"',
    needs: ['shm-list-writer', 'shm-list-reader'],
    async run(t) {
      t.say('  Each process attaches the segment wherever the kernel chooses, so the list links');
      t.say('  elements by offsets from the segment base, not by addresses.');
      const { id, key } = await makeSegment(t, 1000 * ELEMENT_SIZE, '660');
      const k = hexKey(key);
      const writer = {
        traceable: true,
        c: `shmget(${k}, 16000, IPC_CREAT|0660); shmat; list_append(l, 17)...`,
        expected: { EEXIST: 'ipcmk made the segment: the writer opens it instead' },
      };
      const reader = { traceable: true, c: `shmget(${k}, 0, 0); shmat(shmid, NULL, SHM_RDONLY); visit_list` };
      const w = await t.run(['shm-list-writer', '--key', k], writer);
      const r = await t.run(['shm-list-reader', '--key', k], reader);
      const line = '[common] visit list: 13 17 42 ';
      t.check(
        w.code === 0 && r.code === 0 && w.lines.includes(line) && r.lines.includes(line),
        'the reader walked the list the writer built: 13 17 42',
        exited(w) ?? exited(r),
      );
      const at = (f: Finished) => /list attached at (0x[0-9a-f]+)/.exec(f.output)?.[1];
      t.note(
        at(w) === at(r)
          ? `(both attached it at ${at(w)} this time: luck, not a guarantee)`
          : `(writer attached it at ${at(w)}, reader at ${at(r)}: the offsets still hold)`,
      );
      const w2 = await t.run(['shm-list-writer', '--key', k, '-q', '1', '2', '3', '5', '8'], writer);
      const r2 = await t.run(['shm-list-reader', '--key', k, '-q'], reader);
      t.check(
        w2.code === 0 && r2.code === 0 && r2.lines.includes('[common] visit list: 1 2 3 5 8 '),
        'values of our choosing: 1 2 3 5 8',
        exited(r2),
      );
      t.say('  The tour now points element 3 back at element 2, as a bug or a hostile process');
      t.say('  could: the C reader would print forever; svipc checks every offset.');
      const att = new SharedMemory(id).attach();
      try {
        writeNativeInt64(att.buffer, BigInt(ELEMENT_SIZE), 2 * ELEMENT_SIZE + NEXT_OFFSET);
      } finally {
        att.detach();
      }
      const r3 = await t.run(['shm-list-reader', '--key', k, '-q'], reader);
      t.check(
        r3.code === 1 && /cycle/.test(r3.output),
        'a corrupt list: a clear error, exit status 1',
        exited(r3, 1),
      );
      await removeWithIpcrm(t, 'shm', id, key);
    },
  },
  VERSUS_STEP,
];
