// Once per `vitest run`: check the build exists; make the world-readable copy of the built
// program that tests run as another user (the checkout may sit in a 0700 directory, a root
// home or `mktemp -d`, where nobody cannot read it), removed at the end; and warn about IPC
// objects that appeared in the host namespace during the run (tests must leave none; the
// per-test checks in private namespaces are the strict ones, this one only reads, since
// other processes use IPC too).
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ipcObjects, makePublicCopy, ROOT } from './helpers/run.js';

export default function setup(project: TestProject) {
  if (!existsSync(join(ROOT, 'dist/src/cli/main.js')) || !existsSync(join(ROOT, 'dist/cli/svipc.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it) before vitest');
  }
  const publicCopy = makePublicCopy();
  project.provide('svipcPublic', publicCopy);
  const before = new Set(ipcObjects());
  return () => {
    rmSync(publicCopy, { recursive: true, force: true });
    const appeared = ipcObjects().filter((o) => !before.has(o));
    if (appeared.length > 0) {
      process.stderr.write(
        `\nWARNING: ${appeared.length} IPC object(s) appeared in the host namespace during the tests: ${appeared.join(' ')}\n`,
      );
    }
  };
}
