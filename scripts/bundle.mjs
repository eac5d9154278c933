// npm run build, second step: one self-contained file per command in dist/cli/ (the launcher,
// that command's code and commander, nothing else; koffi stays in node_modules, loaded on the
// first native call), plus dist/cli/svipc.js for what needs no command (--help, --version, an
// unknown name). bin/svipc loads exactly one of them: one script to compile instead of dozens of
// files to find, read and link is most of a command's start-up.
// Each bundle is CommonJS in its module wrapper, `(function (exports, require, module,
// __filename, __dirname) { ... })`, written out so that the launcher need not make a second
// copy of the source to wrap it: bin/svipc compiles it with node:vm and its V8 code cache,
// dist/cli/NAME.cache, which the last step makes (scripts/code-cache.cjs), so a command's code
// is not parsed and compiled again at each start, and calls the function it evaluates to.
// Each bundle ends with `// svipc build ID` (ID: its hash), and its cache starts with the same ID.
// Runs after tsc (it reads the command table from dist/).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { COMMANDS } = await import(join(root, 'dist/src/cli/registry.js'));
const out = join(root, 'dist/cli');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

/** The entry of one bundle: the launcher, given the modules it may run. */
function entry(name) {
  if (name === null)
    return "import { main } from './src/cli/main.ts';\nexport const start = (argv) => main(argv, {});\n";
  // completion reads every command's options: its bundle holds them all (commands/index.ts).
  const loaders =
    name === 'completion'
      ? "import { LOADERS } from './commands/index.ts';\nconst loaders = LOADERS;\n"
      : `import * as command from './commands/${name}.ts';\nconst loaders = { ${JSON.stringify(name)}: async () => command };\n`;
  return `import { main } from './src/cli/main.ts';\n${loaders}export const start = (argv) => main(argv, loaders);\n`;
}

/**
 * src/package.ts as a bundle has it: the bundle is dist/cli/NAME.js, two folders below the
 * root, so the root needs no search up from a file URL, and package.json is read once, when the
 * version is first asked for (the version stays package.json's), not three times.
 */
const packageInBundle = {
  name: 'package-in-bundle',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]package\.ts$/ }, () => ({
      loader: 'ts',
      resolveDir: join(root, 'src'),
      contents: `import { readFileSync } from 'node:fs';
import { join } from 'node:path';
export const PACKAGE_ROOT = join(__dirname, '../..');
let version: string | undefined;
export const svipcVersion = (): string =>
  (version ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
`,
    }));
  },
};

/**
 * commander's node:child_process, required when first used: commander requires it at load for
 * its executable subcommands, which svipc has none of, and child_process pulls in net, dgram
 * and the streams (37 modules, ~8 ms of every commander-based command's start).
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: 'child_process', namespace: 'lazy-child-process' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      loader: 'js',
      contents:
        "module.exports = new Proxy({}, { get: (_, name) => require('node:child_process')[name] });\n",
    }));
  },
};

/**
 * node:module in a bundle, loaded on first use: only libc.ts imports it, for the createRequire
 * that loads koffi at the first native call, and loading it at start (with the ES module loader
 * and source maps it brings) cost every command ~1.1M instructions (~0.4 ms) of its start-up.
 */
const lazyNodeModule = {
  name: 'lazy-node-module',
  setup(b) {
    b.onResolve({ filter: /^node:module$/ }, (args) =>
      /[\\/]src[\\/]ipc[\\/]libc\.ts$/.test(args.importer)
        ? { path: 'module', namespace: 'lazy-node-module' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-node-module' }, () => ({
      loader: 'js',
      contents: "export const createRequire = (from) => require('node:module').createRequire(from);\n",
    }));
  },
};

const names = [null, ...COMMANDS.map((c) => c.name)];
await Promise.all(
  names.map(async (name) => {
    const file = join(out, `${name ?? 'svipc'}.js`);
    await build({
      stdin: {
        contents: entry(name),
        resolveDir: root,
        sourcefile: `${name ?? 'svipc'}-entry.ts`,
        loader: 'ts',
      },
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      external: ['koffi'],
      // The modules are ES modules (strict); import.meta.url is the bundle's own URL, made
      // when a module asks for it (libc.ts, when it loads koffi), not at each start.
      banner: {
        js: '"use strict";\nvar import_meta = { get url() { return require("node:url").pathToFileURL(__filename).href; } };',
      },
      define: { 'import.meta.url': 'import_meta.url' },
      plugins: [packageInBundle, lazyChildProcessForCommander, lazyNodeModule],
      outfile: file,
      logLevel: 'warning',
    });
    // On the wrapper's line, as Node's own wrapper puts it: line numbers stay the bundle's.
    const code = `(function (exports, require, module, __filename, __dirname) { ${readFileSync(file, 'utf8')}\n});\n`;
    const id = createHash('sha256').update(code).digest('hex').slice(0, 16);
    writeFileSync(file, `${code}// svipc build ${id}\n`);
  }),
);

// The code caches: each bundle run once with --help (scripts/code-cache.cjs), a few at a time;
// V8's cache then holds the functions that run compiled, and a function the run did not reach is
// parsed and compiled at each start that needs it. ipcs's run is the listing itself, its
// commonest use (it only reads: /proc/sysvipc, its output thrown away); --help where it fails.
const TRAINING = { ipcs: [['ipcs'], ['ipcs', '--help']] };
const jobs = names.map((name) =>
  name === null ? ['svipc', [['--help']]] : [name, TRAINING[name] ?? [[name, '--help']]],
);
async function worker() {
  for (let job = jobs.shift(); job; job = jobs.shift()) {
    const [bundle, runs] = job;
    let failed;
    for (const args of runs) {
      failed = await cacheBy(bundle, args);
      if (!failed) break;
    }
    if (failed) throw new Error(failed);
  }
}

/** Make dist/cli/BUNDLE.cache by running `svipc ARGS`; what went wrong, or null. */
async function cacheBy(bundle, args) {
  const file = join(out, `${bundle}.js`);
  const id = /\/\/ svipc build ([0-9a-f]+)\n$/.exec(readFileSync(file, 'utf8'))[1];
  const child = spawn(process.execPath, [join(root, 'scripts/code-cache.cjs'), file, id, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SVIPC_DEBUG: '' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0 || !existsSync(join(out, `${bundle}.cache`)))
    return `the code cache of dist/cli/${bundle}.js (${args.join(' ')}): exit ${code}: ${stderr.trim()}`;
  return null;
}
await Promise.all(Array.from({ length: Math.min(4, availableParallelism()) }, worker));
