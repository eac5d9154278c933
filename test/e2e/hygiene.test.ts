import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BLOCKING_SYSCALLS } from '../../src/proc/holders.js';
import { canPosixShell, posixShell } from '../helpers/posix-ns.js';
import {
  buildPeer,
  CC_SKIP_REASON,
  canUnshare,
  canUnsharePid,
  hasCompiler,
  ipcObjects,
  ROOT,
  svipc,
  UNSHARE_SKIP_REASON,
} from '../helpers/run.js';
import { snapshotValidator } from '../helpers/snapshot-schema.js';
import { SchemaValidator } from '../unit/ipcs-schema-validator.js';

const PRELUDE = `S="$SVIPC"
t() { "$@"; echo "[rc=$?]"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
`;
// Snapshots, diffs and leaks include POSIX objects: every case runs with a /dev/shm and
// /dev/mqueue of its own (the host's hold other programs' objects; nothing may reach them).
const ns = (script: string) => posixShell(PRELUDE + script);

// leaks looks at every process of the IPC namespace. In a container whose pid 1 belongs to the
// host, even root cannot read pid 1's /proc entries, and a queue nobody is seen using is then
// "unknown". So the leak cases run in their own pid namespace with their own /proc too, where
// every process is the test's. (The IPC namespace is new: no other process can be in it.)
const nsAll = (script: string, env: NodeJS.ProcessEnv = {}) =>
  posixShell(PRELUDE + script, { env, pid: true });
const schema = JSON.parse(readFileSync(join(ROOT, 'schema/ipcs.schema.json'), 'utf8'));

