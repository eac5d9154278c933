// svshm-writer / svshm-reader end to end: every pairing with the lecture's C programs
// (test/peers/svshm-*.c), the reader starting first, timeouts, signals and dead peers.
// Every scenario runs in a private IPC namespace (the lecture's keys 0x1234/0x5678 are
// fixed: on the shared host they would collide with other tests and users), and ends by
// listing what the namespace still holds.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPeer, inNamespace, namespaceAndPeers } from '../helpers/run.js';

const { ns: NS, cc: CC } = namespaceAndPeers('svshm');

const SIZE = 64 * 1024 * 1024;
let dir = '';
let input = '';
let inputHash = '';
const env: Record<string, string> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'svshm-test-'));
  input = join(dir, 'input');
  const data = randomBytes(SIZE);
  writeFileSync(input, data);
  inputHash = createHash('sha256').update(data).digest('hex');
  env.IN = input;
  env.TMP = dir;
  if (CC) {
    env.CW = buildPeer('svshm-writer');
    env.CR = buildPeer('svshm-reader');
  }
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Helpers for the scripts: milliseconds, the objects left, waiting for the writer's objects
// (/proc/sysvipc keys are decimal: 0x1234 = 4660, 0x5678 = 22136) and for both to attach.
const PRELUDE = `
S="$SVIPC"
now() { date +%s%3N; }
left() { echo "objects=$(cat /proc/sysvipc/msg /proc/sysvipc/sem /proc/sysvipc/shm | grep -vc '^ *key')"; }
ready() {
  for _ in $(seq 500); do
    awk '$1 == 22136' /proc/sysvipc/sem | grep -q . && awk '$1 == 4660' /proc/sysvipc/shm | grep -q . && return 0
    sleep 0.01
  done
  echo "writer's objects never appeared" >&2; return 1
}
attached() {
  for _ in $(seq 500); do
    [ "$(awk '$1 == 4660 { print $7 }' /proc/sysvipc/shm)" = 2 ] && return 0
    sleep 0.01
  done
  echo "reader never attached" >&2; return 1
}
# How a transfer ended: both exit codes ($wc, $rc), the output's hash, both sides' messages.
outcome() {
  echo "wc=$wc rc=$rc hash=$(cut -c1-64 "$TMP/out.sha")"
  cat "$TMP/w.err" "$TMP/r.err"
  left
}
# An endless, slow producer: the transfer is still going when the signal comes.
slow() { while head -c 65536 /dev/urandom; do sleep 0.01; done; }
`;

function field(out: string, name: string): string | undefined {
  return new RegExp(`(?:^|\\s)${name}=(\\S*)`, 'm').exec(out)?.[1];
}
function num(out: string, name: string): number {
  const v = field(out, name);
  if (v === undefined) throw new Error(`no ${name}= in:\n${out}`);
  return Number(v);
}

/**
 * What `outcome` printed for a whole transfer: both sides exited 0, the exact bytes, "sent" and
 * "received" lines of SIZE bytes in `xfrs` turns (a number, or any), no object left.
 */
function expectWhole(out: string, xfrs: number | 'any'): void {
  expect(out).toContain('wc=0 rc=0');
  expect(field(out, 'hash')).toBe(inputHash);
  const turns = xfrs === 'any' ? '\\d+' : String(xfrs);
  expect(out).toMatch(new RegExp(`^sent ${SIZE} bytes \\(${turns} xfrs\\)$`, 'm'));
  expect(out).toMatch(new RegExp(`^received ${SIZE} bytes \\(${turns} xfrs\\)$`, 'm'));
  expect(num(out, 'objects')).toBe(0);
}

async function script(body: string, timeoutMs = 60_000) {
  const r = await inNamespace(PRELUDE + body, { env, timeoutMs });
  return r;
}

type Side = 'svipc' | 'c';
const writerCmd = (s: Side, from: 'file' | 'pipe') =>
  s === 'svipc'
    ? from === 'pipe'
      ? 'cat "$IN" | "$S" svshm-writer'
      : '"$S" svshm-writer < "$IN"'
    : from === 'pipe'
      ? 'cat "$IN" | "$CW"'
      : '"$CW" < "$IN"';
