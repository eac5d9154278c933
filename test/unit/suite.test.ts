// The test suite's own rules: a test imports a command file only to run the command (its `run`
// or `spec`, or the table of them), never for a helper, which belongs in src/ or test/helpers;
// and the fast lane (`npm run test:unit`) leaves out every unit test that needs a build, a C
// compiler or a namespace.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NOT_IN_FAST_LANE } from '../../vitest.unit.config.js';
import { ROOT } from '../helpers/run.js';

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? e.name === 'bin'
        ? []
        : tsFiles(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

/** What a source imports from commands/: one entry per import, with the names it takes. */
function commandImports(source: string): { module: string; names: string[] }[] {
  const out: { module: string; names: string[] }[] = [];
  const names = (list: string) =>
    list
      .split(',')
      .map((n) => n.trim().replace(/^type\s+/, ''))
      .filter(Boolean)
      .map((n) => n.split(/\s+as\s+|\s*:\s*/)[0]!.trim());
  // import { a, b as c } from '../../commands/x.js'; const { run } = await import(dist + '/commands/x.js')
  const named =
    /(?:import\s*(?:type\s*)?\{([^}]*)\}\s*from|const\s*\{([^}]*)\}\s*=\s*await\s+import\()\s*[^;]*?['"`][^'"`]*commands\/([\w-]+)\.(?:js|ts)['"`]/g;
  for (const m of source.matchAll(named)) out.push({ module: m[3]!, names: names(m[1] ?? m[2]!) });
  // Anything else from commands/ (import * as, a default import, a bare import): no names known.
  const any =
    /(?:import\s+\*\s+as\s+\w+\s+from|import\s+\w+\s+from|import)\s*\(?\s*['"`][^'"`]*commands\/([\w-]+)\.(?:js|ts)['"`]/g;
  for (const m of source.matchAll(any)) out.push({ module: m[1]!, names: ['*'] });
  return out;
}

const ALLOWED: Record<string, readonly string[]> = { index: ['LOADERS'] };
const RUNNABLE = ['run', 'spec'];

describe('the test suite', () => {
  it('no test imports a command file for a helper (only run/spec, or LOADERS from the table)', () => {
    const bad: string[] = [];
    // This file's own examples of what is refused are not imports.
    for (const file of tsFiles('test').filter((f) => f !== 'test/unit/suite.test.ts')) {
      for (const imp of commandImports(readFileSync(join(ROOT, file), 'utf8'))) {
        const allowed = ALLOWED[imp.module] ?? RUNNABLE;
        for (const n of imp.names)
          if (!allowed.includes(n)) bad.push(`${file}: ${n} from commands/${imp.module}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the import check sees the forms a helper import takes', () => {
    const seen = (src: string) => commandImports(src).flatMap((i) => i.names.map((n) => `${i.module}:${n}`));
    expect(seen("import { run as r, parseThing } from '../../commands/msg.js';")).toEqual([
      'msg:run',
      'msg:parseThing',
    ]);
    expect(seen("const { run, helper } = await import(dist + '/commands/lsipc.js');")).toEqual([
      'lsipc:run',
      'lsipc:helper',
    ]);
    expect(seen("import * as m from '../../commands/who.js';")).toEqual(['who:*']);
    expect(seen("import { LOADERS } from '../../commands/index.js';")).toEqual(['index:LOADERS']);
    expect(seen("import { ROOT } from '../helpers/run.js';")).toEqual([]);
  });

  it('the fast lane leaves out every unit test that needs a build, a compiler or a namespace', () => {
    const needs: [RegExp, string][] = [
      [/\bsvipc\((?!\d\))|\bSVIPC\b(?!-)|dist\/|inject\(/, 'the build'],
      [/buildPeer|spawnSync\(\s*'(cc|gcc)'/, 'a compiler'],
      [/inNamespace|inPidNamespace|canUnshare|\bunshare\b/, 'a namespace'],
    ];
    const missing: string[] = [];
    for (const file of tsFiles('test/unit').filter((f) => f.endsWith('.test.ts'))) {
      const rel = relative(ROOT, join(ROOT, file));
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const [re, what] of needs)
        if (re.test(text) && !(rel in NOT_IN_FAST_LANE) && rel !== 'test/unit/suite.test.ts')
          missing.push(`${rel} needs ${what}`);
    }
    expect(missing).toEqual([]);
  });
});
