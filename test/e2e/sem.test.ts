// svipc sem, end to end through bin/svipc, each case in a private IPC namespace.
import { expect, test } from 'vitest';
import { describeInNamespace, exitCodes, expectTimedExit, svipcInNamespace } from '../helpers/run.js';

const ns = (script: string) => svipcInNamespace(script);

describeInNamespace('svipc sem', () => {
  test('create initializes and marks the set (sem_otime != 0); get, set, --all, --json', async () => {
    const r = await ns(`
s=$($S sem create --init 1,0,2)
$S sem get $s; $S sem get $s 2
$S sem stat $s | grep -E '^(key|mode|nsems|otime|values)='
$S sem set $s 1 7; $S sem get $s
$S sem set $s --all 3,3,3; $S sem get $s
$S sem get $s 0 --json | grep -E '"(semnum|value|nsems)"'
$S sem create --nsems 2 --init 5 --json | grep -E '"(nsems|created)"'
`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /^1 0 2\n2\nkey=0x00000000\nmode=0600 \(rw-------\)\nnsems=3\notime=\d{4}-\d\d-\d\dT[0-9:]+Z\nvalues=1 0 2\n1 7 2\n3 3 3\n/,
    );
    expect(r.stdout).toContain('"nsems": 3,');
    expect(r.stdout).toContain('"semnum": 0,\n        "value": 3,');
    expect(r.stdout).toContain('"created": true,\n  "nsems": 2');
  });

  test('the initialization race: openers with --exist-ok wait for sem_otime != 0, then use the creator values', async () => {
    // A set made by semget alone (ipcmk -S) has sem_otime 0: an opener waits for it (bounded),
    // and goes on as soon as some process's semop marks it initialized.
    const r = await ns(`
s=$($S sem create -k 0x4242 --init 1)
echo "open=$($S sem create -k 0x4242 --exist-ok --init 9)"   # opens, does not re-initialize
$S sem get $s
raw=$(ipcmk -S 1 | grep -o '[0-9]*$')
key=$(ipcs -s | awk -v id=$raw '$2 == id { print $1 }')
a=$(ms); $S sem create -k $key --exist-ok --timeout 0.4; rc=$?; b=$(ms); echo "rc=$rc ms=$((b - a))"
$S sem create -k $key --exist-ok --timeout 5 & pid=$!
sleep 0.5; $S sem op $raw 0:+1
wait $pid; echo "waited rc=$?"
t $S sem create -k 0x4242
`);
    expect(r.stdout).toContain('open=0\n1\n');
    expectTimedExit(r.stdout, 124, { atLeast: 400, below: 3400 });
    expect(r.stdout).toContain('1\nwaited rc=0\n[rc=1]\n');
    expect(r.stderr).toContain('is still 0) timed out after 0.4 s');
    expect(r.stderr).toContain('svipc sem: semaphore set with key 0x00004242 already exists\n');
  });

  test('an atomic two-semaphore op: both or neither', async () => {
    const r = await ns(`
s=$($S sem create --init 1,0)
t $S sem op $s 0:-1 1:-1 --nowait     # sem 1 is 0: neither happens
$S sem get $s
t $S sem op $s 0:-1 1:+1              # both
$S sem get $s
$S sem op $s 0:+1 & pid=$!            # 0:-1 1:-1 waits until sem 0 is back, then takes both
$S sem op $s 0:-1 1:-1 --timeout 5; echo "rc=$?"; wait $pid
$S sem get $s
$S sem op $s 1:0 --timeout 1; echo "zero rc=$?"  # wait-for-zero on a zero semaphore returns at once
`);
    expect(r.stderr).toBe('svipc sem: semaphore set 0: the operation would block (--nowait)\n');
    expect(r.stdout).toBe('[rc=75]\n1 0\n[rc=0]\n0 1\nrc=0\n0 0\nzero rc=0\n');
  });

  test('--timeout on a zero semaphore: 124 after the bound (and not much later), the set intact', async () => {
    const r = await ns(`
s=$($S sem create)
a=$(ms); $S sem op $s 0:-1 --timeout 1; rc=$?; b=$(ms); echo "rc=$rc ms=$((b - a))"
$S sem get $s --json | grep -E '"(value|ncount)"'
$S sem op $s 0:+1; $S sem op $s 0:-1 --nowait; echo "after rc=$?"
`);
    expect(r.stderr).toBe('svipc sem: semop timed out after 1 s\n');
    expectTimedExit(r.stdout, 124, { atLeast: 1000, below: 4000 });
    expect(r.stdout).toContain('"value": 0,\n        "ncount": 0,');
    expect(r.stdout).toContain('after rc=0\n');
  });

  test('SIGINT and SIGTERM during a wait: 130/143, the set intact and nobody left waiting', async () => {
    const r = await ns(`
s=$($S sem create)
waiting() { for i in $(seq 100); do [ "$($S sem get $s --json | grep -c '"ncount": 1')" = 1 ] && return; sleep 0.1; done; }
$S sem op $s 0:-1 & pid=$!
waiting; a=$(ms); kill -INT $pid; wait $pid; rc=$?; b=$(ms); echo "int rc=$rc ms=$((b - a))"
$S sem op $s 0:-1 & pid=$!
waiting; kill -TERM $pid; wait $pid; echo "term rc=$?"
$S sem get $s --json | grep -E '"(value|ncount)"'
`);
    expect(r.stderr).toBe('');
    expectTimedExit(r.stdout, 130, { below: 500 }, 'int ');
    expect(r.stdout).toContain('term rc=143\n');
    expect(r.stdout).toContain('"value": 0,\n        "ncount": 0,');
  });

  test('error paths: messages and exit codes', async () => {
    const r = await ns(`
s=$($S sem create --nsems 2)
t $S sem get 999
t $S sem get $s 5
t $S sem set $s 7 1
t $S sem set $s 0 40000
t $S sem op $s 5:-1
t $S sem op $s 0:+32767 0:+1
t $S sem op $s zero
t $S sem op $s
t $S sem set $s --all 1,2,3
t $S sem create --init 1,2 --nsems 3
t $S sem create --nsems 40000
t $S sem create --exist-ok
echo 1 > /proc/sys/kernel/msgmni   # (unrelated: must not matter)
echo "250 32000 2 1" > /proc/sys/kernel/sem
t $S sem op $s 0:+1 0:+1 0:+1
t $S sem create
N=nobody
t $N $S sem op $s 0:+1
t $N $S sem get $s
t $N $S sem rm $s
`);
    expect(r.stderr.split('\n')).toEqual([
      'svipc sem: no semaphore set with id 999',
      'svipc sem: semaphore set 0: no semaphore 5 (the set has 2: 0..1)',
      'svipc sem: semaphore set 0: no semaphore 7 (the set has 2: 0..1)',
      'svipc sem: semaphore value 40000 is larger than the maximum: SEMVMX = 32767 (a constant of the kernel; no sysctl changes it)',
      'svipc sem: semaphore set 0: a semaphore number is out of range (the set has 2: 0..1)',
      'svipc sem: semaphore set 0: a semaphore would exceed its maximum value: SEMVMX = 32767 (a constant of the kernel; no sysctl changes it)',
      "svipc sem: invalid operation: 'zero' (NUM:OP expected, e.g. 0:-1)",
      'svipc sem: give at least one operation NUM:OP',
      'svipc sem: --all has 3 values for the 2 semaphores of set 0',
      'svipc sem: --init has 2 values for 3 semaphores (give one, or one per semaphore)',
      'svipc sem: cannot create a set of 40000 semaphores: more than semmsl: semmsl = 32000 semaphores per set (change with: sysctl -w kernel.sem="SEMMSL SEMMNS SEMOPM SEMMNI", now "32000 1024000000 500 32000")',
      'svipc sem: --exist-ok needs -k/--key or --path',
      'svipc sem: 3 operations in one semop are more than semopm: semopm = 2 operations per semop (change with: sysctl -w kernel.sem="SEMMSL SEMMNS SEMOPM SEMMNI", now "250 32000 2 1")',
      'svipc sem: cannot create a semaphore set: 1 sets exist, the limit is semmni = 1 sets (change with: sysctl -w kernel.sem="SEMMSL SEMMNS SEMOPM SEMMNI", now "250 32000 2 1")',
      'svipc sem: permission denied: cannot operate on semaphore set 0 (needs write permission): owner root (uid 0), group root (gid 0), mode 0600; you are nobody (uid 65534)',
      'svipc sem: permission denied: cannot read semaphore set 0 (needs read permission): owner root (uid 0), group root (gid 0), mode 0600; you are nobody (uid 65534)',
      'svipc sem: not permitted: only the owner or creator of semaphore set 0 (owner root (uid 0), group root (gid 0), mode 0600, creator uid 0), or a privileged process, may remove it; you are nobody (uid 65534)',
      '',
    ]);
    expect(exitCodes(r.stdout)).toEqual([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1, 2, 1, 1, 1, 1, 1]);
  });
});