describe.skipIf(!canPosixShell())('hygiene (private IPC and mount namespaces)', () => {
  test('snapshot is the ipcs --json document plus the POSIX sections, valid against its schema', async () => {
    const r = await ns(`
$S msg create >/dev/null; $S sem create --init 4 >/dev/null; $S shm create 64 >/dev/null
$S snapshot
`);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(snapshotValidator().validate(doc)).toEqual([]);
    expect(doc.schemaVersion).toBe(2);
    expect([doc.queues.length, doc.segments.length, doc.semaphores.length]).toEqual([1, 1, 1]);
    // Its System V part is exactly what ipcs --json (schemaVersion 1) describes.
    const { posixQueues, posixSemaphores, posixSegments, ...sysv } = doc;
    expect([posixQueues, posixSemaphores, posixSegments]).toEqual([[], [], []]);
    expect(new SchemaValidator(schema).validate({ ...sysv, schemaVersion: 1 })).toEqual([]);
    expect(doc.semaphores[0].elements[0].value).toBe(4);
  });

  test('snapshot -o FILE: written in pieces, the same bytes as on stdout; a full disk is an error', async () => {
    // 8 sets of 250 semaphores, values included: a document of several 64 KiB pieces (jsonChunks).
    const r = await ns(`
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for i in 1 2 3 4 5 6 7 8; do $S sem create -n 250 >/dev/null; done
$S snapshot -o "$tmp/file.json"
$S snapshot > "$tmp/out.json"
cmp "$tmp/file.json" "$tmp/out.json" && echo same
wc -c < "$tmp/file.json"
$S snapshot -o /dev/full; echo "exit $?"
`);
    const [same, size, ...rest] = r.stdout.trim().split('\n');
    expect(same).toBe('same');
    expect(Number(size)).toBeGreaterThan(3 * 64 * 1024);
    expect(rest).toEqual(['exit 1']);
    expect(r.stderr).toMatch(/^svipc snapshot: \/dev\/full: ENOSPC[^\n]*\n$/);
  });

  test('diff: + for what appeared (exit 1), - for what disappeared (exit 0); two files; partial snapshots', async () => {
    const r = await ns(`
old=$($S msg create)
$S snapshot -o "$tmp/before.json"
t $S diff "$tmp/before.json"
q=$($S msg create -k 0x1234); m=$($S shm create 100)
t $S diff "$tmp/before.json"
$S snapshot > "$tmp/after.json"
$S msg rm $old; $S msg rm $q; $S shm rm $m
t $S diff "$tmp/after.json"
t $S diff "$tmp/before.json" "$tmp/after.json"
$S ipcs --json -m > "$tmp/shm-only.json"
$S msg create >/dev/null
t $S diff "$tmp/shm-only.json"
$S diff --json "$tmp/before.json" "$tmp/after.json" | grep -cE '"keyHex": "0x00001234"'
cat "$tmp/before.json" | $S diff - > /dev/null; echo "[stdin rc=$?]"
`);
    // ipcs --json is a version 1 document: its lack of POSIX objects is said, not taken as news.
    expect(r.stderr).toMatch(
      /^svipc diff: \/tmp\/[^ ]+\/shm-only\.json is a version 1 snapshot \(System V only\): POSIX objects not compared\n$/,
    );
    expect(r.stdout).toBe(
      [
        '[rc=0]',
        '+ queue 1 key 0x00001234 owner root rw-------: 0 messages, 0B',
        '+ segment 0 key 0x00000000 owner root rw-------: 100B, nattch 0',
        '[rc=1]',
        '- queue 0 key 0x00000000 owner root rw-------: 0 messages, 0B',
        '- queue 1 key 0x00001234 owner root rw-------: 0 messages, 0B',
        '- segment 0 key 0x00000000 owner root rw-------: 100B, nattch 0',
        '[rc=0]',
        '+ queue 1 key 0x00001234 owner root rw-------: 0 messages, 0B',
        '+ segment 0 key 0x00000000 owner root rw-------: 100B, nattch 0',
        '[rc=1]',
        '[rc=0]',
        '1',
        '[stdin rc=1]',
        '',
      ].join('\n'),
    );
  });

  test('diff --json against the objects now: each new record is the one a snapshot writes (a set with its elements)', async () => {
    // diff reads the objects now by identity only and makes the record of a new one alone
    // (src/hygiene/live-identities.ts): it must be the snapshot's record of it, field for field.
    const r = await ns(`
$S msg create >/dev/null; $S shm create 64 >/dev/null
$S snapshot -o "$tmp/before.json"
$S msg create -k 0x4321 >/dev/null; $S sem create --init 2 -n 3 >/dev/null; $S shm create 128 >/dev/null
$S msg send -k 0x4321 hello
$S diff --json "$tmp/before.json" > "$tmp/diff.json"; echo "$?" > "$tmp/rc"
$S snapshot > "$tmp/now.json"
cat "$tmp/rc"; echo '----'; cat "$tmp/diff.json"; echo '----'; cat "$tmp/now.json"
`);
    expect(r.stderr).toBe('');
    const parts = r.stdout.split('\n----\n');
    expect(parts[0]!.trim().split('\n').at(-1)).toBe('1');
    const diff = JSON.parse(parts[1]!);
    const now = JSON.parse(parts[2]!);
    const ids = (list: { kind: string; id: number }[]) => list.map((o) => `${o.kind}:${o.id}`);
    expect(ids(diff.appeared)).toEqual(['msg:1', 'shm:1', 'sem:0']);
    expect(diff.appeared).toEqual([now.queues[1], now.segments[1], now.semaphores[0]]);
    expect(diff.appeared[0].qnum).toBe(1);
    expect(diff.appeared[2].elements.map((e: { value: number }) => e.value)).toEqual([2, 2, 2]);
    expect(diff.disappeared).toEqual([]);
  });

  test('diff: a missing, non-JSON or foreign file is a clear error, exit 2 (trouble, as diff(1)), not 1 (found)', async () => {
    const r = await ns(`
t $S diff "$tmp/none.json"
echo 'not json' > "$tmp/bad"; t $S diff "$tmp/bad"
$S ipcs --json -l > "$tmp/limits.json"; t $S diff "$tmp/limits.json"
t $S diff
`);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/^svipc diff: .*\/none\.json: No such file or directory$/);
    expect(lines[1]).toMatch(/^svipc diff: .*\/bad: not JSON \(.*\): make it with 'svipc snapshot'$/);
    expect(lines[2]).toMatch(
      /^svipc diff: .*\/limits\.json: not a svipc snapshot: mode 'limits' \('list' expected: svipc snapshot or ipcs --json\)$/,
    );
    expect(lines[3]).toBe("svipc diff: missing required argument 'file'");
    expect(r.stdout).toBe('[rc=2]\n[rc=2]\n[rc=2]\n[rc=2]\n');
  });

  // svipc run: a script in the namespace; every line it says on stderr, and its stdout.
  const runCases = [
    {
      title: 'run: reports what the command left, --cleanup removes it, exit codes',
      script: `
keep=$($S msg create)     # made before: not the command's
t $S run -- sh -c "$S msg create -k 0x77 >/dev/null; $S shm create 10 >/dev/null"
t $S run --cleanup -- sh -c "$S sem create >/dev/null; $S shm create 20 >/dev/null"
t $S run -- true
t $S run -- sh -c 'exit 3'
t $S run -- no-such-command-here
t $S run
$S ipcs | grep -c '^0x'
`,
      stderr: [
        'svipc run: the command left 2 IPC objects in this IPC namespace:',
        '  queue 1 key 0x00000077 owner root rw-------: 0 messages, 0B',
        '  segment 0 key 0x00000000 owner root rw-------: 10B, nattch 0',
        'svipc run: the command left 2 IPC objects in this IPC namespace:',
        '  segment 1 key 0x00000000 owner root rw-------: 20B, nattch 0',
        '  semaphores 0 key 0x00000000 owner root rw-------: 1 semaphore',
        'svipc run: removed 1 of them (--cleanup)',
        'svipc run: left semaphores 0 key 0x00000000 owner root rw-------: the kernel records no creator pid for semaphore sets: svipc cannot prove the command made it (--isolate can)',
        'svipc run: the command left no IPC objects in this IPC namespace',
        'svipc run: the command left no IPC objects in this IPC namespace',
        'svipc run: no-such-command-here: command not found',
        "svipc run: missing required argument 'cmd'",
      ],
      stdout: '[rc=1]\n[rc=1]\n[rc=0]\n[rc=3]\n[rc=127]\n[rc=2]\n4\n',
    },
    {
      title: 'run --isolate reports a leaked object from a namespace of its own; the outer one is untouched',
      script: `
mine=$($S msg create)
t $S run --isolate -- sh -c "$S shm create 4K >/dev/null; $S msg create >/dev/null"
$S run --isolate --cleanup --report "$tmp/r.json" -- sh -c "$S sem create >/dev/null"; echo "[rc=$?]"
grep -E '"(isolated|kind|exitCode)"' "$tmp/r.json"
$S ipcs | grep -c '^0x'
`,
      stderr: [
        'svipc run: the command left 2 IPC objects in its private IPC namespace:',
        '  queue 0 key 0x00000000 owner root rw-------: 0 messages, 0B',
        '  segment 0 key 0x00000000 owner root rw-------: 4K, nattch 0',
        'svipc run: (they go with the namespace when svipc exits)',
        'svipc run: the command left 1 IPC object in its private IPC namespace:',
        '  semaphores 0 key 0x00000000 owner root rw-------: 1 semaphore',
        'svipc run: removed 1 of them (--cleanup)',
      ],
      stdout:
        '[rc=1]\n[rc=1]\n  "isolated": true,\n  "exitCode": 0,\n      "kind": "sem",\n      "kind": "sem",\n1\n',
    },
  ];
  for (const { title, script, stderr, stdout } of runCases) {
    test(title, async () => {
      const r = await ns(script);
      expect(r.stderr).toBe([...stderr, ''].join('\n'));
      expect(r.stdout).toBe(stdout);
    });
  }

  test('SIGINT to run: passed on to the command, the report still made, exit 130', async () => {
    const r = await ns(`
$S run --cleanup -- sh -c "$S shm create 4K >/dev/null; exec sleep 10" & pid=$!
for i in $(seq 100); do $S snapshot | grep -q '"kind": "shm"' && break; sleep 0.1; done
sleep 0.3; kill -INT $pid; wait $pid; echo "[rc=$?]"
$S ipcs | grep -c '^0x'
`);
    expect(r.stderr).toContain('svipc run: the command left 1 IPC object in this IPC namespace:\n');
    expect(r.stderr).toContain('svipc run: removed 1 of them (--cleanup)\n');
    expect(r.stdout).toBe('[rc=130]\n0\n');
  });
});

