// npm run bench: every benchmark in bench/, one after the other. They measure and report;
// none is a test and none has a threshold.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
for (const f of readdirSync(dir).sort()) {
  if (f === 'run.mjs' || !/\.(mjs|sh)$/.test(f) || (only && !f.includes(only))) continue;
  console.log(`\n== ${f}`);
  const r = f.endsWith('.sh')
    ? spawnSync('bash', [join(dir, f)], { stdio: 'inherit' })
    : spawnSync(process.execPath, [join(dir, f)], { stdio: 'inherit' });
  if (r.status !== 0) console.log(`(${f} exited ${r.status})`);
}