const readerCmd = (s: Side) => (s === 'svipc' ? '"$S" svshm-reader' : '"$CR"');

describe.skipIf(!NS || !CC)('svshm: every pairing with the lecture C programs (64 MiB, sha256)', () => {
  const pairings: [Side, Side, 'file' | 'pipe'][] = [
    ['svipc', 'svipc', 'pipe'],
    ['svipc', 'c', 'pipe'],
    ['c', 'svipc', 'file'],
    ['c', 'c', 'file'],
  ];
  for (const [w, r, from] of pairings) {
    it(`${w} writer (stdin from a ${from}) -> ${r} reader (stdout to a pipe)`, async () => {
      // The C reader needs the writer first (as in the lecture); svipc's reader starts first.
      const startReaderFirst = r === 'svipc';
      const res = await script(`
        ${
          startReaderFirst
            ? `${readerCmd(r)} 2>"$TMP/r.err" | sha256sum > "$TMP/out.sha" & rp=$!
               sleep 0.3
               ${writerCmd(w, from)} 2>"$TMP/w.err" & wp=$!`
            : `${writerCmd(w, from)} 2>"$TMP/w.err" & wp=$!
               ready
               ${readerCmd(r)} 2>"$TMP/r.err" | sha256sum > "$TMP/out.sha" & rp=$!`
        }
        wait $wp; wc=$?
        wait $rp; rc=$?
        echo "wc=$wc rc=$rc hash=$(cut -c1-64 "$TMP/out.sha")"
        echo "werr=$(tr ' ' _ < "$TMP/w.err")"
        echo "rerr=$(tr ' ' _ < "$TMP/r.err")"
        left
      `);
      expect(res.stderr).toBe('');
      expect(field(res.stdout, 'wc'), res.stdout).toBe('0');
      expect(field(res.stdout, 'rc'), res.stdout).toBe('0');
      expect(field(res.stdout, 'hash')).toBe(inputHash);
      const sent = /^sent_(\d+)_bytes_\((\d+)_xfrs\)$/.exec(field(res.stdout, 'werr') ?? '');
      const received = /^received_(\d+)_bytes_\((\d+)_xfrs\)$/.exec(field(res.stdout, 'rerr') ?? '');
      expect(sent, res.stdout).not.toBeNull();
      expect(received, res.stdout).not.toBeNull();
      expect(Number(sent![1])).toBe(SIZE);
      expect(Number(received![1])).toBe(SIZE);
      expect(sent![2]).toBe(received![2]);
      if (from === 'file') expect(Number(sent![2])).toBe(Math.ceil(SIZE / 10240));
      expect(num(res.stdout, 'objects')).toBe(0);
    });
  }

  it('svipc writer with --buffer-size 1 MiB -> C reader (the C reader takes any segment size)', async () => {
    const res = await script(`
      "$S" svshm-writer --buffer-size 1048576 < "$IN" 2>"$TMP/w.err" & wp=$!
      ready
      "$CR" 2>"$TMP/r.err" | sha256sum > "$TMP/out.sha"; rc=$?
      wait $wp; wc=$?
      outcome
    `);
    expectWhole(res.stdout, 64);
  });
});