describe.skipIf(!canUnshare())('diff input: bounded and interruptible', () => {
  test('diff /dev/zero: one clear line, exit 2, no abort', async () => {
    const r = await svipc(['diff', '/dev/zero']);
    expect(r.stderr).toBe('svipc diff: /dev/zero: larger than 256 MiB, the most a snapshot may be\n');
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
  });

  test('diff of a silent FIFO: SIGTERM ends it with 143, SIGINT with 130; a FIFO that is written is read', async () => {
    const r = await ns(`
mkfifo "$tmp/f"
$S diff "$tmp/f" & p=$!
sleep 1; kill -TERM $p; wait $p; echo "[term rc=$?]"
$S diff "$tmp/f" & p=$!
sleep 1; kill -INT $p; wait $p; echo "[int rc=$?]"
$S msg create >/dev/null
$S diff "$tmp/f" & p=$!
sleep 0.5; $S snapshot > "$tmp/f"; wait $p; echo "[written rc=$?]"
$S diff <($S snapshot); echo "[substitution rc=$?]"
`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('[term rc=143]\n[int rc=130]\n[written rc=0]\n[substitution rc=0]\n');
  });

  test('exit codes: 0 nothing appeared, 1 found, 2 trouble or usage (leaks too)', async () => {
    const r = await nsAll(`
$S snapshot -o "$tmp/s.json"
t $S diff "$tmp/s.json"
$S msg create >/dev/null
t $S diff "$tmp/s.json"
t $S diff "$tmp/s.json" --no-such-option
$S diff "$tmp" 2>/dev/null; echo "[rc=$?]"
$S leaks >/dev/null; echo "[rc=$?]"
t $S leaks --min-age soon 2>/dev/null
`);
    expect(r.stdout).toBe(
      '[rc=0]\n+ queue 0 key 0x00000000 owner root rw-------: 0 messages, 0B\n[rc=1]\n[rc=2]\n[rc=2]\n[rc=1]\n[rc=2]\n',
    );
  });
});

const CALLS = Object.keys(BLOCKING_SYSCALLS[process.arch] ?? {}).join(' ');
/** wait_in PID: until the process is blocked in a System V call; attached ID: until nattch is 1. */
const WAITS = `
wait_in() { for i in $(seq 300); do read -r nr rest < /proc/$1/syscall; case " ${CALLS} " in *" $nr "*) return 0;; esac; sleep 0.05; done; echo "pid $1 never blocked" >&2; }
attached() { for i in $(seq 300); do $S shm stat $1 | grep -q '^nattch=1$' && return 0; sleep 0.05; done; echo "never attached" >&2; }
`;
const verdicts = (stdout: string) =>
  JSON.parse(stdout).objects as {
    verdict: string;
    leaked: boolean;
    reasons: string[];
    attached: number[];
    waiting: { pid: number; tid: number; call: string }[];
    object: { kind: string; id: number };
  }[];

describe.skipIf(!canPosixShell(true))('leaks (private IPC, mount and pid namespaces)', () => {
  test('leaks: every recorded process gone and nothing attached or waiting; in use otherwise; reasons given', async () => {
    const r = await nsAll(`
leaked_shm=$($S shm create 64)                       # its creator (that svipc) has exited
leaked_sem=$($S sem create --init 1)                 # its last semop was that svipc's
leaked_msg=$($S msg create); $S msg send $leaked_msg x
held=$($S shm create 64); mkfifo "$tmp/f"
$S shm write $held < "$tmp/f" & w=$!; exec 3> "$tmp/f"   # attached while it waits for input
waited=$($S sem create)
$S sem op $waited 0:-1 --timeout 20 & s=$!             # a waiter
for i in $(seq 100); do                               # until attached and waiting
  $S shm stat $held | grep -q '^nattch=1$' && $S sem get $waited --json | grep -q '"ncount": 1' && break; sleep 0.1
done
$S leaks; echo "[rc=$?]"
$S leaks --all --json > "$tmp/all.json"; echo "[json rc=$?]"
t $S leaks --min-age 3600
kill $w $s; wait
`);
    expect(r.stderr).toBe('');
    const text = r.stdout.slice(0, r.stdout.indexOf('[rc='));
    expect(text).toMatch(
      /^queue 0 key 0x00000000 owner root rw-------: 1 message, 1B\n {4}nobody waiting in msgrcv\/msgsnd; last msgsnd pid \d+ is gone; no msgrcv ever; 1 messages queued; the kernel records no creator pid for queues\n/,
    );
    expect(text).toMatch(
      /segment 0 key 0x00000000 owner root rw-------: 64B, nattch 0\n {4}nattch 0; creator pid \d+ is gone; never attached\n/,
    );
    expect(text).toMatch(
      /semaphores 0 key 0x00000000 owner root rw-------: 1 semaphore\n {4}nobody waiting; last semop pid \d+ is gone; the kernel records no creator pid for semaphore sets\n/,
    );
    expect(text.split('\n').length).toBe(7); // three objects, two lines each
    expect(r.stdout).toContain('[rc=1]\n[json rc=1]\n[rc=0]\n');
  });

  test('leaks written as it is judged, in pieces: every row there; a full disk said once, exit 1', async () => {
    // 6 sets of 250 semaphores: each set's JSON record is ~45 KB, so the documents span pieces.
    const r = await nsAll(`
for i in 1 2 3 4 5 6; do $S sem create --nsems 250 >/dev/null; done
for i in 1 2 3 4; do $S msg create >/dev/null; done
$S leaks --all > "$tmp/all.txt"; echo "[text rc=$?]"
$S leaks --all --json > "$tmp/all.json"; echo "[json rc=$?]"
grep -c '^leaked ' "$tmp/all.txt"
$S leaks --json > /dev/full; echo "[full json rc=$?]"
$S leaks --all > /dev/full; echo "[full text rc=$?]"
cat "$tmp/all.json"
`);
    const full = 'svipc leaks: write error: No space left on device\n';
    expect(r.stderr).toBe(full + full);
    expect(r.stdout).toContain('[text rc=1]\n[json rc=1]\n10\n[full json rc=1]\n[full text rc=1]\n');
    const doc = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
    expect(doc.unknown).toBe(0);
    expect(doc.objects.length).toBe(10);
    expect(doc.objects.filter((o: { object: { kind: string } }) => o.object.kind === 'sem').length).toBe(6);
    expect(doc.objects.every((o: { verdict: string }) => o.verdict === 'leaked')).toBe(true);
    expect(doc.objects.at(-1).object.elements.length).toBe(250);
  });

  test('leaks --all --json: the verdicts of in-use objects say why, with the pids found', async () => {
    const r = await nsAll(`
held=$($S shm create 64); mkfifo "$tmp/f"
$S shm write $held < "$tmp/f" & w=$!; exec 3> "$tmp/f"
waited=$($S sem create)
$S sem op $waited 0:-1 --timeout 20 & s=$!
for i in $(seq 100); do                               # until attached and waiting
  $S shm stat $held | grep -q '^nattch=1$' && $S sem get $waited --json | grep -q '"ncount": 1' && break; sleep 0.1
done
$S leaks --all --json; echo "[rc=$?]"
echo "[w=$w]"
kill $w $s; wait
`);
    const doc = JSON.parse(r.stdout.slice(0, r.stdout.indexOf('[rc=')));
    expect(r.stdout).toContain('[rc=0]');
    expect(doc.schemaVersion).toBe(2);
    expect(doc.unknown).toBe(0);
    const byKind = Object.fromEntries(
      doc.objects.map((o: { object: { kind: string } }) => [o.object.kind, o]),
    );
    const w = Number(/\[w=(\d+)\]/.exec(r.stdout)![1]);
    expect(byKind.shm.leaked).toBe(false);
    expect(byKind.shm.verdict).toBe('in use');
    expect(byKind.shm.reasons.slice(0, 2)).toEqual(['1 attached', `attached by pid ${w}`]);
    expect(byKind.shm.attached).toEqual([w]);
    expect(byKind.shm.reasons[3]).toMatch(/^last shmat\/shmdt pid \d+ is alive$/);
    expect(byKind.sem.leaked).toBe(false);
    expect(byKind.sem.reasons[0]).toBe('1 process waiting');
  });

  describe.skipIf(!hasCompiler() || CALLS === '')(
    'processes blocked on an object, or attached to it (C peer)',
    () => {
      test('msgrcv, msgsnd on a full queue, semop, shmat: each object in use with its pid; an unheld queue leaked', async () => {
        const H = buildPeer('ipc-holder');
        const r = await nsAll(
          `${WAITS}
rq=$($S msg create); sq=$($S msg create); sem=$($S sem create); seg=$($S shm create 64); idle=$($S msg create)
"$H" msgrcv $rq & a=$!; "$H" msgsnd $sq & b=$!; "$H" semop $sem & c=$!; "$H" shmat $seg & d=$!
wait_in $a; wait_in $b; wait_in $c; attached $seg
echo "[pids $a $b $c $d]"
$S leaks --all --json; echo "[rc=$?]"
$S leaks --all | grep -E '^(leaked|in use|unknown) '
kill $a $b $c $d; wait
`,
          { H },
        );
        expect(r.stderr).toBe('');
        const [a, b, c, d] = /\[pids (\d+) (\d+) (\d+) (\d+)\]/.exec(r.stdout)!.slice(1).map(Number);
        const json = r.stdout.slice(r.stdout.indexOf(']\n') + 2, r.stdout.indexOf('[rc='));
        const v = verdicts(json);
        const of = (kind: string, id: number) => v.find((o) => o.object.kind === kind && o.object.id === id)!;
        expect(r.stdout).toContain('[rc=1]'); // the idle queue
        expect(of('msg', 0).verdict).toBe('in use');
        expect(of('msg', 0).waiting).toEqual([{ pid: a, tid: a, call: 'msgrcv' }]);
        expect(of('msg', 0).reasons[0]).toBe(`waiting: pid ${a} in msgrcv`);
        expect(of('msg', 1).verdict).toBe('in use');
        expect(of('msg', 1).waiting).toEqual([{ pid: b, tid: b, call: 'msgsnd' }]);
        expect(of('sem', 0).verdict).toBe('in use');
        // glibc's semop is the semtimedop system call on x86_64 and aarch64.
        expect(of('sem', 0).waiting.map((w) => [w.pid, /^sem(timed)?op$/.test(w.call)])).toEqual([[c, true]]);
        expect(of('shm', 0).verdict).toBe('in use');
        expect(of('shm', 0).attached).toEqual([d]);
        expect(of('msg', 2)).toMatchObject({ verdict: 'leaked', leaked: true, attached: [], waiting: [] });
        expect(r.stdout).toContain(`in use queue 0 key 0x00000000 owner root rw-------: 0 messages, 0B\n`);
        expect(r.stdout).toContain('leaked queue 2 key 0x00000000 owner root rw-------: 0 messages, 0B\n');
      });

      test('as nobody, objects a root process holds are unknown (its /proc entries are unreadable), never leaked', async () => {
        const H = buildPeer('ipc-holder');
        const r = await nsAll(
          `${WAITS}
N=nobody
rq=$($S msg create --mode 666); sem=$($S sem create)
"$H" msgrcv $rq & a=$!; "$H" semop $sem & c=$!
wait_in $a; wait_in $c
$N $S leaks --all --json; echo "[rc=$?]"
t $N $S leaks
kill $a $c; wait
`,
          { H },
        );
        const v = verdicts(r.stdout.slice(0, r.stdout.indexOf('[rc=')));
        expect(v.map((o) => [o.object.kind, o.verdict, o.leaked])).toEqual([
          ['msg', 'unknown', false],
          ['sem', 'unknown', false],
        ]);
        expect(v[0]!.reasons[0]).toMatch(
          /^cannot tell whether a process waits in msgrcv\/msgsnd: the \/proc entries of \d+ process(es)? cannot be read \(EACCES.*\): run as root to see them$/,
        );
        expect(v[1]!.reasons).toEqual([
          'its semaphores cannot be read (no read permission): their waiters and last users are unknown',
        ]);
        expect(r.stdout).toContain('[rc=0]\n[rc=0]\n');
        expect(r.stderr).toBe('svipc leaks: 2 objects not judged (unknown): --all says why\n');
      });
    },
  );
  test.skipIf(hasCompiler())(`leaks C peer cases: ${CC_SKIP_REASON}`, () => {});
});

test.skipIf(canUnshare())(`hygiene e2e: ${UNSHARE_SKIP_REASON}`, () => {});
test.skipIf(canUnsharePid())(
  'leaks e2e: unshare --ipc --pid --mount-proc is not permitted here (needs root): skipped',
  () => {},
);

describe.skipIf(!canUnshare())('hygiene from the host', () => {
  test('run --isolate from the host: the leak is reported, and nothing appears in the host namespace', async () => {
    const before = new Set(ipcObjects());
    const r = await svipc([
      'run',
      '--isolate',
      '--',
      'sh',
      '-c',
      `"$0" msg create >/dev/null`,
      join(ROOT, 'bin/svipc'),
    ]);
    expect(r.stderr).toMatch(
      /^svipc run: the command left 1 IPC object in its private IPC namespace:\n {2}queue \d+ key 0x00000000/,
    );
    expect(r.code).toBe(1);
    // The queue lived and died in run's namespace: its id is not among the host's new objects.
    const id = /queue (\d+)/.exec(r.stderr)![1];
    expect(ipcObjects().filter((o) => !before.has(o))).not.toContain(`msg:${id}`);
  });
});
