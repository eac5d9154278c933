// Start-up time: `svipc ipcs` (and a few other commands) next to `node -e 0` and
// util-linux's ipcs, median of N runs each. Run with `npm run bench` or directly:
//   node bench/startup.mjs [runs]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const svipc = join(root, 'bin/svipc');
const runs = Number(process.argv[2] ?? 10);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function time(cmd, args) {
  const ms = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: 'ignore' });
    const t = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
    if (i > 0) ms.push(t); // the first run warms the page cache
  }
  return median(ms);
}

const cases = [
  ['node -e 0', process.execPath, ['-e', '0']],
  ['/usr/bin/ipcs', '/usr/bin/ipcs', []],
  ['svipc ipcs', svipc, ['ipcs']],
  ['svipc ipcs --json', svipc, ['ipcs', '--json']],
  ['svipc ftok / 1', svipc, ['ftok', '/', '1']],
  ['svipc --help', svipc, ['--help']],
];
console.log(`start-up, median of ${runs} runs (ms)`);
for (const [name, cmd, args] of cases) {
  try {
    console.log(`  ${name.padEnd(22)} ${time(cmd, args).toFixed(1)}`);
  } catch (e) {
    console.log(`  ${name.padEnd(22)} n/a (${e.message})`);
  }
}