describe.skipIf(!NS)('svshm: waiting, empty input, --trace', () => {
  it('the reader waits for a late writer; empty input transfers nothing and cleans up', async () => {
    const res = await script(`
      "$S" svshm-reader > "$TMP/out" 2>"$TMP/r.err" & rp=$!
      sleep 1
      "$S" svshm-writer < /dev/null 2>"$TMP/w.err"; wc=$?
      wait $rp; rc=$?
      echo "wc=$wc rc=$rc size=$(stat -c %s "$TMP/out")"
      cat "$TMP/w.err" "$TMP/r.err"
      left
    `);
    expect(res.stdout).toContain('wc=0 rc=0 size=0');
    expect(res.stdout).toContain('sent 0 bytes (0 xfrs)');
    expect(res.stdout).toContain('received 0 bytes (0 xfrs)');
    expect(num(res.stdout, 'objects')).toBe(0);
  });

  it('after a burst of turns, both sides waiting on a silent input use (nearly) no CPU; then the rest arrives', async () => {
    // The burst teaches each side to spin for its turns; the pause must end that spinning.
    const res = await script(`
      { head -c 8388608 "$IN"; sleep 3; printf end; } | "$S" svshm-writer 2>"$TMP/w.err" & wp=$!
      ready
      "$S" svshm-reader > "$TMP/out" 2>"$TMP/r.err" & rp=$!
      for _ in $(seq 200); do [ "$(stat -c %s "$TMP/out")" = 8388608 ] && break; sleep 0.01; done
      W=$wp; R=$rp # $! of a pipeline: its last command, the writer
      cpu() { awk '{ s += $14 + $15 } END { print s }' /proc/$W/stat /proc/$R/stat; }
      c0=$(cpu); t0=$(now); sleep 2; c1=$(cpu); t1=$(now)
      echo "idle_cpu_ms=$(( (c1 - c0) * 1000 / $(getconf CLK_TCK) )) idle_wall_ms=$(( t1 - t0 ))"
      wait $wp; wc=$?; wait $rp; rc=$?
      echo "wc=$wc rc=$rc size=$(stat -c %s "$TMP/out") tail=$(tail -c 3 "$TMP/out")"
      cat "$TMP/w.err" "$TMP/r.err"
      left
    `);
    expect(res.stdout).toContain('wc=0 rc=0 size=8388611 tail=end');
    // Two sides that kept spinning would use up to two cores: ~2 * idle_wall_ms. A tenth of one is generous.
    expect(num(res.stdout, 'idle_cpu_ms'), res.stdout + res.stderr).toBeLessThan(
      num(res.stdout, 'idle_wall_ms') / 10,
    );
    expect(num(res.stdout, 'objects')).toBe(0);
  });

  it('--timeout: the reader gives up (124) when no writer comes, the writer when no reader comes', async () => {
    const res = await script(`
      t0=$(now); "$S" svshm-reader --timeout 0.5 2>"$TMP/r.err"; rc=$?; t1=$(now)
      echo "rc=$rc ms=$((t1 - t0))"; cat "$TMP/r.err"
      printf data | "$S" svshm-writer --timeout 0.5 2>"$TMP/w.err"; echo "wc=$?"; cat "$TMP/w.err"
      left
    `);
    expect(field(res.stdout, 'rc')).toBe('124');
    expect(num(res.stdout, 'ms')).toBeGreaterThanOrEqual(500);
    expect(num(res.stdout, 'ms')).toBeLessThan(3000);
    expect(res.stdout).toContain('svipc svshm-reader: no writer within 0.5 s');
    expect(field(res.stdout, 'wc')).toBe('124');
    expect(res.stdout).toContain('svipc svshm-writer: no reader within 0.5 s');
    expect(num(res.stdout, 'objects')).toBe(0);
  });

  it('a second writer refuses the keys in use (exit 1); a reader whose stdout closes exits 141', async () => {
    const res = await script(`
      slow | "$S" svshm-writer 2>"$TMP/w.err" & wp=$!
      ready
      "$S" svshm-writer < /dev/null 2>"$TMP/w2.err"; w2=$?
      echo "w2=$w2"; cat "$TMP/w2.err"
      "$S" svshm-reader --timeout 5 2>/dev/null | head -c 100000 | wc -c; echo "rc=\${PIPESTATUS[0]}"
      wait $wp; echo "wc=$?"; cat "$TMP/w.err"
      left
    `);
    expect(field(res.stdout, 'w2')).toBe('1');
    expect(res.stdout).toContain('a segment with key 0x1234 already exists');
    // The first transfer went on, untouched...
    expect(res.stdout).toMatch(/^100000$/m);
    // ...until its reader's stdout closed: EPIPE, 141; the writer saw it go and cleaned up.
    expect(field(res.stdout, 'rc')).toBe('141');
    expect(field(res.stdout, 'wc')).toBe('1');
    expect(res.stdout).toContain('svipc svshm-writer: the reader is gone');
    expect(num(res.stdout, 'objects')).toBe(0);
  });

  it('--trace shows every IPC call of the lecture protocol', async () => {
    const res = await script(`
      "$S" svshm-reader --trace > "$TMP/out" 2>"$TMP/r.err" & rp=$!
      printf hello | "$S" svshm-writer --trace 2>"$TMP/w.err"; wc=$?
      wait $rp; rc=$?
      echo "wc=$wc rc=$rc out=$(cat "$TMP/out")"
      echo ---w; cat "$TMP/w.err"; echo ---r; cat "$TMP/r.err"
      left
    `);
    expect(res.stdout).toContain('wc=0 rc=0 out=hello');
    const [, w = '', r = ''] = res.stdout.split(/^---[wr]$/m);
    const W = '\\[\\d+ svshm-writer\\] ';
    const R = '\\[\\d+ svshm-reader\\] ';
    const line = (p: string, re: string) => new RegExp(`^${p}${re}$`, 'm');
    expect(w).toMatch(
      line(W, 'shmget\\(key=0x00001234, size=10244, flags=IPC_CREAT\\|IPC_EXCL\\|0660\\) -> \\d+'),
    );
    expect(w).toMatch(
      line(W, 'semget\\(key=0x00005678, nsems=2, flags=IPC_CREAT\\|IPC_EXCL\\|0660\\) -> \\d+'),
    );
    expect(w).toMatch(line(W, 'semctl\\(semid=\\d+, semnum=0, cmd=SETALL, \\{1, 0\\}\\) -> 0'));
    expect(w).toMatch(line(W, 'read\\(fd=0, shmp->buf, 10240\\) -> 5 "hello"'));
    expect(w).toMatch(line(W, 'semop\\(semid=\\d+, \\{1,1,0\\}\\) -> 0'));
    expect(w).toMatch(line(W, 'semctl\\(semid=\\d+, semnum=0, cmd=IPC_RMID\\) -> 0'));
    expect(w).toMatch(/^sent 5 bytes \(1 xfrs\)$/m);
    expect(r).toMatch(line(R, 'shmat\\(shmid=\\d+, NULL, SHM_RDONLY\\) -> 0x[0-9a-f]+'));
    expect(r).toMatch(line(R, 'semop\\(semid=\\d+, \\{1,-1,0\\}\\) -> 0'));
    expect(r).toMatch(line(R, 'write\\(fd=1, shmp->buf, 5\\) -> 5 "hello"'));
    expect(r).toMatch(/^received 5 bytes \(1 xfrs\)$/m);
    // The waiting strategy (IPC_NOWAIT tries, semtimedop slices, IPC_STAT polls) stays out.
    expect(w + r).not.toMatch(/IPC_NOWAIT|semtimedop|IPC_STAT/);
    expect(num(res.stdout, 'objects')).toBe(0);
  });
});

