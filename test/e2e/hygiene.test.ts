// svipc snapshot / diff / leaks / run, end to end through bin/svipc. Every case that looks at
// whole listings runs in a private IPC namespace, on objects it makes there; the one host case
// (run --isolate from the host) makes its objects in a namespace of its own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { canUnshare, inNamespace, ipcObjects, ROOT, svipc, UNSHARE_SKIP_REASON } from '../helpers/run.js';
import { SchemaValidator } from '../unit/ipcs-schema-validator.js';

const PRELUDE = `S="$SVIPC"
t() { "$@"; echo "[rc=$?]"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
`;
const ns = (script: string) => inNamespace(PRELUDE + script);
const schema = JSON.parse(readFileSync(join(ROOT, 'schema/ipcs.schema.json'), 'utf8'));

describe.skipIf(!canUnshare())('hygiene (private IPC namespace)', () => {
  test('snapshot is the ipcs --json document, valid against its schema, semaphore values included', async () => {
    const r = await ns(`
$S msg create >/dev/null; $S sem create --init 4 >/dev/null; $S shm create 64 >/dev/null
$S snapshot
`);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(new SchemaValidator(schema).validate(doc)).toEqual([]);
    expect([doc.queues.length, doc.segments.length, doc.semaphores.length]).toEqual([1, 1, 1]);
    expect(doc.semaphores[0].elements[0].value).toBe(4);
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
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        '[rc=0]',
        '+ queue 1 key 0x00001234 owner root perms 600: 0 messages, 0 bytes',
        '+ segment 0 key 0x00000000 owner root perms 600: 100 bytes, nattch 0',
        '[rc=1]',
        '- queue 0 key 0x00000000 owner root perms 600: 0 messages, 0 bytes',
        '- queue 1 key 0x00001234 owner root perms 600: 0 messages, 0 bytes',
        '- segment 0 key 0x00000000 owner root perms 600: 100 bytes, nattch 0',
        '[rc=0]',
        '+ queue 1 key 0x00001234 owner root perms 600: 0 messages, 0 bytes',
        '+ segment 0 key 0x00000000 owner root perms 600: 100 bytes, nattch 0',
        '[rc=1]',
        '[rc=0]',
        '1',
        '[stdin rc=1]',
        '',
      ].join('\n'),
    );
  });

  test('diff: a missing, non-JSON or foreign file is a clear error, exit 1', async () => {
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
    expect(r.stdout).toBe('[rc=1]\n[rc=1]\n[rc=1]\n[rc=2]\n');
  });

  test('leaks: every recorded process gone and nothing attached or waiting; in use otherwise; reasons given', async () => {
    const r = await ns(`
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
      /^queue 0 key 0x00000000 owner root perms 600: 1 messages, 1 bytes\n {4}last msgsnd pid \d+ is gone; no msgrcv ever; 1 messages queued; the kernel records no creator pid for queues\n/,
    );
    expect(text).toMatch(
      /segment 0 key 0x00000000 owner root perms 600: 64 bytes, nattch 0\n {4}nattch 0; creator pid \d+ is gone; never attached\n/,
    );
    expect(text).toMatch(
      /semaphores 0 key 0x00000000 owner root perms 600: 1 semaphores\n {4}nobody waiting; last semop pid \d+ is gone; the kernel records no creator pid for semaphore sets\n/,
    );
    expect(text.split('\n').length).toBe(7); // three objects, two lines each
    expect(r.stdout).toContain('[rc=1]\n[json rc=1]\n[rc=0]\n');
  });

  test('leaks --all --json: the verdicts of in-use objects say why', async () => {
    const r = await ns(`
held=$($S shm create 64); mkfifo "$tmp/f"
$S shm write $held < "$tmp/f" & w=$!; exec 3> "$tmp/f"
waited=$($S sem create)
$S sem op $waited 0:-1 --timeout 20 & s=$!
for i in $(seq 100); do                               # until attached and waiting
  $S shm stat $held | grep -q '^nattch=1$' && $S sem get $waited --json | grep -q '"ncount": 1' && break; sleep 0.1
done
$S leaks --all --json; echo "[rc=$?]"
kill $w $s; wait
`);
    const doc = JSON.parse(r.stdout.slice(0, r.stdout.indexOf('[rc=')));
    expect(r.stdout).toContain('[rc=0]');
    expect(doc.schemaVersion).toBe(1);
    const byKind = Object.fromEntries(
      doc.objects.map((o: { object: { kind: string } }) => [o.object.kind, o]),
    );
    expect(byKind.shm.leaked).toBe(false);
    expect(byKind.shm.reasons[0]).toBe('1 attached');
    expect(byKind.shm.reasons[2]).toMatch(/^last shmat\/shmdt pid \d+ is alive$/);
    expect(byKind.sem.leaked).toBe(false);
    expect(byKind.sem.reasons[0]).toBe('1 processes waiting');
  });

  test('run: reports what the command left, --cleanup removes it, exit codes', async () => {
    const r = await ns(`
keep=$($S msg create)     # made before: not the command's
t $S run -- sh -c "$S msg create -k 0x77 >/dev/null; $S shm create 10 >/dev/null"
t $S run --cleanup -- sh -c "$S sem create >/dev/null; $S shm create 20 >/dev/null"
t $S run -- true
t $S run -- sh -c 'exit 3'
t $S run -- no-such-command-here
t $S run
$S ipcs | grep -c '^0x'
`);
    expect(r.stderr).toBe(
      [
        'svipc run: the command left 2 IPC objects in this IPC namespace:',
        '  queue 1 key 0x00000077 owner root perms 600: 0 messages, 0 bytes',
        '  segment 0 key 0x00000000 owner root perms 600: 10 bytes, nattch 0',
        'svipc run: the command left 2 IPC objects in this IPC namespace:',
        '  segment 1 key 0x00000000 owner root perms 600: 20 bytes, nattch 0',
        '  semaphores 0 key 0x00000000 owner root perms 600: 1 semaphores',
        'svipc run: removed 1 of them (--cleanup)',
        'svipc run: left semaphores 0 key 0x00000000 owner root perms 600: the kernel records no creator pid for semaphore sets: svipc cannot prove the command made it (--isolate can)',
        'svipc run: the command left no IPC objects in this IPC namespace',
        'svipc run: the command left no IPC objects in this IPC namespace',
        'svipc run: no-such-command-here: command not found',
        "svipc run: missing required argument 'cmd'",
        '',
      ].join('\n'),
    );
    expect(r.stdout).toBe('[rc=1]\n[rc=1]\n[rc=0]\n[rc=3]\n[rc=127]\n[rc=2]\n4\n');
  });

  test('run --isolate reports a leaked object from a namespace of its own; the outer one is untouched', async () => {
    const r = await ns(`
mine=$($S msg create)
t $S run --isolate -- sh -c "$S shm create 4K >/dev/null; $S msg create >/dev/null"
$S run --isolate --cleanup --report "$tmp/r.json" -- sh -c "$S sem create >/dev/null"; echo "[rc=$?]"
grep -E '"(isolated|kind|exitCode)"' "$tmp/r.json"
$S ipcs | grep -c '^0x'
`);
    expect(r.stderr).toBe(
      [
        'svipc run: the command left 2 IPC objects in its private IPC namespace:',
        '  queue 0 key 0x00000000 owner root perms 600: 0 messages, 0 bytes',
        '  segment 0 key 0x00000000 owner root perms 600: 4096 bytes, nattch 0',
        'svipc run: (they go with the namespace when svipc exits)',
        'svipc run: the command left 1 IPC object in its private IPC namespace:',
        '  semaphores 0 key 0x00000000 owner root perms 600: 1 semaphores',
        'svipc run: removed 1 of them (--cleanup)',
        '',
      ].join('\n'),
    );
    expect(r.stdout).toBe(
      '[rc=1]\n[rc=1]\n  "isolated": true,\n  "exitCode": 0,\n      "kind": "sem",\n      "kind": "sem",\n1\n',
    );
  });

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

test.skipIf(canUnshare())(`hygiene e2e: ${UNSHARE_SKIP_REASON}`, () => {});

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
