// Every command has its man page, svipc(1) names them all with the exit codes, npm
// installs them, `man -l` reads them from a clone, references name them as they are, and
// each page renders without a groff warning (where groff is installed).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/registry.js';
import { ROOT } from '../helpers/run.js';

const MAN = join(ROOT, 'man');
const page = (file: string) => readFileSync(join(MAN, file), 'utf8');
const hasGroff = spawnSync('groff', ['--version'], { stdio: 'ignore' }).status === 0;
const hasMan = spawnSync('man', ['--version'], { stdio: 'ignore' }).status === 0;

describe('man pages', () => {
  it.each(COMMANDS.map((c) => [c.name]))('svipc-%s.1 exists and is named for its command', (name) => {
    expect(existsSync(join(MAN, `svipc-${name}.1`)), name).toBe(true);
    expect(page(`svipc-${name}.1`)).toMatch(new RegExp(`^\\.TH SVIPC-${name.toUpperCase()} 1 `));
  });

  it('svipc(1) lists every command, refers to its page, and gives every exit code', () => {
    const text = page('svipc.1');
    for (const c of COMMANDS) {
      expect(text, c.name).toContain(`.B ${c.name}\n`);
      expect(text, c.name).toContain(`svipc-${c.name} (1)`);
    }
    const exitStatus = text.slice(text.indexOf('.SH EXIT STATUS'), text.indexOf('.SH ENVIRONMENT'));
    for (const code of ['0', '1', '2', '69', '75', '124', '129', '130', '143', '141'])
      expect(exitStatus, code).toMatch(new RegExp(`^\\.BR? (.* )?${code}\\b`, 'm'));
  });

  it('package.json installs every page: npm install -g links its "man" list into share/man/man1', () => {
    // npm 11 does not act on directories.man at install: the pages must be listed.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      man?: string[];
      files?: string[];
    };
    const pages = readdirSync(MAN)
      .filter((x) => /\.\d$/.test(x))
      .sort();
    expect(pkg.man?.map((m) => m.replace(/^\.\//, '')).sort()).toEqual(pages.map((f) => `man/${f}`));
    expect(pkg.files).toContain('man');
  });

  it.skipIf(!hasMan)('from a clone, man -l reads a page (what the README and svipc --help say)', () => {
    for (const f of ['svipc.1', 'svipc-ipcs.1']) {
      const r = spawnSync('man', ['-l', join(MAN, f)], {
        encoding: 'utf8',
        env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80', LC_ALL: 'C' },
      });
      expect(r.status, f).toBe(0);
      expect(r.stdout, f).toMatch(/^EXAMPLES$/m);
      expect(r.stdout, f).toMatch(/^SEE ALSO$/m);
    }
  });

  // Pages are svipc-NAME.1: a reference says svipc-NAME(1) (never stat-server(1)), `man X`
  // names a page that exists, and every svipc-NAME(1) has its page. Bare NAME(1) stays allowed
  // for names that are also other programs' pages (util-linux's ipcs..., diff, top, who).
  it('references to the pages use their names, in man/, the docs and the sources', () => {
    const others = new Set(['ipcs', 'ipcmk', 'ipcrm', 'lsipc', 'diff', 'top', 'who']);
    const ours = COMMANDS.map((c) => c.name).filter((n) => !others.has(n));
    const files = [
      ...readdirSync(MAN).map((f) => `man/${f}`),
      'README.md',
      'ARCHITECTURE.md',
      ...readdirSync(join(ROOT, 'commands')).map((f) => `commands/${f}`),
      ...readdirSync(join(ROOT, 'src/cli')).map((f) => `src/cli/${f}`),
    ];
    const bad: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), 'utf8')
        .replace(/\\-/g, '-')
        .replace(/\\f[BIRP]/g, '');
      for (const m of text.matchAll(/(?<![\w-])([a-z0-9][a-z0-9-]*) ?\(1\)/g)) {
        const name = m[1]!;
        if (ours.includes(name)) bad.push(`${file}: ${m[0]} (svipc-${name}(1))`);
        if (name.startsWith('svipc') && !existsSync(join(MAN, `${name}.1`)))
          bad.push(`${file}: ${m[0]} (no page)`);
      }
      for (const m of text.matchAll(/`man ([^`-][^`]*)`/g)) {
        if (!existsSync(join(MAN, `${m[1]}.1`))) bad.push(`${file}: ${m[0]} (no such page)`);
      }
    }
    expect(bad).toEqual([]);
  });

  it.skipIf(!hasGroff)('every page renders without a groff warning', () => {
    for (const f of readdirSync(MAN).filter((x) => x.endsWith('.1'))) {
      const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', join(MAN, f)], { encoding: 'utf8' });
      expect({ file: f, code: r.status, stderr: r.stderr }).toEqual({ file: f, code: 0, stderr: '' });
    }
  });
});
