// Where svipc is installed and which version it is: package.json, the one place the version
// is written. Found by walking up from this module, so the same code works from tsc's output
// (dist/src/...) and from the bundle the launcher loads (dist/cli/...).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'svipc')
      return dir;
    if (dirname(dir) === dir) throw new Error(`svipc's package.json not found above ${from}`);
  }
}

/** The folder that holds svipc's package.json, bin/ and dist/. */
export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

let version: string | undefined;

/** svipc's version, from package.json; read when first asked (most runs never print it). */
export function svipcVersion(): string {
  version ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
  return version;
}
