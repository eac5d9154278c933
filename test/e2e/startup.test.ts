// bin/svipc's start-up: a command loads only what it uses (no ES module loader, no stdin
// stream it does not read, not koffi's installer tools); each bundle is compiled with the V8
// code cache the build made for it (scripts/bundle.mjs, scripts/code-cache.cjs), and a cache
// that is missing, from another build or refused by this Node changes nothing but the time.
// SVIPC_DEBUG says which it was.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { COMMANDS } from '../../src/cli/registry.js';
import { ROOT, type RunResult, run, SVIPC, svipc } from '../helpers/run.js';

/** The build id a bundle ends with, and the one its cache starts with. */
function ids(dir: string, bundle: string): { bundle: string | undefined; cache: string | undefined } {
  const source = readFileSync(join(dir, 'dist/cli', `${bundle}.js`), 'latin1');
  const cache = readFileSync(join(dir, 'dist/cli', `${bundle}.cache`))
    .subarray(0, 64)
    .toString('latin1');
  return {
    bundle: /\/\/ svipc build ([0-9a-f]+)\n$/.exec(source)?.[1],
    cache: /^svipc code cache ([0-9a-f]+)\n/.exec(cache)?.[1],
  };
}

/** SVIPC_DEBUG's line about the cache (removed from stderr), and the rest of the result. */
async function debugRun(bin: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const r = await run(bin, args, { env: { SVIPC_DEBUG: '1', ...env } });
  const lines = r.stderr.split('\n');
  const verdicts = lines.filter((l) => / code cache of /.test(l));
  return {
    verdicts: verdicts.map((l) =>
      l.replace(/^svipc: code cache of .*\/dist\/cli\/([a-z0-9-]+)\.js: /, '$1: '),
    ),
    stdout: r.stdout,
    stderr: lines.filter((l) => !/ code cache of /.test(l)).join('\n'),
    code: r.code,
  };
}

const same = (r: { stdout: string; stderr: string; code: number | null }, want: RunResult) => {
  expect(r.stdout).toBe(want.stdout);
  expect(r.stderr).toBe(want.stderr);
  expect(r.code).toBe(want.code);
};

