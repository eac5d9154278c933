// --trace, as a student reads it: for each demo pair every line is `[PID PROG] CALL(ARGS) ->
// RESULT`, the lecture's calls come in the lecture's order with their payloads, and svipc's
// own waiting (IPC_NOWAIT tries, semtimedop slices, IPC_STAT polls) shows only with
// --trace=all. And the README's trace excerpts are what these commands print (run here in a
// private IPC namespace, so ids start at 0 as in the README; pids and addresses normalized).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canUnshare, ROOT, svipcInNamespace, UNSHARE_SKIP_REASON } from '../helpers/run.js';

const NS = canUnshare();
if (!NS) console.warn(`trace e2e: ${UNSHARE_SKIP_REASON}`);

/** A scratch folder, `svipc` on PATH, stderr with stdout; removed at the end. */
// (svipc is a link on PATH, not a shell function: `kill %1` must reach the program itself.)
const prelude = `D=$(mktemp -d); cd "$D" || exit 1
mkdir .bin && ln -s "$SVIPC" .bin/svipc && PATH="$D/.bin:$PATH"
exec 2>&1
`;
const ending = '\nwait; cd /; rm -rf "$D"\n';
/**
 * What a reader does by looking: wait until the server's queue exists (at most 30 s; the
 * README says \`sleep 1\`, which a loaded machine may not honour).
 */
const SERVER_UP =
  'for i in $(seq 300); do [ "$(wc -l < /proc/sysvipc/msg)" -gt 1 ] && break; sleep 0.1; done';

function run(script: string) {
  return svipcInNamespace(prelude + script + ending, { timeoutMs: 60_000 });
}

/** The trace lines of PROG in `out`, each checked against the one shape. */
function traceOf(out: string, prog: string): string[] {
  const lines = out.split('\n').filter((l) => l.startsWith(`[`) && l.includes(` ${prog}] `));
  for (const l of lines) expect(l).toMatch(new RegExp(`^\\[\\d+ ${prog}\\] [a-z_]+\\(.*\\) -> \\S.*$`));
  return lines.map((l) => l.replace(/^\[\d+ [^\]]+\] /, ''));
}

