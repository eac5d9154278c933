// svipc msg, end to end through bin/svipc, each case in a private IPC namespace (nothing it
// makes can touch or be touched by the host's objects; it all dies with the namespace).
import { expect, test } from 'vitest';
import { describeInNamespace, exitCodes, expectTimedExit, svipcInNamespace } from '../helpers/run.js';

const ns = (script: string) => svipcInNamespace(script);

describeInNamespace('svipc msg', () => {
  test('a round trip for every --type selection rule: 0, N > 0, N < 0, --except', async () => {
    const r = await ns(`
q=$($S msg create)
for m in 3:three 1:one 5:five 2:two 4:four; do $S msg send $q --type \${m%%:*} \${m#*:}; done
echo "zero=$($S msg recv $q)"                 # the first message in the queue: three
echo "pos=$($S msg recv $q --type 5)"          # the first of type 5
echo "neg=$($S msg recv $q --type -4)"         # the lowest type <= 4: one
echo "except=$($S msg recv $q --type 2 --except)"  # the first whose type is not 2: four
echo "last=$($S msg recv $q --type 0)"         # two
printf 'from stdin\\n' | $S msg send $q --type 9
echo "stdin=$($S msg recv $q --type 9)"
echo -n 'dash' | $S msg send $q -
$S msg recv $q --json
$S msg send $q ''; echo "empty=[$($S msg recv $q)]"
t $S msg recv $q --nowait
`);
    expect(r.stderr).toBe('svipc msg: message queue 0: no message of the requested type (--nowait)\n');
    expect(r.stdout).toContain('zero=three\npos=five\nneg=one\nexcept=four\nlast=two\nstdin=from stdin\n');
    expect(r.stdout).toContain('"type": 1,\n  "size": 4,\n  "text": "dash",\n  "base64": "ZGFzaA=="');
    expect(r.stdout).toContain('empty=[]\n[rc=75]\n');
    expect(r.code).toBe(0);
  });

  test('by key, by ftok path; stat and set', async () => {
    const r = await ns(`
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
q=$($S msg create -k 0x5151 -m 640)
t $S msg create -k 0x5151
$S msg send -k 0x5151 --type 7 via-key
p=$($S msg create --path "$dir" --proj 3)
$S msg send --path "$dir" --proj 3 via-path
echo "k=$($S msg recv -k 20817) p=$($S msg recv $p)"
$S msg set $q --qbytes 100 --mode 600 --owner 12:34
$S msg stat -k 0x5151 | grep -E '^(key|mode|qbytes|permsOctal|uid|gid|qnum)='
$S msg stat $q --json | grep -E '"(schemaVersion|mode|qbytes)"'
t $S msg set $q
`);
    expect(r.stderr).toBe(
      'svipc msg: message queue with key 0x00005151 already exists\n' +
        'svipc msg: nothing to change: give --qbytes, --mode or --owner\n',
    );
    expect(r.stdout).toContain('[rc=1]\nk=via-key p=via-path\n');
    expect(r.stdout).toContain(
      'key=0x00005151\nmode=0600 (rw-------)\npermsOctal=600\nuid=12\ngid=34\nqnum=0\nqbytes=100\n',
    );
    expect(r.stdout).toContain('"schemaVersion": 1,\n  "mode": "id",');
    expect(r.stdout).toContain('"qbytes": 100');
    expect(r.stdout).toMatch(/\[rc=2\]\n$/);
  });

  test('--timeout on an empty queue: 124 after the bound (and not much later), the queue intact', async () => {
    const r = await ns(`
q=$($S msg create)
a=$(ms); $S msg recv $q --timeout 1; rc=$?; b=$(ms)
echo "rc=$rc ms=$((b - a))"
$S msg send $q still-here; echo "got=$($S msg recv $q --nowait)"
`);
    expect(r.stderr).toBe('svipc msg: msgrcv timed out after 1 s\n');
    expectTimedExit(r.stdout, 124, { atLeast: 1000, below: 4000 });
    expect(r.stdout).toContain('got=still-here\n');
  });

  test('--timeout and --nowait on a full queue: 124 and 75, nothing sent', async () => {
    const r = await ns(`
q=$($S msg create --qbytes 8)
$S msg send $q 12345678
a=$(ms); $S msg send $q x --timeout 0.5; rc=$?; b=$(ms); echo "rc=$rc ms=$((b - a))"
t $S msg send $q x --nowait
$S msg stat $q | grep -E '^(qnum|cbytes)='
`);
    expect(r.stderr).toBe(
      'svipc msg: msgsnd timed out after 0.5 s\n' +
        'svipc msg: message queue 0 is full (--nowait): 8 of its 8 bytes (qbytes) used by 1 message\n',
    );
    expectTimedExit(r.stdout, 124, { atLeast: 500, below: 3500 });
    expect(r.stdout).toContain('[rc=75]\ncbytes=8\nqnum=1\n');
  });

  test('SIGINT during a blocked recv: 130 at once, no stack trace, the queue intact and no message lost', async () => {
    const r = await ns(`
q=$($S msg create)
$S msg recv $q & pid=$!
sleep 1; a=$(ms); kill -INT $pid; wait $pid; rc=$?; b=$(ms)
echo "rc=$rc ms=$((b - a))"
$S msg send $q after; echo "got=$($S msg recv $q --nowait)"
`);
    expect(r.stderr).toBe('');
    expectTimedExit(r.stdout, 130, { below: 500 });
    expect(r.stdout).toContain('got=after\n');
  });

  test('send without DATA on a terminal says it reads stdin (in a pty); from a pipe it says nothing', async () => {
    const r = await ns(`
q=$($S msg create)
printf 'typed\\n' | script -qec "$S msg send $q" /dev/null | tr -d '\\r' | grep -v '^typed$'
echo "got=$($S msg recv $q)"
echo piped | $S msg send $q; echo "got=$($S msg recv $q)"
`);
    expect(r.stdout).toBe(
      'svipc msg: reading the message from stdin; end with Ctrl-D\ngot=typed\ngot=piped\n',
    );
    expect(r.stderr).toBe('');
  });

  test('error paths: messages and exit codes', async () => {
    const r = await ns(`
q=$($S msg create)
t $S msg recv 4242
t $S msg recv -k 0x7777
t $S msg send $q --type 0 x
t $S msg send $q --type abc x
t $S msg recv $q --except
t $S msg recv $q --nowait --timeout 1
t $S msg recv
t $S msg recv -k 1 --path /
t $S msg recv --proj 1 $q
t $S msg recv --path /nonexistent/x
t $S msg send $q "$(head -c 9000 /dev/zero | tr '\\0' a)"
$S msg set $q --qbytes 10
t $S msg send $q 12345678901
$S msg set $q --qbytes 100
$S msg send $q 0123456789
t $S msg recv $q --max-size 4 --timeout 5
echo "trunc=$($S msg recv $q --max-size 4 --noerror --timeout 5)"
t $S msg bogus
`);
    expect(r.stderr.split('\n')).toEqual([
      'svipc msg: no message queue with id 4242',
      'svipc msg: no message queue with key 0x00007777',
      "svipc msg: invalid message type: '0' (a positive integer expected)",
      "svipc msg: invalid message type: 'abc'",
      'svipc msg: --except needs --type N with N > 0',
      'svipc msg: --nowait and --timeout are exclusive',
      'svipc msg: missing TARGET: an id, -k KEY or --path P',
      'svipc msg: -k/--key and --path are exclusive',
      'svipc msg: --proj needs --path',
      'svipc msg: ftok /nonexistent/x: No such file or directory',
      'svipc msg: message of 9000 bytes is larger than msgmax: kernel.msgmax = 8192 bytes (change with: sysctl -w kernel.msgmax=N)',
      "svipc msg: message of 11 bytes can never fit message queue 0: its qbytes limit is 10 bytes (raise it with 'svipc msg set TARGET --qbytes N'; new queues get kernel.msgmnb = 16384 bytes (change with: sysctl -w kernel.msgmnb=N))",
      'svipc msg: message queue 0: the first matching message is longer than --max-size 4 bytes (use a larger --max-size, or --noerror to truncate it)',
      "svipc msg: unknown command 'bogus'",
      '',
    ]);
    expect(exitCodes(r.stdout)).toEqual([1, 1, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 2]);
    expect(r.stdout).toContain('trunc=0123\n');
  });

  test('kernel limits and permissions are explained: msgmni, owner and mode, CAP_SYS_RESOURCE', async () => {
    const r = await ns(`
q=$($S msg create -m 600)
echo 1 > /proc/sys/kernel/msgmni
t $S msg create
N=nobody
t $N $S msg send $q hi
t $N $S msg recv $q --nowait
t $N $S msg rm $q
$S msg set $q --owner 65534:65534
t $N $S msg set $q --qbytes 100000
t $S msg rm $q
t $S msg rm $q
`);
    expect(r.stderr.split('\n')).toEqual([
      'svipc msg: cannot create a message queue: the system-wide number of queues is at its limit: kernel.msgmni = 1 queues (change with: sysctl -w kernel.msgmni=N)',
      'svipc msg: permission denied: cannot send to message queue 0 (needs write permission): owner root (uid 0), group root (gid 0), mode 0600; you are nobody (uid 65534)',
      'svipc msg: permission denied: cannot receive from message queue 0 (needs read permission): owner root (uid 0), group root (gid 0), mode 0600; you are nobody (uid 65534)',
      'svipc msg: not permitted: only the owner or creator of message queue 0 (owner root (uid 0), group root (gid 0), mode 0600, creator uid 0), or a privileged process, may remove it; you are nobody (uid 65534)',
      "svipc msg: not permitted: raising a queue's qbytes to 100000 above msgmnb needs CAP_SYS_RESOURCE: kernel.msgmnb = 16384 bytes (change with: sysctl -w kernel.msgmnb=N)",
      'svipc msg: no message queue with id 0',
      '',
    ]);
    expect(exitCodes(r.stdout)).toEqual([1, 1, 1, 1, 1, 0, 1]);
  });

  test('peek copies the message at an index and leaves the queue as it was (MSG_COPY)', async () => {
    const r = await ns(`
q=$($S msg create)
for m in 3:three 1:one 5:five; do $S msg send $q --type \${m%%:*} \${m#*:}; done
before=$($S msg stat $q | grep -E '^(qnum|cbytes)=' | tr '\\n' ' ')
echo "p0=$($S msg peek $q) p2=$($S msg peek $q --index 2) p1=$($S msg peek $q --index 1)"
$S msg peek $q --index 1 --json
after=$($S msg stat $q | grep -E '^(qnum|cbytes)=' | tr '\\n' ' ')
[ "$before" = "$after" ] && echo "unchanged: $after"
t $S msg peek $q --index 3
t $S msg peek $q --max-size 2
t $S msg peek $q --index -1
echo "order=$($S msg recv $q),$($S msg recv $q),$($S msg recv $q)"
t $S msg peek $q
`);
    expect(r.stdout).toContain('p0=three p2=five p1=one\n');
    expect(r.stdout).toContain(
      '{\n  "id": 0,\n  "index": 1,\n  "type": 1,\n  "size": 3,\n  "text": "one",\n  "base64": "b25l"\n}\n',
    );
    expect(r.stdout).toContain('unchanged: cbytes=12 qnum=3 \n');
    expect(r.stdout).toContain('[rc=1]\n[rc=1]\n[rc=2]\norder=three,one,five\n[rc=1]\n');
    expect(r.stderr).toBe(
      'svipc msg: message queue 0: no message at index 3\n' +
        'svipc msg: message queue 0: the message at index 0 is longer than --max-size 2 bytes\n' +
        "svipc msg: invalid index: '-1'\n" +
        'svipc msg: message queue 0: no message at index 0\n',
    );
    expect(r.code).toBe(0);
  });

  test('--help lists the exit codes', async () => {
    const r = await ns('$S msg recv --help');
    expect(r.stdout).toContain('75   --nowait was given and the call would have blocked');
    expect(r.stdout).toContain('124  --timeout expired');
    expect(r.code).toBe(0);
  });
});
