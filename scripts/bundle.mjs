// npm run build, second step: one self-contained file per command in dist/cli/ (the launcher
// and that command's code, nothing else), plus dist/cli/svipc.js for what needs no command
// (--help, --version, an unknown name). bin/svipc loads exactly one of them: one module to
// compile instead of dozens of files to find, read and link is most of a command's start-up.
// Runs after tsc (it reads the command table from dist/).
import { mkdirSync, rmSync } from 'node:fs';
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

const names = [null, ...COMMANDS.map((c) => c.name)];
await Promise.all(
  names.map((name) =>
    build({
      stdin: {
        contents: entry(name),
        resolveDir: root,
        sourcefile: `${name ?? 'svipc'}-entry.ts`,
        loader: 'ts',
      },
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      outfile: join(out, `${name ?? 'svipc'}.js`),
      logLevel: 'warning',
    }),
  ),
);