describe('what a command loads', () => {
  // Node's own modules loaded by the time the process exits (process.moduleLoadList), stdin
  // being /dev/null (a file: its stream would need fs streams).
  // stdout a socket pair, or with `into`, a file (FILE), a shell's pipe (FIFO) or that device.
  function loadedBy(args: readonly string[], into?: string): { stdout: string; loaded: string[] } {
    const dir = mkdtempSync(join(tmpdir(), 'svipc-loaded-'));
    const out =
      into === undefined || into === 'FIFO'
        ? 'pipe'
        : openSync(into === 'FILE' ? join(dir, 'out') : into, 'w');
    try {
      const preload = join(dir, 'record.cjs');
      const list = join(dir, 'loaded.txt');
      writeFileSync(
        preload,
        `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')));\n`,
      );
      const argv = [process.execPath, '-r', preload, SVIPC, ...args];
      // A FIFO as a shell makes it (spawnSync's 'pipe' is a socket pair).
      const r =
        into === 'FIFO'
          ? spawnSync('bash', ['-c', '"$@" | cat', 'bash', ...argv], { encoding: 'utf8' })
          : spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', out, 'pipe'], encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const stdout = into === 'FILE' ? readFileSync(join(dir, 'out'), 'utf8') : (r.stdout ?? '');
      return { stdout, loaded: readFileSync(list, 'utf8').split('\n') };
    } finally {
      if (typeof out === 'number') closeSync(out);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // svshm-writer: a lecture demo, whose context is made again for --trace=all (withArgv).
  test.each([[['ftok', '/', '1']], [['ipcs', '-l']], [['--version']], [['svshm-writer', '--help']]])(
    'svipc %j',
    (args) => {
      const { stdout, loaded } = loadedBy(args);
      expect(stdout).not.toBe('');
      // bin/svipc and the bundles are CommonJS: the ES module loader never runs a module.
      expect(loaded).not.toContain('NativeModule internal/modules/esm/module_job');
      // ctx.stdin is made on first use, and ftok and ipcs do not read it.
      expect(loaded).not.toContain('NativeModule internal/fs/streams');
      // koffi's own index.js loads these (its installer's download tools); svipc loads its native module.
      for (const m of ['https', 'zlib', 'crypto']) expect(loaded).not.toContain(`NativeModule ${m}`);
      // commander's child_process (and the dgram and streams it loads) only if a subcommand
      // were an executable, which none is (scripts/bundle.mjs).
      for (const m of ['child_process', 'dgram']) expect(loaded).not.toContain(`NativeModule ${m}`);
    },
  );

  // The whole ipcs bundle evaluated (-V: no listing, which would depend on what the host has)
  // loads neither node:os (its errno table is src/ipc/errno.ts) nor node:module (loaded for
  // koffi at the first native call: scripts/bundle.mjs): ~1M instructions of start-up each.
  test('svipc ipcs -V: neither node:os nor node:module', () => {
    const { stdout, loaded } = loadedBy(['ipcs', '-V']);
    expect(stdout).toMatch(/^ipcs from svipc /);
    for (const m of ['os', 'module']) expect(loaded).not.toContain(`NativeModule ${m}`);
  });

  // Node's streams (node:stream and the ~20 modules it loads) cost more start-up than the rest of
  // `svipc ipcs`: into a file or a pipe, Node's stdout would write(2) at once anyway, so svipc
  // writes fd 1 itself and makes no stream (src/cli/output.ts); nor an AbortController
  // for a command that never waits. ipcs -l: the same text whatever else is on the host.
  test.each([['FILE'], ['FIFO'], ['/dev/null']])(
    'svipc ipcs -l into %s: no stream for stdout or stderr, no AbortController; the same bytes as into a socket',
    (into) => {
      const piped = loadedBy(['ipcs', '-l']);
      const { stdout, loaded } = loadedBy(['ipcs', '-l'], into);
      for (const m of ['stream', 'internal/fs/sync_write_stream', 'net', 'tty', 'internal/abort_controller'])
        expect(loaded).not.toContain(`NativeModule ${m}`);
      expect(piped.stdout).toMatch(/^\n------ Messages Limits --------\n/);
      if (into !== '/dev/null') expect(stdout).toBe(piped.stdout);
    },
  );
});

describe('the code cache', () => {
  test('every bundle has one, made for this build of it', () => {
    for (const bundle of ['svipc', ...COMMANDS.map((c) => c.name)]) {
      const { bundle: built, cache } = ids(ROOT, bundle);
      expect(built, bundle).toMatch(/^[0-9a-f]{16}$/);
      expect(cache, bundle).toBe(built);
    }
  });

  test('the launcher uses it, by subcommand and through a link; SVIPC_CODE_CACHE=off does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svipc-cc-link-'));
    try {
      symlinkSync(SVIPC, join(dir, 'ipcs'));
      const plain = await svipc(['ftok', '/', '1']);
      const used = await debugRun(SVIPC, ['ftok', '/', '1']);
      expect(used.verdicts).toEqual(['ftok: used']);
      same(used, plain);
      const link = await debugRun(join(dir, 'ipcs'), ['-V']);
      expect(link.verdicts).toEqual(['ipcs: used']);
      same(link, await run(join(dir, 'ipcs'), ['-V']));
      const off = await debugRun(SVIPC, ['ftok', '/', '1'], { SVIPC_CODE_CACHE: 'off' });
      expect(off.verdicts).toEqual(['ftok: off (SVIPC_CODE_CACHE)']);
      same(off, plain);
      // --version needs no bundle at all.
      expect((await debugRun(SVIPC, ['--version'])).verdicts).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('a cache that cannot be used changes nothing but the time', () => {
    // A copy of the install to spoil (bin, dist, package.json; ftok needs koffi).
    const copy = mkdtempSync(join(tmpdir(), 'svipc-cc-'));
    for (const p of ['bin', 'dist', 'package.json', 'node_modules/koffi'])
      cpSync(join(ROOT, p), join(copy, p), { recursive: true });
    const bin = join(copy, 'bin/svipc');
    const cache = (bundle: string) => join(copy, 'dist/cli', `${bundle}.cache`);
    afterAll(() => rmSync(copy, { recursive: true, force: true }));

    const cases: [string, readonly string[]][] = [
      ['ftok', ['ftok', '/', '1']],
      ['ftok', ['ftok', '/nonexistent-svipc', '1']],
      ['ipcmk', ['ipcmk', '--bogus']],
      ['svipc', ['nosuch']],
      ['shm', ['help', 'shm', 'create']],
    ];

    test.each(cases)(
      '%s: %j: missing, from another build, cut short, refused for V8 flags',
      async (bundle, args) => {
        const want = await svipc(args);
        let r = await debugRun(bin, args);
        expect(r.verdicts).toEqual([`${bundle}: used`]);
        same(r, want);

        // Cut short after its header: V8 refuses data shorter than it says.
        const original = readFileSync(cache(bundle));
        truncateSync(cache(bundle), 200);
        r = await debugRun(bin, args);
        expect(r.verdicts).toEqual([`${bundle}: refused by this Node`]);
        same(r, want);

        // Made for another build of the bundle.
        const other = Buffer.from(original);
        other.write('0000000000000000', 'svipc code cache '.length, 'latin1');
        writeFileSync(cache(bundle), other);
        r = await debugRun(bin, args);
        expect(r.verdicts).toEqual([`${bundle}: from another build`]);
        same(r, want);

        // Made by a Node with other V8 flags: refused by V8 itself.
        writeFileSync(cache(bundle), original);
        r = await debugRun(process.execPath, ['--no-opt', bin, ...args]);
        expect(r.verdicts).toEqual([`${bundle}: refused by this Node`]);
        same(r, want);

        rmSync(cache(bundle));
        r = await debugRun(bin, args);
        expect(r.verdicts).toEqual([`${bundle}: missing`]);
        same(r, want);
        writeFileSync(cache(bundle), original);
      },
    );

    test('no bundle at all: one line, exit 1', async () => {
      const bare = mkdtempSync(join(tmpdir(), 'svipc-cc-bare-'));
      try {
        cpSync(join(copy, 'bin'), join(bare, 'bin'), { recursive: true });
        cpSync(join(copy, 'package.json'), join(bare, 'package.json'));
        const r = await run(join(bare, 'bin/svipc'), ['ipcs']);
        expect(r.stdout).toBe('');
        expect(r.stderr).toBe(
          'svipc: not built yet: run `npm ci` (or `npm run build`) in the svipc folder\n',
        );
        expect(r.code).toBe(1);
      } finally {
        rmSync(bare, { recursive: true, force: true });
      }
    });
  });
});
