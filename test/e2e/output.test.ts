// Nothing lost on output (src/cli/output.ts, the launcher's finish()): every byte a command
// prints reaches a pipe's reader, however large and however slowly it reads; a write that
// fails is "PROG: write error: <strerror>" and a non-zero exit; a received message that
// could not be written goes back on its queue; an object whose id could not be printed is
// removed again. Everything runs in a private IPC namespace (the objects are ours alone and
// die with it); /dev/full stands for a full disk.
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { COMMANDS } from '../../src/cli/registry.js';
import { posixShell } from '../helpers/posix-ns.js';
import {
  canUnshare,
  ROOT,
  run,
  SVIPC,
  SVIPC_PRELUDE,
  svipcInNamespace,
  UNSHARE_SKIP_REASON,
} from '../helpers/run.js';

const ns = (script: string) => svipcInNamespace(script, { timeoutMs: 120_000 });
/**
 * The same with a private /dev/shm and /dev/mqueue too, for the commands that list POSIX objects
 * (snapshot, leaks): they see only the script's, and no note about an unmounted /dev/mqueue.
 */
const posixNs = (script: string) => posixShell(SVIPC_PRELUDE + script, { timeoutMs: 120_000 });

/** bash: `make N` creates N queues, N semaphore sets and N segments in one process (fast). */
const MAKE = `make() { node --input-type=module -e "
const m = await import('${ROOT}/dist/src/ipc/index.js');
for (let i = 0; i < $1; i++) { m.MessageQueue.create(); m.SemaphoreSet.create(4); m.SharedMemory.create(4096); }"; }
# valid FILE: whether FILE is one JSON document, and how many "kind" entries it has
valid() { node -e 'const t = require("fs").readFileSync(process.argv[1], "utf8"); JSON.parse(t); console.log("json", (t.match(/"kind": "/g) || []).length)' "$1" 2>/dev/null || echo "not json"; }
slow() { sleep 1; cat; }
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
`;

