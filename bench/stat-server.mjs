// Requests per second of `svipc stat-server` next to the lecture's C server (fork per
// request), under the same load: CLIENTS copies of the lecture's C client (test/peers/
// stat-client.c in its -n mode: one reply queue, REQUESTS requests one after the other).
// Also: MiB/s of one `svipc stat-client --content` of a 100 MiB file. `npm run bench` (run.mjs)
// has the headline figures in pairs against an iterative C server; this one keeps the fork-per-
// request server of the lecture and the content transfer.
//
//   node bench/stat-server.mjs [CLIENTS=4] [REQUESTS=5000] [ROUNDS=3]
//
// Runs itself in a private IPC namespace (unshare --ipc) when it may, so it never meets
// anyone's queue; otherwise with a private ftok file. Needs cc. Reports, never fails.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SVIPC = join(ROOT, 'bin/svipc');
const [clients = 4, requests = 5000, rounds = 3] = process.argv
  .slice(2)
  .filter((a) => /^\d+$/.test(a))
  .map(Number);

if (!process.env.STAT_BENCH_INNER) {
  const r = spawnSync('unshare', ['--ipc', 'true'], { stdio: 'ignore' });
  if (r.status === 0) {
    const again = spawnSync('unshare', ['--ipc', process.execPath, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, STAT_BENCH_INNER: 'ns' },
    });
    process.exit(again.status ?? 1);
  }
  console.log('(unshare --ipc not permitted: running with a private ftok file in the host namespace)');
}

if (spawnSync('cc', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('no C compiler: skipped');
  process.exit(0);
}
const tmp = mkdtempSync(join(tmpdir(), 'stat-bench-'));
const bin = join(tmp, 'bin');
mkdirSync(bin);
for (const p of ['stat-server', 'stat-client']) {
  const r = spawnSync('cc', ['-O2', '-o', join(bin, p), join(ROOT, 'test/peers', `${p}.c`)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
}
const key = join(tmp, 'key');
writeFileSync(key, '');
const target = join(tmp, 'file');
writeFileSync(target, Buffer.alloc(12345));
const env = { ...process.env, STAT_FTOK_PATH: key };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const exited = (child) => new Promise((r) => child.on('exit', (code) => r(code)));

async function startServer(kind) {
  const child =
    kind === 'svipc'
      ? spawn(SVIPC, ['stat-server', '--ftok-path', key], { stdio: 'inherit' })
      : spawn(join(bin, 'stat-server'), [key], { stdio: 'inherit' });
  // Ready when a request is answered.
  for (let i = 0; i < 500; i++) {
    if (spawnSync(join(bin, 'stat-client'), ['-q', target], { env }).status === 0) return child;
    await sleep(10);
  }
  child.kill('SIGINT');
  throw new Error(`${kind} server did not start`);
}

async function load() {
  const t0 = performance.now();
  const codes = await Promise.all(
    Array.from({ length: clients }, () =>
      exited(
        spawn(join(bin, 'stat-client'), ['-q', '-n', String(requests), target], { env, stdio: 'inherit' }),
      ),
    ),
  );
  const s = (performance.now() - t0) / 1000;
  if (codes.some((c) => c !== 0)) throw new Error(`a client failed: ${codes}`);
  return (clients * requests) / s;
}

const results = {};
try {
  for (const kind of ['svipc', 'C']) {
    const server = await startServer(kind);
    const runs = [];
    await load(); // warm-up
    for (let i = 0; i < rounds; i++) runs.push(await load());
    server.kill('SIGINT');
    await exited(server);
    runs.sort((a, b) => a - b);
    results[kind] = runs;
    console.log(
      `${kind.padEnd(5)} server: ${runs.map((r) => Math.round(r)).join(' / ')} requests/s ` +
        `(median ${Math.round(runs[Math.floor(runs.length / 2)])}; ${clients} C clients x ${requests} requests)`,
    );
  }
  const ratio = results.svipc[Math.floor(rounds / 2)] / results.C[Math.floor(rounds / 2)];
  console.log(`svipc / C (medians): ${ratio.toFixed(2)}`);

  // Content: one client, 100 MiB to /dev/null.
  const big = join(tmp, 'big');
  spawnSync('bash', ['-c', `head -c ${100 * 1024 * 1024} /dev/urandom > ${big}`]);
  const server = await startServer('svipc');
  const t0 = performance.now();
  const r = spawnSync(SVIPC, ['stat-client', '--ftok-path', key, '--content', big], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const s = (performance.now() - t0) / 1000;
  server.kill('SIGINT');
  await exited(server);
  console.log(
    `content: ${(statSync(big).size / 2 ** 20).toFixed(0)} MiB in ${s.toFixed(2)} s = ${(100 / s).toFixed(0)} MiB/s (exit ${r.status})`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
