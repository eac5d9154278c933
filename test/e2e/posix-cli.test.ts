// svipc msg/sem/shm with a POSIX TARGET (/NAME), end to end through bin/svipc, against the C
// peer (test/peers/posix-peer.c). Every case is a bash script in its own IPC + mount namespace
// with a private /dev/shm and /dev/mqueue (test/helpers/posix-ns.ts): nothing reaches the host's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { canPosixNamespace, inPosixNamespace, POSIX_NS_SKIP_REASON } from '../helpers/posix-ns.js';
import {
  buildPeer,
  CC_SKIP_REASON,
  expectTimedExit,
  hasCompiler,
  publicEnv,
  ROOT,
  RUNAS_FUNCTIONS,
  SVIPC_PRELUDE,
} from '../helpers/run.js';

const usable = hasCompiler() && canPosixNamespace();
const reason = !hasCompiler() ? CC_SKIP_REASON : POSIX_NS_SKIP_REASON;

function posixSh(script: string) {
  const env = { ...publicEnv(), PEER: buildPeer('posix-peer') };
  return inPosixNamespace(
    'bash',
    [
      '-c',
      `${RUNAS_FUNCTIONS}\n${SVIPC_PRELUDE}\n${script}\necho "left:$(ls -A /dev/shm /dev/mqueue/ | grep -v ':$' | tr -d '\\n')"`,
    ],
    {
      env,
      timeoutMs: 120_000,
    },
  );
}