// Signals and dead peers, mid-transfer. Each prints the exit codes and how long after the
// signal each side exited; nothing may be left in the namespace (bar a SIGKILLed writer's
// objects, which the next writer reclaims).
describe.skipIf(!NS)('svshm: signals and dead peers mid-transfer', () => {
  async function midTransfer(target: 'writer' | 'reader', sig: string, after = '') {
    return script(`
      slow | "$S" svshm-writer 2>"$TMP/w.err" & wp=$!
      ready
      "$S" svshm-reader 2>"$TMP/r.err" > /dev/null & rp=$!
      attached; sleep 0.3
      kill -${sig} $${target === 'writer' ? 'wp' : 'rp'}; t0=$(now)
      wait $wp; wc=$?; tw=$(now)
      wait $rp; rc=$?; tr=$(now)
      echo "wc=$wc rc=$rc wms=$((tw - t0)) rms=$((tr - t0))"
      echo "werr=$(tr ' ' _ < "$TMP/w.err")"
      echo "rerr=$(tr ' ' _ < "$TMP/r.err")"
      left
      ${after}
    `);
  }
  const cases: [string, 'writer' | 'reader', number][] = [
    ['INT', 'writer', 130],
    ['TERM', 'writer', 143],
    ['HUP', 'writer', 129],
    ['INT', 'reader', 130],
    ['TERM', 'reader', 143],
  ];
  for (const [sig, target, code] of cases) {
    it(`SIG${sig} to the ${target}: it exits ${code}, the other side 1, within 2 s, nothing left`, async () => {
      const res = await midTransfer(target, sig);
      const other = target === 'writer' ? 'rc' : 'wc';
      const self = target === 'writer' ? 'wc' : 'rc';
      expect(field(res.stdout, self), res.stdout).toBe(String(code));
      expect(field(res.stdout, other), res.stdout).toBe('1');
      expect(num(res.stdout, 'wms')).toBeLessThan(2000);
      expect(num(res.stdout, 'rms')).toBeLessThan(2000);
      if (target === 'writer')
        expect(field(res.stdout, 'rerr')).toMatch(/the_writer_removed_the_semaphore_set/);
      else expect(field(res.stdout, 'werr')).toMatch(/the_reader_is_gone/);
      expect(num(res.stdout, 'objects')).toBe(0);
    });
  }

  it('SIGKILL to the reader: the writer notices within 2 s, removes its objects, exits 1', async () => {
    const res = await midTransfer('reader', 'KILL');
    expect(field(res.stdout, 'rc')).toBe('137');
    expect(field(res.stdout, 'wc')).toBe('1');
    expect(num(res.stdout, 'wms')).toBeLessThan(2000);
    expect(field(res.stdout, 'werr')).toMatch(/^svipc_svshm-writer:_the_reader_is_gone/);
    expect(num(res.stdout, 'objects')).toBe(0);
  });

  it('SIGKILL to the writer: the reader notices within 2 s and exits 1; the next writer reclaims the leftovers', async () => {
    const res = await midTransfer(
      'writer',
      'KILL',
      `
      printf again | "$S" svshm-writer 2>"$TMP/w2.err" & wp=$!
      "$S" svshm-reader --timeout 5 2>/dev/null; echo; wait $wp; echo "w2=$?"
      cat "$TMP/w2.err"
      left`,
    );
    expect(field(res.stdout, 'wc')).toBe('137');
    expect(field(res.stdout, 'rc')).toBe('1');
    expect(num(res.stdout, 'rms')).toBeLessThan(2000);
    expect(field(res.stdout, 'rerr')).toMatch(/^svipc_svshm-reader:_the_writer_\(pid_\d+\)_is_gone/);
    // A killed writer cannot clean up: its set and segment stay...
    expect(res.stdout).toMatch(/^objects=2$/m);
    // ...until the next writer sees them stale (creator dead, nothing attached) and reclaims them.
    expect(res.stdout).toMatch(/^again$/m);
    expect(field(res.stdout, 'w2')).toBe('0');
    expect(res.stdout).toMatch(/removed segment 0x1234 and semaphore set 0x5678, left by a writer that died/);
    expect(res.stdout).toMatch(/objects=0\s*$/);
  });
});

