// Every command has its man page, svipc(1) names them all with the exit codes, npm
// installs them, and each page renders without a groff warning (where groff is installed).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/registry.js';
import { ROOT } from '../helpers/run.js';

const MAN = join(ROOT, 'man');
const page = (file: string) => readFileSync(join(MAN, file), 'utf8');
const hasGroff = spawnSync('groff', ['--version'], { stdio: 'ignore' }).status === 0;

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

  it('package.json installs them', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      directories?: { man?: string };
      files?: string[];
    };
    expect(pkg.directories?.man).toBe('man');
    expect(pkg.files).toContain('man');
  });

  it.skipIf(!hasGroff)('every page renders without a groff warning', () => {
    for (const f of readdirSync(MAN).filter((x) => x.endsWith('.1'))) {
      const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', join(MAN, f)], { encoding: 'utf8' });
      expect({ file: f, code: r.status, stderr: r.stderr }).toEqual({ file: f, code: 0, stderr: '' });
    }
  });
});
