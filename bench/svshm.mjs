// svshm transfer throughput: svipc svshm-writer/-reader next to the lecture's C programs
// (test/peers/svshm-*.c, built with cc -O2), on the same input, median of N runs.
// A benchmark reports; it is not a test and has no threshold. `npm run bench` (run.mjs) has
// the lecture-settings figure in pairs; this script adds the cross pairings and 1 MiB buffers.
//
//   node bench/svshm.mjs                 1 GiB of random data, 5 runs per pairing
//   SVSHM_BENCH_MB=256 SVSHM_BENCH_RUNS=3 node bench/svshm.mjs
//
// Runs in a private IPC namespace (unshare --ipc, needs root): the lecture's keys
// 0x1234/0x5678 are fixed and must not collide with anything else on the host.
// Each run: the writer reads the input file (stdin redirected from it), the reader writes to
// /dev/null; the time is wall time, start-up included; "net" takes off the time of the
// same pairing on empty input (start-up and tear-down alone).
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MB = Number(process.env.SVSHM_BENCH_MB ?? 1024);
const RUNS = Number(process.env.SVSHM_BENCH_RUNS ?? 5);
const SIZE = MB * 1024 * 1024;

function fail(msg) {
  console.log(`svshm bench skipped: ${msg}`);
  process.exit(0);
}

if (spawnSync('unshare', ['--ipc', 'true']).status !== 0) fail('unshare --ipc is not permitted (needs root)');
if (spawnSync('cc', ['--version']).status !== 0) fail('no C compiler (cc) for the C peers');
if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) fail('not built: run npm run build');

const bin = join(ROOT, 'test/peers/bin');
mkdirSync(bin, { recursive: true });
for (const name of ['svshm-writer', 'svshm-reader']) {
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', join(bin, name), join(ROOT, 'test/peers', `${name}.c`)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) fail(`cc ${name}.c failed: ${r.stderr}`);
}

const input = join(tmpdir(), `svshm-bench-${MB}M`);
if (!existsSync(input) || statSync(input).size !== SIZE) {
  const fd = openSync(input, 'w');
  const chunk = Buffer.alloc(8 * 1024 * 1024);
  for (let left = SIZE; left > 0; left -= chunk.length) {
    randomFillSync(chunk);
    writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  }
  closeSync(fd);
}

const SVIPC = join(ROOT, 'bin/svipc');
const CW = join(bin, 'svshm-writer');
const CR = join(bin, 'svshm-reader');
const pairings = [
  ['C -> C', CW, CR],
  ['svipc -> svipc', `${SVIPC} svshm-writer`, `${SVIPC} svshm-reader`],
  ['svipc -> C', `${SVIPC} svshm-writer`, CR],
  ['C -> svipc', CW, `${SVIPC} svshm-reader`],
  [
    'svipc -> svipc, --buffer-size 1 MiB',
    `${SVIPC} svshm-writer --buffer-size 1048576`,
    `${SVIPC} svshm-reader`,
  ],
  ['svipc -> C, --buffer-size 1 MiB', `${SVIPC} svshm-writer --buffer-size 1048576`, CR],
];

// One run, timed from the first start to both exits. svipc's reader starts first (it
// waits for the writer, so both start up side by side); the C reader needs the writer's
// objects, so it starts once they exist. Prints milliseconds, or FAIL.
const RUN = `
w="$1"; r="$2"; in="$3"; first="$4"
t0=$(date +%s%N)
if [ "$first" = reader ]; then
  $r > /dev/null 2>/dev/null & rp=$!
  $w < "$in" 2>/dev/null; wc=$?
  wait $rp; rc=$?
else
  $w < "$in" 2>/dev/null & wp=$!
  for _ in $(seq 2000); do
    awk '$1 == 4660' /proc/sysvipc/shm | grep -q . && awk '$1 == 22136' /proc/sysvipc/sem | grep -q . && break
    sleep 0.001
  done
  $r > /dev/null 2>/dev/null; rc=$?
  wait $wp; wc=$?
fi
t1=$(date +%s%N)
[ $rc = 0 ] && [ $wc = 0 ] && echo $(( (t1 - t0) / 1000000 )) || echo FAIL
`;

function once(w, r, file) {
  const first = r.includes('svipc') ? 'reader' : 'writer';
  const res = spawnSync('unshare', ['--ipc', 'bash', '-c', RUN, 'run', w, r, file, first], {
    encoding: 'utf8',
  });
  const ms = Number(res.stdout.trim());
  if (!Number.isFinite(ms)) throw new Error(`run failed: ${w} -> ${r}\n${res.stdout}${res.stderr}`);
  return ms;
}

const load0 = loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const empty = join(tmpdir(), 'svshm-bench-empty');
closeSync(openSync(empty, 'w'));

console.log(`svshm transfer, ${MB} MiB of random data, median of ${RUNS} (${input}); reader > /dev/null`);
console.log('MiB/s: size / median wall time; net: size / (median - the empty-input time, i.e. start-up)');
console.log(
  `${'pairing'.padEnd(38)} ${'median'.padStart(9)} ${'MiB/s'.padStart(6)} ${'net'.padStart(6)}  empty  runs (ms)`,
);
// Round-robin over the pairings, so that a busy moment on the host hits them all alike.
const times = pairings.map(() => []);
for (let i = 0; i < RUNS; i++) {
  pairings.forEach(([, w, r], k) => {
    times[k].push(once(w, r, input));
  });
}
pairings.forEach(([name, w, r], k) => {
  const m = median(times[k]);
  const e = median(Array.from({ length: 3 }, () => once(w, r, empty)));
  const rate = (ms) => (ms > 0 ? (MB / (ms / 1000)).toFixed(0) : '-');
  console.log(
    `${name.padEnd(38)} ${`${m} ms`.padStart(9)} ${rate(m).padStart(6)} ${rate(m - e).padStart(6)}  ${String(e).padStart(5)}  ${times[k].join(' ')}`,
  );
});
console.log(
  `load average before/after: ${load0} / ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (${cpus().length} CPUs)`,
);
if (process.env.SVSHM_BENCH_KEEP === undefined) rmSync(input, { force: true });
rmSync(empty, { force: true });
