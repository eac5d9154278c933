// Every command has its man page, svipc(1) names them all, and each page renders without
// a groff warning (where man(1) is installed).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/registry.js';
import { ROOT } from '../helpers/run.js';

const MAN = join(ROOT, 'man');
const hasMan = spawnSync('man', ['--version'], { stdio: 'ignore' }).status === 0;

describe('man pages', () => {
  it.each(COMMANDS.map((c) => [c.name]))('svipc-%s.1 exists and is named for its command', (name) => {
    const page = join(MAN, `svipc-${name}.1`);
    expect(existsSync(page), page).toBe(true);
    expect(readFileSync(page, 'utf8')).toMatch(new RegExp(`^\\.TH SVIPC-${name.toUpperCase()} 1 `));
  });

  it('svipc(1) refers to every command page', () => {
    const text = readFileSync(join(MAN, 'svipc.1'), 'utf8');
    for (const c of COMMANDS) expect(text, c.name).toContain(`svipc-${c.name} (1)`);
  });

  it.skipIf(!hasMan)('every page renders without warnings', () => {
    for (const f of readdirSync(MAN).filter((x) => x.endsWith('.1'))) {
      const r = spawnSync('man', ['--warnings', '-l', join(MAN, f)], {
        encoding: 'utf8',
        env: { ...process.env, MANWIDTH: '80', LC_ALL: 'C.UTF-8', MANPAGER: 'cat', PAGER: 'cat' },
      });
      expect(r.status, f).toBe(0);
      expect(r.stderr, f).toBe('');
      expect(r.stdout.length, f).toBeGreaterThan(200);
    }
  });
});