/** Lines `NAME=VALUE` of a script's stdout, as a record. */
function fields(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^([\w.-]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

if (!canUnshare()) console.warn(UNSHARE_SKIP_REASON);
const HAS_PYTHON = spawnSync('python3', ['-c', '']).status === 0;
if (!HAS_PYTHON) console.warn('output: no python3 (to make a non-blocking pipe): that test is skipped');

describe.skipIf(!canUnshare())('more than a pipe holds (64 KiB), through a fast and a slow reader', () => {
  test('snapshot, ipcs --json and leaks -a --json: whole, valid JSON, the same as into a file', async () => {
    const r = await posixNs(`${MAKE}
make 150
i=0
for c in "snapshot" "ipcs --json" "leaks -a --json"; do
  i=$((i + 1))
  $S $c > "$d/file.$i"; echo "file.$i.rc=$?"
  $S $c | cat > "$d/fast.$i"; echo "fast.$i.rc=\${PIPESTATUS[0]}"
  $S $c | slow > "$d/slow.$i"; echo "slow.$i.rc=\${PIPESTATUS[0]}"
  for w in file fast slow; do
    echo "$w.$i.bytes=$(wc -c < "$d/$w.$i")"
    echo "$w.$i.valid=$(valid "$d/$w.$i")"
  done
done
cmp "$d/file.1" "$d/slow.1" && cmp "$d/file.1" "$d/fast.1" && echo snapshot.same=yes
cmp "$d/file.2" "$d/slow.2" && cmp "$d/file.2" "$d/fast.2" && echo ipcs.same=yes
# ipcs's text: into a file svipc writes fd 1 itself (src/cli/output.ts), into a pipe a stream does
$S ipcs > "$d/text.file"; $S ipcs | slow > "$d/text.slow"
echo "text.bytes=$(wc -c < "$d/text.file")"
cmp "$d/text.file" "$d/text.slow" && echo text.same=yes
`);
    const f = fields(r.stdout);
    expect(r.stderr).toBe('');
    for (const i of [1, 2, 3]) {
      const fileBytes = Number(f[`file.${i}.bytes`]);
      expect(fileBytes).toBeGreaterThan(65_536 * 2);
      for (const w of ['file', 'fast', 'slow']) {
        expect(Number(f[`${w}.${i}.bytes`]), `${w}.${i}`).toBe(fileBytes);
        expect(f[`${w}.${i}.valid`], `${w}.${i}`).toBe(f['file.1.valid']);
        // snapshot and ipcs: 0; leaks: 1, as every object made here and left is a leak
        expect(f[`${w}.${i}.rc`], `${w}.${i}`).toBe(i === 3 ? '1' : '0');
      }
    }
    expect(f['file.1.valid']).toBe('json 450');
    expect(f['snapshot.same']).toBe('yes');
    expect(Number(f['text.bytes'])).toBeGreaterThan(450 * 40);
    expect(f['text.same']).toBe('yes');
    expect(f['ipcs.same']).toBe('yes');
  });

  test('shm read and shm read --json of a 1 MiB segment: every byte', async () => {
    const r = await ns(`${MAKE}
head -c 1048576 /dev/urandom > "$d/data"
m=$($S shm create 1M)
$S shm write $m < "$d/data"
$S shm read $m | cat > "$d/fast"; echo "fast.rc=\${PIPESTATUS[0]}"
$S shm read $m | slow > "$d/slow"; echo "slow.rc=\${PIPESTATUS[0]}"
cmp "$d/data" "$d/fast" && cmp "$d/data" "$d/slow" && echo raw.same=yes
$S shm read $m --json | slow > "$d/json"; echo "json.rc=\${PIPESTATUS[0]}"
node -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.stdout.write(Buffer.from(d.base64, "base64"))' "$d/json" > "$d/decoded"
cmp "$d/data" "$d/decoded" && echo json.same=yes
$S shm rm $m
`);
    const f = fields(r.stdout);
    expect(r.stderr).toBe('');
    expect(f).toMatchObject({
      'fast.rc': '0',
      'slow.rc': '0',
      'json.rc': '0',
      'raw.same': 'yes',
      'json.same': 'yes',
    });
  });

  test('a long error message reaches a slow reader of stderr whole', async () => {
    const long = `/nonexistent/${'x'.repeat(120_000)}`;
    const r = await ns(`${MAKE}
$S ftok "${long}" 1 2>&1 >/dev/null | slow > "$d/err"; echo "rc=\${PIPESTATUS[0]}"
echo "bytes=$(wc -c < "$d/err")"
head -c 40 "$d/err"; echo; tail -c 40 "$d/err"
`);
    const f = fields(r.stdout);
    expect(f.rc).toBe('1');
    // "svipc ftok: PATH: <strerror>\n", the path whole
    expect(Number(f.bytes)).toBeGreaterThan(long.length);
    expect(r.stdout).toContain('svipc ftok: /nonexistent/xxxxxxxxxxxxxxx');
    expect(r.stdout).toMatch(/xxx: (File name too long|No such file or directory)\n/);
  });

  // A pipe whose writing end is non-blocking (O_NONBLOCK, shared with whoever made it) and a
  // reader that waits a second: svipc writes it itself until it is full (EAGAIN), then leaves
  // the rest to Node's stream, which waits for the reader. Every byte arrives, in order.
  test.skipIf(!HAS_PYTHON)('ipcs into a full non-blocking pipe: every byte, exit 0', async () => {
    const r = await ns(`${MAKE}
make 600
$S ipcs > "$d/file"
python3 - "$S" "$d/file" <<'PY'
import os, subprocess, sys, time
r, w = os.pipe()
os.set_blocking(w, False)
p = subprocess.Popen([sys.argv[1], 'ipcs'], stdout=w)
os.close(w)
time.sleep(1.0)
data = b''
while True:
    b = os.read(r, 65536)
    if not b:
        break
    data += b
    time.sleep(0.05)
whole = open(sys.argv[2], 'rb').read()
print(f'rc={p.wait()}')
print(f'bytes={len(whole)}')
print(f'same={data == whole}')
PY
`);
    const f = fields(r.stdout);
    expect(r.stderr).toBe('');
    expect(Number(f.bytes)).toBeGreaterThan(65_536);
    expect(f).toMatchObject({ rc: '0', same: 'True' });
  });

  test('a reader that leaves early (EPIPE): 141, quietly', async () => {
    const r = await ns(`${MAKE}
m=$($S shm create 1M)
$S shm read $m | head -c 10 > /dev/null; echo "read.rc=\${PIPESTATUS[0]}"
make 150
$S snapshot | head -c 10 > /dev/null; echo "snapshot.rc=\${PIPESTATUS[0]}"
# ipcs writes a pipe itself (src/cli/output.ts): the same 141 (more than a pipe holds: 600 of each)
make 450
$S ipcs | head -c 10 > /dev/null; echo "ipcs.rc=\${PIPESTATUS[0]}"
$S ipcs --json | head -c 10 > /dev/null; echo "json.rc=\${PIPESTATUS[0]}"
`);
    const f = fields(r.stdout);
    expect(r.stderr).toBe('');
    expect(f).toMatchObject({ 'read.rc': '141', 'snapshot.rc': '141', 'ipcs.rc': '141', 'json.rc': '141' });
  });
});

describe('stdout that cannot be written (/dev/full): "write error", exit 1', () => {
  // Every command prints its help: each one must say when it could not.
  test.each(COMMANDS.map((c) => [c.name]))('%s --help', async (name) => {
    const r = await svipcFull([name, '--help']);
    expect(r.code).toBe(1);
    const prog = COMMANDS.find((c) => c.name === name)?.multiCall ? name : `svipc ${name}`;
    expect(r.stderr).toBe(`${prog}: write error: No space left on device\n`);
  });

  test.each([
    [['--help'], 'svipc'],
    [['--version'], 'svipc'],
    [['ftok', '/', '1'], 'svipc ftok'],
    [['ftok', '--hex', '/', '1'], 'svipc ftok'],
    [['completion', 'bash'], 'svipc completion'],
    [['completion', 'zsh'], 'svipc completion'],
    [['completion', 'fish'], 'svipc completion'],
  ])('svipc %j', async (args, prog) => {
    const r = await svipcFull(args);
    expect(r.stderr).toBe(`${prog}: write error: No space left on device\n`);
    expect(r.code).toBe(1);
  });
});

/** svipc ARGS > /dev/full (commands that touch no IPC object: on the host). */
function svipcFull(args: string[]) {
  return run('bash', ['-c', `"$SVIPC" ${args.map((a) => `'${a}'`).join(' ')} > /dev/full`], {
    env: { SVIPC },
  });
}

describe.skipIf(!canUnshare())('nothing lost when stdout fails (private IPC namespace)', () => {
  // A script in the namespace, and all it may print: on stderr, and on stdout.
  const cases = [
    {
      title: 'msg recv > /dev/full: the message stays, with its type and bytes; --json too',
      script: `
q=$($S msg create)
$S msg send $q --type 3 'hello, world'
$S msg send $q --type 5 'second'
$S msg recv $q --type 3 > /dev/full; echo "[rc=$?]"
$S msg recv $q --type 3 --json > /dev/full; echo "[rc=$?]"
echo "qnum=$($S msg stat $q | sed -n 's/^qnum=//p')"
echo "first=$($S msg recv $q --nowait)"
echo "then=$($S msg recv $q --type 3 --nowait)"
$S msg rm $q
`,
      stderr:
        'svipc msg: write error: No space left on device; the message (type 3, 12 bytes) was put back on queue 0, at its end\n'.repeat(
          2,
        ),
      stdout: '[rc=1]\n[rc=1]\nqnum=2\nfirst=second\nthen=hello, world\n',
    },
    {
      title: 'msg recv into a closed pipe (EPIPE): 141, quietly, the message stays',
      script: `
q=$($S msg create)
$S msg send $q --type 7 'keep me'
python3 -c 'import os, subprocess, sys
r, w = os.pipe(); os.close(r)
print("rc=%d" % subprocess.run(sys.argv[1:], stdout=w).returncode)' "$S" msg recv $q
echo "kept=$($S msg recv $q --type 7 --nowait)"
$S msg rm $q
`,
      stderr: '',
      stdout: 'rc=141\nkept=keep me\n',
    },
    {
      title: 'sem create --exist-ok > /dev/full: a set it only opened is not removed',
      script: `
s=$($S sem create -k 0x4444)
$S sem create -k 0x4444 --exist-ok > /dev/full; echo "[rc=$?]"
echo "still=$($S sem get $s)"
$S sem rm $s
`,
      stderr: 'svipc sem: write error: No space left on device\n',
      stdout: '[rc=1]\nstill=0\n',
    },
  ];
  for (const { title, script, stderr, stdout } of cases) {
    test(title, async () => {
      const r = await ns(MAKE + script);
      expect(r.stderr).toBe(stderr);
      expect(r.stdout).toBe(stdout);
    });
  }

  test('msg, sem and shm create, svsem-demo INIT > /dev/full: removed again, said so, nothing left', async () => {
    const r = await ns(`${MAKE}
$S msg create > /dev/full; echo "[rc=$?]"
$S msg create --json -k 0x4242 > /dev/full; echo "[rc=$?]"
$S sem create --nsems 3 > /dev/full; echo "[rc=$?]"
$S sem create --json -k 0x4343 > /dev/full; echo "[rc=$?]"
$S shm create 64K > /dev/full; echo "[rc=$?]"
$S shm create --json 1M > /dev/full; echo "[rc=$?]"
$S svsem-demo 3 > /dev/full; echo "[rc=$?]"
echo "left=$($S ipcs --json | grep -c '"kind"')"
`);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(7);
    const what = [
      'message queue',
      'message queue',
      'semaphore set',
      'semaphore set',
      'shared memory segment',
    ];
    for (const [i, w] of [...what, 'shared memory segment'].entries()) {
      const kind = w.split(' ')[0];
      expect(lines[i]).toMatch(
        new RegExp(
          `^svipc ${kind === 'message' ? 'msg' : kind === 'semaphore' ? 'sem' : 'shm'}: write error: No space left on device; ${w} \\d+ was removed again$`,
        ),
      );
    }
    expect(lines[6]).toMatch(
      /^svipc svsem-demo: write error: No space left on device; semaphore set \d+ was removed again$/,
    );
    expect(r.stdout).toBe('[rc=1]\n'.repeat(7) + 'left=0\n');
  });

  test('everything else that prints: write error, exit 1, never "internal error"', async () => {
    const r = await posixNs(`${MAKE}
q=$($S msg create); s=$($S sem create --nsems 2); m=$($S shm create 4K)
$S shm write $m 'abc'
for c in "snapshot" "ipcs --json" "leaks -a --json" "msg stat $q" "msg stat $q --json" "sem get $s" "sem stat $s" \\
         "shm stat $m" "shm read $m" "shm read $m --json" "ipcs" "ftok / 1"; do
  $S $c > /dev/full 2> "$d/err"; rc=$?
  echo "$c: rc=$rc $(cat "$d/err")"
done
$S msg rm $q; $S sem rm $s; $S shm rm $m
`);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(12);
    for (const line of lines) {
      const [cmd] = line.split(':');
      const name = cmd!.split(' ')[0];
      const prog = name === 'ipcs' ? 'ipcs' : `svipc ${name}`;
      expect(line).toBe(`${cmd}: rc=1 ${prog}: write error: No space left on device`);
    }
  });
});