describe.skipIf(!NS)('svshm --fast: the ring of page-aligned slots, and mismatched peers', () => {
  it('svipc --fast writer (stdin from a pipe) -> --fast reader: the exact bytes, 1 MiB turns, nothing left', async () => {
    const res = await script(`
      "$S" svshm-reader --fast 2>"$TMP/r.err" | sha256sum > "$TMP/out.sha" & rp=$!
      sleep 0.3
      cat "$IN" | "$S" svshm-writer --fast 2>"$TMP/w.err"; wc=$?
      wait $rp; rc=$?
      outcome
    `);
    expect(res.stderr).toBe('');
    expectWhole(res.stdout, 'any');
  });

  it('from a file, --buffer-size rounds up to whole pages: one turn per slot', async () => {
    const res = await script(`
      "$S" svshm-reader --fast 2>"$TMP/r.err" | sha256sum > "$TMP/out.sha" & rp=$!
      "$S" svshm-writer --fast --buffer-size 100000 < "$IN" 2>"$TMP/w.err"; wc=$?
      wait $rp; rc=$?
      outcome
    `);
    // 100,000 bytes round up to 25 pages of 4096 = 102,400 bytes a turn.
    expectWhole(res.stdout, Math.ceil(SIZE / 102400));
  });

  const MISMATCHES = [
    [
      'a lecture-mode reader and a --fast writer',
      '--fast',
      '',
      /3_semaphores:_the_writer_runs_in_--fast_mode/,
    ],
    [
      'a --fast reader and a lecture-mode writer',
      '',
      '--fast',
      /2_semaphores:_the_writer_runs_in_lecture_mode/,
    ],
  ] as const;
  for (const [title, writerMode, readerMode, message] of MISMATCHES) {
    it(`${title}: the reader fails with one line, nothing left`, async () => {
      const res = await script(`
        "$S" svshm-writer ${writerMode} --timeout 2 < "$IN" 2>"$TMP/w.err" & wp=$!
        ready
        "$S" svshm-reader ${readerMode} > "$TMP/out" 2>"$TMP/r.err"; rc=$?
        wait $wp; wc=$?
        echo "wc=$wc rc=$rc out=$(wc -c < "$TMP/out") rlines=$(wc -l < "$TMP/r.err")"
        echo "rerr=$(tr ' ' _ < "$TMP/r.err")"
        left
      `);
      expect(field(res.stdout, 'rc'), res.stdout).toBe('1');
      expect(field(res.stdout, 'wc'), res.stdout).toBe('124'); // no reader came
      expect(num(res.stdout, 'out')).toBe(0);
      expect(num(res.stdout, 'rlines')).toBe(1);
      expect(field(res.stdout, 'rerr')).toMatch(message);
      expect(num(res.stdout, 'objects')).toBe(0);
    });
  }

  it.skipIf(!CC)(
    'the lecture C reader and a --fast writer: the C reader writes nothing (cnt 0), the writer fails',
    async () => {
      const res = await script(`
      "$S" svshm-writer --fast < "$IN" 2>"$TMP/w.err" & wp=$!
      ready
      "$CR" > "$TMP/out" 2>"$TMP/r.err"; rc=$?
      wait $wp; wc=$?
      echo "wc=$wc rc=$rc out=$(wc -c < "$TMP/out")"
      echo "werr=$(tr ' ' _ < "$TMP/w.err")"
      left
    `);
      expect(num(res.stdout, 'out'), res.stdout).toBe(0);
      expect(field(res.stdout, 'wc'), res.stdout).toBe('1');
      expect(field(res.stdout, 'werr')).toMatch(/the_reader_is_gone/);
      expect(num(res.stdout, 'objects')).toBe(0);
    },
  );

  it('SIGKILL to the --fast reader mid-transfer: the writer notices within 2 s, removes its objects, exits 1', async () => {
    const res = await script(`
      slow | "$S" svshm-writer --fast 2>"$TMP/w.err" & wp=$!
      ready
      "$S" svshm-reader --fast 2>"$TMP/r.err" > /dev/null & rp=$!
      attached; sleep 0.3
      kill -KILL $rp; t0=$(now)
      wait $wp; wc=$?; tw=$(now)
      echo "wc=$wc wms=$((tw - t0))"
      echo "werr=$(tr ' ' _ < "$TMP/w.err")"
      left
    `);
    expect(field(res.stdout, 'wc'), res.stdout).toBe('1');
    expect(num(res.stdout, 'wms')).toBeLessThan(2000);
    expect(field(res.stdout, 'werr')).toMatch(/^svipc_svshm-writer:_the_reader_is_gone/);
    expect(num(res.stdout, 'objects')).toBe(0);
  });
});
