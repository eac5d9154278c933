// Once per `vitest run`: check the build exists, and warn about IPC objects that appeared in
// the host namespace during the run (tests must leave none; the per-test checks in private
// namespaces are the strict ones, this one only reads, since other processes use IPC too).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ipcObjects, ROOT } from './helpers/run.js';

export default function setup() {
  if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it) before vitest');
  }
  const before = new Set(ipcObjects());
  return () => {
    const appeared = ipcObjects().filter((o) => !before.has(o));
    if (appeared.length > 0) {
      process.stderr.write(
        `\nWARNING: ${appeared.length} IPC object(s) appeared in the host namespace during the tests: ${appeared.join(' ')}\n`,
      );
    }
  };
}