describe.skipIf(!usable)(`svipc msg/sem/shm /NAME (POSIX)${usable ? '' : ` (${reason})`}`, () => {
  test('msg: create, send and recv by priority with the C peer, --json, stat (also without /dev/mqueue), rm', async () => {
    const r = await posixSh(`
$S msg create /q --max-messages 4 --message-size 64 --mode 640
$PEER mq-send /q 1 low; $PEER mq-send /q 9 high
$S msg send /q --priority 5 mid
echo "first=$($S msg recv /q)"
$S msg recv /q --json | grep -E '"(name|priority|text)"'
$PEER mq-recv /q
printf 'from stdin' | $S msg send /q --priority 7
$PEER mq-recv /q
$S msg send /q queued
$S msg stat /q | grep -E '^(kind|name|mode|maxMessages|messageSize|msgs)='
$S msg stat /q --json | grep -E '"(msgs|qsize)"'
umount /dev/mqueue; $S msg stat /q | grep -E '^(name|mode|msgs|messageSize)='; mount -t mqueue mqueue /dev/mqueue
$S msg rm /q
`);
    expect(r.stderr).toBe(
      'svipc msg: /dev/mqueue is not mounted (mount -t mqueue none /dev/mqueue): ' +
        "the queue's owner, mode, times and QSIZE are unknown\n",
    );
    expect(r.stdout).toBe(
      [
        '/q',
        'first=high',
        '  "name": "/q",',
        '  "priority": 5,',
        '  "text": "mid",',
        '1 low',
        '7 from stdin',
        'kind=pmsg',
        'name=/q',
        'mode=0640 (rw-r-----)',
        'msgs=1',
        'maxMessages=4',
        'messageSize=64',
        '  "qsize": 6,',
        '  "msgs": 1,',
        'name=/q',
        'mode=-',
        'msgs=1',
        'messageSize=64',
        'left:',
        '',
      ].join('\n'),
    );
  });

  test('msg: --nowait 75, --timeout 124, SIGINT 130 with the queue intact, a failed write puts the message back', async () => {
    const r = await posixSh(`
$S msg create /q --max-messages 1 --message-size 8 >/dev/null
t $S msg recv /q --nowait
a=$(ms); $S msg recv /q --timeout 1; rc=$?; b=$(ms); echo "timeout rc=$rc ms=$((b - a))"
$S msg send /q --priority 3 full
t $S msg send /q more --nowait
t $S msg send /q more --timeout 0.3
$S msg recv /q > /dev/full; echo "[rc=$?]"
$PEER mq-attr /q
$S msg recv /q --json | grep priority
$S msg recv /q & pid=$!
sleep 1; a=$(ms); kill -INT $pid; wait $pid; rc=$?; b=$(ms); echo "sigint rc=$rc ms=$((b - a))"
$PEER mq-send /q 2 after; echo "got=$($S msg recv /q --nowait)"
$S msg rm /q
`);
    expect(r.stderr.split('\n')).toEqual([
      'svipc msg: POSIX message queue /q is empty (--nowait)',
      expect.stringMatching(/^svipc msg: mq_receive timed out after 1 s/),
      'svipc msg: POSIX message queue /q is full (--nowait)',
      expect.stringMatching(/^svipc msg: mq_send timed out after 0.3 s/),
      'svipc msg: write error: No space left on device; the message (priority 3, 4 bytes) was put back on POSIX message queue /q, after those of its priority',
      '',
    ]);
    expectTimedExit(r.stdout, 124, { atLeast: 1000 }, 'timeout ');
    expectTimedExit(r.stdout, 130, { below: 3000 }, 'sigint ');
    expect(r.stdout).toContain('[rc=75]\n');
    expect(r.stdout).toContain('[rc=124]\n[rc=1]\n1 8 1\n  "priority": 3,\n');
    expect(r.stdout).toContain('got=after\nleft:\n');
  });

  test('msg: errors explained, options of the other family refused (exit 2)', async () => {
    const r = await posixSh(`
$S msg create /q --message-size 16 >/dev/null
t $S msg recv /nope --nowait
t $S msg create /q
t $S msg send /q 12345678901234567
t $S msg create /big --message-size 20000000
t $S msg send /q --type 3 x
t $S msg recv /q --max-size 10
t $S msg create /r --qbytes 10
t $S msg create --max-messages 3
t $S msg send 0 --priority 3 x
t $S msg peek /q
t $S msg recv /bad/name
$S msg rm /q
t $S msg rm /q
`);
    expect(r.stderr.split('\n')).toEqual([
      'svipc msg: no POSIX message queue /nope',
      'svipc msg: POSIX message queue /q already exists',
      expect.stringMatching(
        /^svipc msg: message of 17 bytes is larger than POSIX message queue \/q's message size \(16 bytes, .*fs\.mqueue\.msgsize_max = \d+ bytes/,
      ),
      expect.stringMatching(
        /^svipc msg: cannot create POSIX message queue \/big: --message-size 20000000 is more than fs\.mqueue\.msgsize_max = \d+ bytes \(change with: sysctl -w fs\.mqueue\.msgsize_max=N\)$/,
      ),
      'svipc msg: -t/--type applies to System V message queues, not to POSIX ones (/NAME)',
      'svipc msg: --max-size applies to System V message queues, not to POSIX ones (/NAME)',
      'svipc msg: --qbytes applies to System V message queues, not to POSIX ones (/NAME)',
      'svipc msg: --max-messages applies to POSIX message queues (/NAME), not to System V ones',
      'svipc msg: --priority applies to POSIX message queues (/NAME), not to System V ones',
      expect.stringMatching(/^svipc msg: peek has no POSIX form: /),
      expect.stringMatching(/^svipc msg: invalid POSIX name '\/bad\/name': /),
      'svipc msg: no POSIX message queue /q',
      '',
    ]);
    expect(r.stdout).toBe(
      '[rc=1]\n[rc=1]\n[rc=1]\n[rc=1]\n[rc=2]\n[rc=2]\n[rc=2]\n[rc=2]\n[rc=2]\n[rc=2]\n[rc=2]\n[rc=1]\nleft:\n',
    );
  });

  test('sem: create, -1/+N with the C peer, --nowait, --timeout, SIGINT, get, stat, errors', async () => {
    const r = await posixSh(`
$S sem create /s --init 1
t $S sem op /s -1
t $S sem op /s -1 --nowait
a=$(ms); $S sem op /s -1 --timeout 1; rc=$?; b=$(ms); echo "timeout rc=$rc ms=$((b - a))"
$S sem op /s -1 & pid=$!
sleep 1; $PEER sem-post /s; wait $pid; echo "woken rc=$?"
$S sem op /s +3
echo "value=$($S sem get /s) peer=$($PEER sem-value /s)"
$PEER sem-wait /s
$S sem get /s --json | grep value
$S sem stat /s | grep -E '^(kind|name|mode|value)='
$S sem create /z >/dev/null
$S sem op /z -1 & pid=$!
sleep 1; a=$(ms); kill -INT $pid; wait $pid; rc=$?; b=$(ms); echo "sigint rc=$rc ms=$((b - a)) z=$($S sem get /z)"
t $S sem op /s -2
t $S sem op /s 0
t $S sem set /s 0 1
t $S sem create /t --nsems 2
t $S sem op /s -1 --undo
t $S sem get /s 0
t $S sem get /none
$S sem rm /s; $S sem rm /z
`);
    expect(r.stderr.split('\n')).toEqual([
      'svipc sem: POSIX semaphore /s is 0 (--nowait)',
      expect.stringMatching(/^svipc sem: sem_wait timed out after 1 s/),
      expect.stringMatching(/^svipc sem: a POSIX semaphore is taken one at a time: '-2'/),
      expect.stringMatching(/^svipc sem: a POSIX semaphore has no wait-for-zero/),
      expect.stringMatching(/^svipc sem: set has no POSIX form: /),
      'svipc sem: -n/--nsems applies to System V semaphores, not to POSIX ones (/NAME)',
      'svipc sem: --undo applies to System V semaphores, not to POSIX ones (/NAME)',
      "svipc sem: a POSIX semaphore has one value: no NUM ('0')",
      'svipc sem: no POSIX semaphore /none',
      '',
    ]);
    expectTimedExit(r.stdout, 124, { atLeast: 1000 }, 'timeout ');
    expectTimedExit(r.stdout, 130, { below: 3000 }, 'sigint ');
    expect(r.stdout).toMatch(/sigint rc=\d+ ms=\d+ z=0\n/);
    expect(r.stdout).toContain('/s\n[rc=0]\n[rc=75]\n');
    expect(r.stdout).toContain(
      'woken rc=0\nvalue=3 peer=3\n  "value": 2\nkind=psem\nname=/s\nmode=0600 (rw-------)\nvalue=2\n',
    );
    expect(r.stdout).toContain('[rc=2]\n[rc=2]\n[rc=2]\n[rc=2]\n[rc=2]\n[rc=2]\n[rc=1]\nleft:\n');
  });

  test('shm: create, write, read (--json, --hex) with the C peer, bounds, stat, /dev/shm full, rm', async () => {
    const r = await posixSh(`
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
$S shm create /m 1K
$S shm write /m hello
$S shm write /m --offset 10 WORLD
printf 'piped' | $S shm write /m --offset 0x20
$S shm read /m --length 15 | od -An -c
echo "peer=$($PEER shm-read /m 5)"
$PEER shm-create /c 100 fromC
echo "c=$($S shm read /c --length 5)"
$S shm read /m --offset 10 --length 5 --json | grep -E '"(name|offset|text)"'
head -c 1024 /dev/urandom > "$tmp/in"; $S shm write /m < "$tmp/in"
$S shm read /m | cmp - "$tmp/in" && echo same
$S shm read /m --hex --offset 16 --length 100 > "$tmp/hex"
$S shm read /m > "$tmp/all"; hexdump -C -s 16 -n 100 "$tmp/all" | cmp - "$tmp/hex" && echo hex-same
$S shm stat /m | grep -E '^(kind|name|mode|size)='
t $S shm write /m --offset 1022 abc
t $S shm read /m --offset 1025
t $S shm create /m 10
t $S shm create -k 5 /x 10
t $S shm create /y
mount -o remount,size=64k /dev/shm
t $S shm create /huge 1M
$S shm create /big 64K
head -c 65536 /dev/zero | $S shm write /big; echo "[full rc=$?]"
$S shm rm /m; $S shm rm /c; $S shm rm /big
t $S shm read /m
`);
    expect(r.stderr.split('\n')).toEqual([
      'svipc shm: cannot write 3 bytes at offset 1022: POSIX shared memory object /m has 1024 bytes (2 from offset 1022 to its end)',
      'svipc shm: offset 1025 is beyond the end of POSIX shared memory object /m (1024 bytes)',
      'svipc shm: POSIX shared memory object /m already exists',
      'svipc shm: -k/--key applies to System V shared memory, not to POSIX ones (/NAME)',
      'svipc shm: missing SIZE after /y',
      expect.stringMatching(
        /^svipc shm: cannot create POSIX shared memory object \/huge of 1048576 bytes: larger than \/dev\/shm holds 65536 bytes, \d+ free$/,
      ),
      expect.stringMatching(
        /^svipc shm: cannot write to POSIX shared memory object \/big: no room left \(ENOSPC\): \/dev\/shm holds 65536 bytes, \d+ free; \d+ bytes were written, the rest was not$/,
      ),
      'svipc shm: no POSIX shared memory object /m',
      '',
    ]);
    expect(r.stdout).toContain(
      '/m\n   h   e   l   l   o  \\0  \\0  \\0  \\0  \\0   W   O   R   L   D\npeer=hello\nc=fromC\n',
    );
    expect(r.stdout).toContain('  "name": "/m",\n  "offset": 10,\n  "text": "WORLD",');
    expect(r.stdout).toContain('same\nhex-same\nkind=pshm\nname=/m\nmode=0600 (rw-------)\nsize=1024\n');
    expect(r.stdout).toContain(
      '[rc=1]\n[rc=1]\n[rc=1]\n[rc=2]\n[rc=2]\n[rc=1]\n/big\n[full rc=1]\n[rc=1]\nleft:\n',
    );
  });

  test("the README's POSIX transcript is what svipc prints", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const at = readme.indexOf('### POSIX objects: `/NAME`');
    const start = readme.indexOf('```text\n', at) + '```text\n'.length;
    const block = readme.slice(start, readme.indexOf('```', start));
    const commands = block
      .split('\n')
      .filter((l) => l.startsWith('$ '))
      .map((l) => l.slice(2));
    expect(commands.length).toBeGreaterThan(3);
    const script = commands
      .map((c) => `printf '%s\\n' ${JSON.stringify(`$ ${c}`).replace(/\$/g, '\\$')}; { ${c}; } 2>&1`)
      .join('\n');
    const r = await posixSh(`svipc() { "$SVIPC" "$@"; }\n${script}`);
    expect(r.stdout).toBe(`${block}left:\n`);
  });

  test('completion offers the POSIX names as TARGET (bash)', async () => {
    const r = await posixSh(`
c=$(mktemp); trap 'rm -f "$c"' EXIT
$S completion bash > "$c"; source "$c"
$S msg create /q >/dev/null; $S sem create /s >/dev/null; $S shm create /m 1 >/dev/null
for k in msg sem shm; do COMP_WORDS=(svipc $k stat ''); COMP_CWORD=3; COMPREPLY=(); _svipc; echo "$k: \${COMPREPLY[*]}"; done
$S msg rm /q; $S sem rm /s; $S shm rm /m
`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('msg: /q\nsem: /s\nshm: /m\nleft:\n');
  });

  test('least privilege: a reader receives with read permission only; a refusal names owner and mode', async () => {
    const r = await posixSh(`
$S msg create /q --mode 644 >/dev/null; $S msg send /q hello
t nobody $S msg send /q x
t nobody $S msg recv /q --nowait
$S sem create /s --mode 644 >/dev/null
t nobody $S sem op /s +1
$S msg rm /q; $S sem rm /s
`);
    expect(r.stderr.split('\n')).toEqual([
      'svipc msg: permission denied: cannot open POSIX message queue /q (needs write permission): owner root (uid 0), group root (gid 0), mode 0644; you are nobody (uid 65534)',
      'svipc sem: permission denied: cannot post POSIX semaphore /s (needs read and write permission): owner root (uid 0), group root (gid 0), mode 0644; you are nobody (uid 65534)',
      '',
    ]);
    expect(r.stdout).toBe('[rc=1]\nhello[rc=0]\n[rc=1]\nleft:\n');
  });
});
