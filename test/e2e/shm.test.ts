// svipc shm, end to end through bin/svipc, each case in a private IPC namespace.
import { expect, test } from 'vitest';
import { describeInNamespace, exitCodes, expectTimedExit, svipcInNamespace } from '../helpers/run.js';

const ns = (script: string) => svipcInNamespace(script);

describeInNamespace('svipc shm', () => {
  test('write and read at offsets; stdin, DATA, JSON; exact bytes through pipes', async () => {
    const r = await ns(`
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
m=$($S shm create 1K)
$S shm write $m hello
$S shm write $m --offset 10 WORLD
printf 'piped' | $S shm write $m --offset 0x20
$S shm read $m --length 15 | od -An -c
echo "at10=$($S shm read $m --offset 10 --length 5) at32=$($S shm read $m -o 32 -l 5)"
$S shm read $m --offset 1019 --length 5 | wc -c
$S shm read $m --offset 1024 | wc -c
$S shm read $m --offset 10 --length 5 --json | grep -E '"(offset|length|text|base64)"'
head -c 1024 /dev/urandom > "$tmp/in"; $S shm write $m < "$tmp/in"
$S shm read $m | cmp - "$tmp/in" && echo same
$S shm stat $m | grep -E '^(size|nattch)='
$S shm create 1.5K --json | grep '"size"'
$S shm create 1 -k 0x5151 -m 640 >/dev/null; $S shm stat -k 0x5151 | grep -E '^(key|mode)='
`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('   h   e   l   l   o  \\0  \\0  \\0  \\0  \\0   W   O   R   L   D\n');
    expect(r.stdout).toContain('at10=WORLD at32=piped\n5\n0\n');
    expect(r.stdout).toContain('"offset": 10,\n  "length": 5,\n  "text": "WORLD",\n  "base64": "V09STEQ="');
    expect(r.stdout).toContain('same\nsize=1024\nnattch=0\n');
    expect(r.stdout).toContain('"size": 1536');
    expect(r.stdout).toContain('key=0x00005151\nmode=0640 (rw-r-----)\n');
  });

  test('to a terminal: binary refused with one line, text as it is, --hex dumps; write says it reads stdin (in a pty)', async () => {
    const r = await ns(`
m=$($S shm create 64)
pty() { script -qec "$1" /dev/null < /dev/null | tr -d '\\r'; echo "[rc=$?]"; }
pty "$S shm read $m"
$S shm write $m "text"
pty "$S shm read $m --length 4"
pty "$S shm read $m --hex --offset 2 --length 20"
$S shm read $m --hex > /dev/null; $S shm read $m | wc -c        # not a terminal: raw bytes
t $S shm read $m --hex --json
printf 'typed\\n' | script -qec "$S shm write $m --offset 8" /dev/null | tr -d '\\r' | grep -v '^typed$'
echo "at8=$($S shm read $m --offset 8 --length 5)"
`);
    expect(r.stdout).toBe(
      'svipc shm: not writing binary data to a terminal (64 bytes of shared memory segment 0): use --hex, or redirect stdout\n' +
        '[rc=1]\n' +
        'text[rc=0]\n' +
        '00000002  78 74 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |xt..............|\n' +
        '00000012  00 00 00 00                                       |....|\n' +
        '00000016\n[rc=0]\n64\n[rc=2]\n' +
        'svipc shm: reading the data from stdin; end with Ctrl-D\nat8=typed\n',
    );
    expect(r.stderr).toBe('svipc shm: --json and --hex are exclusive\n');
  });

  test('rm of an attached segment says it goes when the last process detaches; then it goes', async () => {
    const r = await ns(`
m=$($S shm create 64)
f=$(mktemp -u); mkfifo "$f"; trap 'rm -f "$f"' EXIT
$S shm write $m < "$f" & pid=$!
exec 3> "$f"                     # the write attaches, then waits for stdin
for i in $(seq 100); do $S shm stat $m | grep -q '^nattch=1$' && break; sleep 0.1; done
t $S shm rm $m
exec 3>&-; wait $pid; echo "writer rc=$?"
t $S shm stat $m
n=$($S shm create 64); t $S shm rm $n                       # not attached: nothing to say
`);
    expect(r.stderr).toBe(
      'svipc shm: shared memory segment 0 is marked for removal; it goes when the last of its 1 attached process detaches\n' +
        'svipc shm: no shared memory segment with id 0\n',
    );
    expect(r.stdout).toBe('[rc=0]\nwriter rc=0\n[rc=1]\n[rc=0]\n');
  });

  test('out of bounds is refused, before anything is written when the size is known', async () => {
    const r = await ns(`
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
m=$($S shm create 100)
t $S shm write $m --offset 98 abc
t $S shm write $m --offset 101 a
t $S shm read $m --offset 90 --length 11
t $S shm read $m --offset 101
head -c 200 /dev/zero > "$tmp/big"; t $S shm write $m < "$tmp/big"
$S shm read $m | tr -d '\\0' | wc -c                        # nothing was written
head -c 150 /dev/zero | tr '\\0' x | $S shm write $m --offset 50; echo "[pipe rc=$?]"
$S shm read $m | tr -d '\\0' | wc -c                        # what fit
`);
    expect(r.stderr.split('\n')).toEqual([
      'svipc shm: cannot write 3 bytes at offset 98: shared memory segment 0 has 100 bytes (2 from offset 98 to its end)',
      'svipc shm: offset 101 is beyond the end of shared memory segment 0 (100 bytes)',
      'svipc shm: cannot read 11 bytes at offset 90: shared memory segment 0 has 100 bytes (10 from offset 90 to its end)',
      'svipc shm: offset 101 is beyond the end of shared memory segment 0 (100 bytes)',
      'svipc shm: cannot write 200 bytes at offset 0: shared memory segment 0 has 100 bytes (100 from offset 0 to its end)',
      'svipc shm: input does not fit: shared memory segment 0 has 100 bytes, 50 from offset 50 to its end; those 50 bytes were written, the rest of the input was not',
      '',
    ]);
    expect(r.stdout).toBe('[rc=1]\n[rc=1]\n[rc=1]\n[rc=1]\n[rc=1]\n0\n[pipe rc=1]\n50\n');
  });

  test('SIGINT while write waits for stdin: 130, the segment intact and detached', async () => {
    const r = await ns(`
m=$($S shm create 64)
$S shm write $m keep
f=$(mktemp -u); mkfifo "$f"; trap 'rm -f "$f"' EXIT
$S shm write $m --offset 10 < "$f" & pid=$!
exec 3> "$f"                     # a writer that never writes: the read waits
for i in $(seq 100); do $S shm stat $m | grep -q '^nattch=1$' && break; sleep 0.1; done   # attached and reading
a=$(date +%s%N); kill -INT $pid; wait $pid; echo "rc=$? ms=$(( ($(date +%s%N) - a) / 1000000 ))"
$S shm read $m --length 4; echo
$S shm stat $m | grep '^nattch='
`);
    expectTimedExit(r.stdout, 130, { below: 3000 });
    expect(r.stdout).toContain('\nkeep\nnattch=0\n');
  });

  test('kernel limits and permissions are explained: shmmax, shmmni, shmall, owner and mode', async () => {
    const r = await ns(`
m=$($S shm create 4096 -m 640)
echo 8192 > /proc/sys/kernel/shmmax
t $S shm create 16K
t $S shm create 0
t $S shm create 1Q
echo 2 > /proc/sys/kernel/shmall
t $S shm create 8K
echo 1 > /proc/sys/kernel/shmmni
t $S shm create 1
N=nobody
t $N $S shm read $m
t $N $S shm write $m x
t $S shm rm $m
t $S shm read $m
`);
    expect(r.stderr.split('\n')).toEqual([
      'svipc shm: cannot create a segment of 16384 bytes: larger than shmmax: kernel.shmmax = 8192 bytes (change with: sysctl -w kernel.shmmax=N)',
      'svipc shm: cannot create a segment of 0 bytes (the minimum, SHMMIN, is 1)',
      "svipc shm: invalid size: '1Q' (a number, optionally with K, M, G... KiB, KB...)",
      'svipc shm: cannot create a segment of 8192 bytes: 1 pages are in use system-wide, the limit is kernel.shmall = 2 pages (change with: sysctl -w kernel.shmall=N)',
      'svipc shm: cannot create a segment: 1 segments exist, the limit is kernel.shmmni = 1 segments (change with: sysctl -w kernel.shmmni=N)',
      'svipc shm: permission denied: cannot attach shared memory segment 0 (needs read permission): owner root (uid 0), group root (gid 0), mode 0640; you are nobody (uid 65534)',
      'svipc shm: permission denied: cannot attach shared memory segment 0 (needs read and write permission): owner root (uid 0), group root (gid 0), mode 0640; you are nobody (uid 65534)',
      'svipc shm: no shared memory segment with id 0',
      '',
    ]);
    expect(exitCodes(r.stdout)).toEqual([1, 1, 2, 1, 1, 1, 1, 0, 1]);
  });
});