/** `expected` appear in `lines` in this order (other lines may come between). */
function inOrder(lines: string[], expected: (string | RegExp)[]): void {
  let i = 0;
  for (const e of expected) {
    const at = lines.findIndex((l, j) => j >= i && (typeof e === 'string' ? l === e : e.test(l)));
    expect(at, `${e} after line ${i} in:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(i);
    i = at + 1;
  }
}

const WAITING = /IPC_NOWAIT|semtimedop|IPC_STAT|E2BIG/;
/** The stat server answers with IPC_NOWAIT by design: its waiting is the rest. */
const SERVER_WAITING = /semtimedop|E2BIG|msgsz=0\b/;

describe.skipIf(!NS)('--trace: each demo pair at the level of the slides', () => {
  it('svsem-demo: a P that waits is one semop line; --trace=all shows how it waited', async () => {
    const r = await run(`
      svipc svsem-demo --trace 0 > /dev/null
      svipc svsem-demo --trace 0 -2 > /dev/null & sleep 0.5
      svipc svsem-demo --trace=all 0 -1 --timeout 0.3 > /dev/null
      svipc svsem-demo --trace 0 +3 > /dev/null
      wait; svipc ipcrm -s 0`);
    const t = traceOf(r.stdout, 'svsem-demo');
    const lecture = t.filter((l) => !WAITING.test(l));
    expect(lecture.slice(0, 2)).toEqual([
      'semget(key=IPC_PRIVATE, nsems=1, flags=IPC_CREAT|0600) -> 0',
      'semctl(semid=0, semnum=0, cmd=SETVAL, val=0) -> 0',
    ]);
    // The V and the P it released end in two processes at once: either line may come first.
    expect(lecture.slice(2).sort()).toEqual([
      'semop(semid=0, {0,-2,0}) -> 0',
      'semop(semid=0, {0,3,0}) -> 0',
    ]);
    // Only the --trace=all run shows its tries and slices.
    inOrder(t, [
      'semop(semid=0, {0,-1,IPC_NOWAIT}) -> -1 EAGAIN',
      /^semtimedop\(semid=0, \{0,-1,0\}, timeout=[0-9.]+\) -> -1/,
    ]);
  });

  // A writer's trace, whole (addresses normalized), then its reader's calls in order; neither waits.
  const pairs = [
    {
      title: 'stdin2shm / shm2stdout: the bytes that went into and out of the segment',
      script: `
      svipc ipcmk -M 64 > /dev/null
      printf 'hi\\tthere' | svipc stdin2shm --trace 0 64
      svipc shm2stdout --trace 0 > /dev/null
      svipc ipcrm -m 0`,
      writer: 'stdin2shm',
      written: [
        'shmat(shmid=0, NULL, 0) -> 0xADDR',
        'read(fd=0, shmp->buf + 0, 60) -> 8 "hi\\tthere"',
        'read(fd=0, shmp->buf + 8, 52) -> 0',
        'shmdt(0xADDR) -> 0',
      ],
      reader: 'shm2stdout',
      read: [
        /^shmat\(shmid=0, NULL, SHM_RDONLY\)/,
        'write(fd=1, shmp->buf + 0, 8) -> 8 "hi\\tthere"',
        /^shmdt/,
      ],
    },
    {
      title: 'shm-list-writer / shm-list-reader: each element stored, as offsets',
      script: `
      svipc shm-list-writer --trace -q 13 17 > /dev/null
      svipc shm-list-reader --trace -q > /dev/null
      svipc ipcrm -M 0x1234`,
      writer: 'shm-list-writer',
      written: [
        'shmget(key=0x00001234, size=16000, flags=IPC_CREAT|IPC_EXCL|0660) -> 0',
        'shmat(shmid=0, NULL, 0) -> 0xADDR',
        'store(shm+0, {val=13, next=0}) -> 16',
        'store(shm+16, {val=17, next=0}) -> 16',
        'store(shm+8, {next=16}) -> 8',
        'shmdt(0xADDR) -> 0',
      ],
      reader: 'shm-list-reader',
      read: ['shmget(key=0x00001234, size=0, flags=0) -> 0', /^shmat\(shmid=0, NULL, SHM_RDONLY\)/, /^shmdt/],
    },
  ];
  for (const { title, script, writer, written, reader, read } of pairs) {
    it(title, async () => {
      const r = await run(script);
      const w = traceOf(r.stdout, writer);
      expect(normalize(w)).toEqual(written);
      const o = traceOf(r.stdout, reader);
      inOrder(o, read);
      expect(w.concat(o).join('\n')).not.toMatch(WAITING);
    });
  }

  it('svshm-writer / svshm-reader: the slides semops; --trace=all shows the waits', async () => {
    const r = await run(`
      svipc svshm-reader --trace=all > copy 2> reader.trace & sleep 0.5
      head -c 30000 /dev/zero | tr '\\0' x > in
      svipc svshm-writer --trace --buffer-size 10000 < in 2> writer.trace
      wait; cat writer.trace reader.trace`);
    const w = traceOf(r.stdout, 'svshm-writer');
    inOrder(w, [
      'shmget(key=0x00001234, size=10004, flags=IPC_CREAT|IPC_EXCL|0660) -> 0',
      /^shmat\(shmid=0, NULL, 0\) -> 0x/,
      'semget(key=0x00005678, nsems=2, flags=IPC_CREAT|IPC_EXCL|0660) -> 0',
      'semctl(semid=0, semnum=0, cmd=SETALL, {1, 0}) -> 0',
      ...[1, 2, 3].flatMap(() => [
        'semop(semid=0, {0,-1,0}) -> 0',
        `read(fd=0, shmp->buf, 10000) -> 10000 "${'x'.repeat(32)}"...`,
        'semop(semid=0, {1,1,0}) -> 0',
      ]),
      'read(fd=0, shmp->buf, 10000) -> 0',
      'semctl(semid=0, semnum=0, cmd=IPC_RMID) -> 0',
      'shmctl(shmid=0, cmd=IPC_RMID) -> 0',
    ]);
    expect(w.join('\n')).not.toMatch(WAITING);
    // The reader ran with --trace=all: its polls for the writer and its tries are there.
    const rd = traceOf(r.stdout, 'svshm-reader');
    inOrder(rd, [/^semget\(key=0x00005678, nsems=0, flags=0\) -> /, /^shmat\(shmid=0, NULL, SHM_RDONLY\)/]);
    expect(rd.join('\n')).toMatch(/semtimedop|IPC_NOWAIT/);
    expect(rd.join('\n')).toMatch(/cmd=IPC_STAT/);
  });

  it('stat-server / stat-client: the path in the request, the fields of the answers', async () => {
    const r = await run(`
      printf 'hello\\n' > greeting.txt; head -c 100 /dev/zero > zeros
      svipc stat-server --ftok-path key --trace 2> server.trace & ${SERVER_UP}
      svipc stat-client --ftok-path key --trace greeting.txt
      svipc stat-client --ftok-path key --trace nope
      svipc stat-client --ftok-path key --trace --content zeros > /dev/null
      kill %1; wait; cat server.trace`);
    const c = traceOf(r.stdout, 'stat-client');
    inOrder(c, [
      /^ftok\("key", 1\) -> 0x[0-9a-f]{8}$/,
      /^msgget\(key=0x[0-9a-f]{8}, flags=0\) -> 0$/,
      'msgget(key=IPC_PRIVATE, flags=IPC_CREAT|0620) -> 1',
      'msgsnd(msqid=0, {mtype=1, cli_id=1, pathname="greeting.txt"}, msgsz=17) -> 0',
      'msgrcv(msqid=1, msgsz=8, msgtyp=0, flags=MSG_NOERROR) -> 8 {mtype=RES_OK, size=6}',
      'msgctl(msqid=1, cmd=IPC_RMID) -> 0',
      /pathname="nope"/,
      'msgrcv(msqid=2, msgsz=8, msgtyp=0, flags=MSG_NOERROR) -> 8 {mtype=RES_ERR, errno=2}',
      /^msgsnd\(msqid=0, \{mtype=2, cli_id=3, pathname="zeros"\}/,
      /^msgrcv\(msqid=3, msgsz=\d+, msgtyp=0\) -> 8 \{mtype=RES_OK, size=100\}$/,
      /^msgrcv\(msqid=3, msgsz=\d+, msgtyp=0\) -> 100 \{mtype=RES_DATA, data="(\\x00){32}"\.\.\.\}$/,
      /^msgrcv\(msqid=3, msgsz=\d+, msgtyp=0\) -> 8 \{mtype=RES_END, size=100\}$/,
    ]);
    const s = traceOf(r.stdout, 'stat-server');
    inOrder(s, [
      /^ftok\("key", 1\) -> 0x[0-9a-f]{8}$/,
      /^msgget\(key=0x[0-9a-f]{8}, flags=IPC_CREAT\|IPC_EXCL\|0620\) -> 0$/,
      'msgrcv(msqid=0, msgsz=4104, msgtyp=0) -> 17 {mtype=1, cli_id=1, pathname="greeting.txt"}',
      'msgsnd(msqid=1, {mtype=RES_OK, size=6}, msgsz=8, flags=IPC_NOWAIT) -> 0',
      'msgsnd(msqid=2, {mtype=RES_ERR, errno=2}, msgsz=8, flags=IPC_NOWAIT) -> 0',
      'msgctl(msqid=0, cmd=IPC_RMID) -> 0',
    ]);
    expect(c.concat(s).join('\n')).not.toMatch(SERVER_WAITING);
    // No polling: the one IPC_STAT is the client's, reading the reply queue for its IPC_SET.
    expect(s.join('\n')).not.toMatch(/IPC_STAT/);
    inOrder(
      c.filter((l) => /cmd=IPC_S/.test(l)),
      [
        'msgctl(msqid=3, cmd=IPC_STAT) -> 0',
        /^msgctl\(msqid=3, cmd=IPC_SET\) -> (0|-1 EPERM \(expected: .*\))$/,
      ],
    );
    expect(c.filter((l) => /IPC_STAT/.test(l))).toHaveLength(1);
  });

  it('stat-server --trace=all: its message to itself at start goes by an mtype no request has', async () => {
    const r = await run(`
      svipc stat-server --ftok-path key --trace=all 2> server.trace & ${SERVER_UP}
      svipc stat-client --ftok-path key /dev/null
      kill %1; wait; cat server.trace`);
    const s = traceOf(r.stdout, 'stat-server');
    // Taken by its type, a request already in the queue stays there for the server to serve.
    inOrder(s, [
      /^msgsnd\(msqid=0, \{mtype=2147483647\b.*, msgsz=0, flags=IPC_NOWAIT\) -> 0$/,
      'msgrcv(msqid=0, msgsz=0, msgtyp=2147483647, flags=IPC_NOWAIT) -> 0 {mtype=2147483647, 0 bytes: too short}',
      /^msgrcv\(msqid=0, msgsz=410[45], msgtyp=0\b.*\{mtype=1, cli_id=1, pathname="\/dev\/null"\}$/,
    ]);
    expect(r.stdout).not.toMatch(/dropped|malformed/);
  });
});

// ---- the README's excerpts ----

interface Excerpt {
  name: string;
  commands: string[];
  output: string[];
}

/** Each ```console block after `<!-- trace-excerpt: NAME -->`: its `$` commands and the rest. */
function excerpts(): Excerpt[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const out: Excerpt[] = [];
  for (const m of readme.matchAll(/<!-- trace-excerpt: (\S+) -->\n```console\n([\s\S]*?)\n```/g)) {
    const lines = m[2]!.split('\n');
    out.push({
      name: m[1]!,
      commands: lines.filter((l) => l.startsWith('$ ')).map((l) => l.slice(2)),
      output: lines.filter((l) => !l.startsWith('$ ')),
    });
  }
  return out;
}

/** What differs from run to run: pids, addresses, and the key ftok makes of a file's inode. */
function normalize(lines: string[]): string[] {
  const key = lines.join('\n').match(/ftok\(.*\) -> (0x[0-9a-f]+)/)?.[1];
  return lines.map((l) => {
    let s = l
      .replace(/^\[\d+ /, '[PID ')
      .replace(/^\d+: /, 'PID: ')
      .replace(/0x7[0-9a-f]{8,}/g, '0xADDR');
    if (key) s = s.replaceAll(key, '0xKEY');
    return s;
  });
}

describe.skipIf(!NS)("the README's trace excerpts are what the commands print", () => {
  const all = excerpts();
  it('finds them', () => {
    expect(all.map((e) => e.name).sort()).toEqual(['stat', 'svsem', 'svshm']);
  });
  for (const e of all) {
    it(e.name, async () => {
      const r = await run(e.commands.map((c) => c.replace(/^sleep 1\b/, SERVER_UP)).join('\n'));
      const got = normalize(r.stdout.split('\n').filter((l) => l !== ''));
      const want = normalize(e.output);
      // Background commands interleave with the foreground ones in any order: compare the lines.
      if (e.commands.some((c) => /&\s*(#.*)?$/.test(c)) && e.name === 'svsem')
        expect(got.slice().sort(), r.stdout).toEqual(want.slice().sort());
      else expect(got, r.stdout).toEqual(want);
    });
  }
});
