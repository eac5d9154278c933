// svshm transfer throughput: svipc svshm-writer/-reader next to the lecture's C programs
// (test/peers/svshm-*.c, built with cc -O2), on the same input, median of N runs.
// A benchmark reports; it is not a test and has no threshold.
//
//   node bench/svshm.mjs                 1 GiB of random data, 5 runs per pairing
//   SVSHM_BENCH_MB=256 SVSHM_BENCH_RUNS=3 node bench/svshm.mjs
//
// Runs in a private IPC namespace (unshare --ipc, needs root): the lecture's keys
// 0x1234/0x5678 are fixed and must not collide with anything else on the host.
// Each run: writer reads the input file (stdin redirected from it), reader writes to
// /dev/null; the time is from the writer's start to both sides' exit, start-up included
// (the empty-input row shows what start-up alone costs).
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

// One run: writer first, the reader once the writer's objects exist (the C reader needs
// them; svipc's would wait), both waited for. Prints milliseconds, or FAIL.
const RUN = String.raw`
w="$1"; r="$2"; in="$3"
t0=$(date +%s%N)
$w < "$in" 2>/dev/null & wp=$!
for _ in $(seq 2000); do
  awk '$1 == 4660' /proc/sysvipc/shm | grep -q . && awk '$1 == 22136' /proc/sysvipc/sem | grep -q . && break
  sleep 0.001
done
$r > /dev/null 2>/dev/null; rc=$?
wait $wp; wc=$?
t1=$(date +%s%N)
[ $rc = 0 ] && [ $wc = 0 ] && echo $(( (t1 - t0) / 1000000 )) || echo FAIL
`;

function once(w, r, file) {
  const res = spawnSync('unshare', ['--ipc', 'bash', '-c', RUN, 'run', w, r, file], { encoding: 'utf8' });
  const ms = Number(res.stdout.trim());
  if (!Number.isFinite(ms)) throw new Error(`run failed: ${w} -> ${r}\n${res.stdout}${res.stderr}`);
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const empty = join(tmpdir(), 'svshm-bench-empty');
closeSync(openSync(empty, 'w'));

console.log(`svshm transfer, ${MB} MiB of random data, median of ${RUNS} (${input}); reader > /dev/null`);
console.log(
  `${'pairing'.padEnd(38)} ${'median'.padStart(8)} ${'MiB/s'.padStart(8)}  runs (ms)   empty input (ms)`,
);
for (const [name, w, r] of pairings) {
  const times = Array.from({ length: RUNS }, () => once(w, r, input));
  const m = median(times);
  const e = once(w, r, empty);
  console.log(
    `${name.padEnd(38)} ${`${m} ms`.padStart(8)} ${(MB / (m / 1000)).toFixed(0).padStart(8)}  ${times.join(' ')}   ${e}`,
  );
}
if (process.env.SVSHM_BENCH_KEEP === undefined) rmSync(input, { force: true });
rmSync(empty, { force: true });
