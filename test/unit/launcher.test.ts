// The launcher's tables agree: every registered command has a module and a bundle, and the
// version is package.json's wherever it is printed.
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOADERS } from '../../commands/index.js';
import { COMMANDS } from '../../src/cli/registry.js';
import { PACKAGE_ROOT, svipcVersion } from '../../src/package.js';
import { ROOT, run, SVIPC, svipc } from '../helpers/run.js';

describe('launcher', () => {
  it('every registered command has a module and a bundle, and nothing else has', async () => {
    expect(Object.keys(LOADERS).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
    for (const c of COMMANDS) {
      expect(typeof (await LOADERS[c.name]!()).run).toBe('function');
      expect(existsSync(join(ROOT, 'dist/cli', `${c.name}.js`)), c.name).toBe(true);
    }
  });

  it('the version is package.json’s, from the source, the bin fast path and the launcher', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(PACKAGE_ROOT).toBe(ROOT);
    expect(svipcVersion()).toBe(version);
    for (const flag of ['--version', '-V']) {
      const r = await svipc([flag]);
      expect(r.stdout).toBe(`svipc ${version}\n`);
      expect(r.code).toBe(0);
    }
    // Not the fast path: a drop-in's -V names the svipc version too.
    const r = await svipc(['ipcmk', '-V']);
    expect(r.stdout).toContain(version);
  });

  // A link named as no command (an alias, a versioned name) is svipc: its arguments name the
  // command. (It once loaded svipc's own bundle, which holds no command: "internal error".)
  it('a link by any other name runs as svipc', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svipc-alias-'));
    try {
      const alias = join(dir, 'svipc-0');
      symlinkSync(SVIPC, alias);
      for (const args of [['ipcs', '-V'], ['ftok', '/', '1'], ['help', 'ftok'], ['nosuch']]) {
        const [a, b] = await Promise.all([run(alias, args), svipc(args)]);
        expect({ args, out: a.stdout, err: a.stderr, code: a.code }).toEqual({
          args,
          out: b.stdout,
          err: b.stderr,
          code: b.code,
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('svipc help', () => {
    // `svipc help CMD...` against `svipc CMD... --help`: a command, a subcommand, a drop-in, none
    const commands = [['ftok'], ['who'], ['msg', 'create'], ['ipcs'], []];
    it.each(
      commands.map((cmd) => [
        ['help', ...cmd],
        [...cmd, '--help'],
      ]),
    )('svipc %j is svipc %j (exit 0, on stdout)', async (asked, same) => {
      const [a, b] = await Promise.all([svipc(asked), svipc(same)]);
      expect(a.stderr).toBe('');
      expect(a.code).toBe(0);
      expect(a.stdout).toBe(b.stdout);
      expect(b.code).toBe(0);
      // Not the top-level help, unless that was asked for.
      if (asked.length > 1) expect(a.stdout).not.toContain('IPC hygiene for CI:');
    });

    it('a command nobody registered: one line, exit 2', async () => {
      const r = await svipc(['help', 'nosuch']);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe("svipc: unknown command 'nosuch' (see 'svipc --help')\n");
      expect(r.code).toBe(2);
    });
  });
});
