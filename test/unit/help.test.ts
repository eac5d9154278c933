// Help that teaches: every command's --help ends with 2-4 examples (the util-linux drop-ins
// excepted: their --help is util-linux's, byte for byte; their examples are in their man
// pages), and every man page has EXAMPLES (at least one svipc command line) and SEE ALSO.
// In-process (each command's run with --help on a captured context): no build needed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LOADERS } from '../../commands/index.js';
import { commandSpec } from '../../src/cli/completion.js';
import type { CommandContext } from '../../src/cli/context.js';
import { COMMANDS } from '../../src/cli/registry.js';
import { ROOT } from '../helpers/run.js';

const DROP_INS = ['ipcs', 'ipcmk', 'ipcrm', 'lsipc'];
const MAN = join(ROOT, 'man');

/** What `svipc NAME ARGS... --help` prints on stdout, and its exit code. */
async function helpOf(
  name: string,
  args: string[] = [],
): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _enc, done) {
        add(chunk.toString());
        done();
      },
    });
  const ctx: CommandContext = {
    prog: `svipc ${name}`,
    argv: [...args, '--help'],
    stdin: new PassThrough(),
    stdout: sink((s) => {
      out += s;
    }),
    stderr: sink((s) => {
      err += s;
    }),
    env: { NO_COLOR: '1' },
    signal: new AbortController().signal,
  };
  const code = await (await LOADERS[name]!()).run(ctx);
  return { out, err, code };
}

/** The examples of a help text's final "Examples:" block, or null when it does not end with one. */
function trailingExamples(text: string): { command: string; what: string }[] | null {
  const at = text.lastIndexOf('\nExamples:\n');
  if (at < 0) return null;
  // commander ends a help text with an empty line.
  const lines = text
    .slice(at + '\nExamples:\n'.length)
    .replace(/\n+$/, '')
    .split('\n');
  const examples: { command: string; what: string }[] = [];
  for (const line of lines) {
    // `  COMMAND  # what`, or a long COMMAND alone and `  <spaces>  # what` under it.
    const m = /^ {2}(\S.*?)(?: {2,}# (.+))?$/.exec(line);
    const cont = /^ {3,}# (.+)$/.exec(line);
    if (m) examples.push({ command: m[1]!, what: m[2] ?? '' });
    else if (cont && examples.length > 0 && !examples.at(-1)!.what) examples.at(-1)!.what = cont[1]!;
    else return null;
  }
  return examples;
}

const roff = (s: string) =>
  s
    .replace(/\\f[BIRP]/g, '')
    .replace(/\\-/g, '-')
    .replace(/\\\(aq/g, "'");

/** The body of a man page's section NAME (up to the next .SH), or null. */
function section(page: string, name: string): string | null {
  const m = new RegExp(`^\\.SH "?${name}"?\\n([\\s\\S]*?)(?=^\\.SH |(?![\\s\\S]))`, 'm').exec(page);
  return m ? m[1]! : null;
}

describe('every --help ends with 2-4 examples', () => {
  const taught = COMMANDS.filter((c) => !DROP_INS.includes(c.name)).map((c) => c.name);

  it('the help test knows the drop-ins it excuses', () => {
    for (const d of DROP_INS) expect(COMMANDS.find((c) => c.name === d)?.group, d).toBe('util-linux');
  });

  it.each(taught)('svipc %s --help', async (name) => {
    const { out, code } = await helpOf(name);
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: /);
    const examples = trailingExamples(out);
    expect(examples, `${name}'s --help does not end with an Examples: block`).not.toBeNull();
    expect(examples!.length).toBeGreaterThanOrEqual(2);
    expect(examples!.length).toBeLessThanOrEqual(4);
    for (const e of examples!) {
      // A real svipc command line (possibly in a pipe or a substitution), and what it does.
      expect(e.command, name).toMatch(/(^|[\s(|;&$])svipc \S/);
      expect(e.what, `${name}: ${e.command}`).not.toBe('');
    }
  });

  it('the parser reads what src/cli/spec.ts writes, long commands included', () => {
    const text =
      'Usage: x\n\nExamples:\n  svipc a   # one\n  svipc a much longer command line\n            # two\n';
    expect(trailingExamples(text)).toEqual([
      { command: 'svipc a', what: 'one' },
      { command: 'svipc a much longer command line', what: 'two' },
    ]);
    expect(trailingExamples('Usage: x\n\nExamples:\n  svipc a  # one\n\nExit status: 0\n')).toBeNull();
    expect(trailingExamples('Usage: x\n')).toBeNull();
  });
});

describe('completion reads what a spec declares', () => {
  it.each(COMMANDS.map((c) => c.name))('%s', async (name) => {
    const mod = await LOADERS[name]!();
    const got = await commandSpec(name, 'summary', async () => mod);
    if (mod.getopt) {
      // A drop-in: every long option of its getopt table, those its 2.38.1 --help leaves out too.
      expect(got.options.map((o) => o.long)).toEqual(
        expect.arrayContaining(mod.getopt.map((o) => `--${o.name}`)),
      );
      return;
    }
    if (!mod.spec) return; // not declared as data: completion reads its --help
    const longs = (o: readonly { flags: string }[] | undefined) =>
      (o ?? []).map((x) => /--[\w-]+/.exec(x.flags)?.[0]).filter(Boolean);
    expect(got.options.map((o) => o.long)).toEqual(expect.arrayContaining(longs(mod.spec.options)));
    for (const sub of mod.spec.subcommands ?? []) {
      const s = got.subcommands.find((x) => x.name === sub.name);
      expect(s, `${name} ${sub.name}`).toBeDefined();
      expect(s!.options.map((o) => o.long)).toEqual(expect.arrayContaining(longs(sub.options)));
    }
  });
});

describe('every man page has EXAMPLES and SEE ALSO', () => {
  const pages = readdirSync(MAN).filter((f) => f.endsWith('.1'));

  it.each(pages)('%s', (file) => {
    const page = readFileSync(join(MAN, file), 'utf8');
    const examples = section(page, 'EXAMPLES');
    expect(examples, `${file} has no EXAMPLES section`).not.toBeNull();
    // At least one command line: svipc's, or a drop-in's as util-linux's is called.
    const commandLines = roff(examples!)
      .split('\n')
      .filter((l) => /(^|[\s($|])(svipc|ipcs|ipcmk|ipcrm|lsipc) /.test(l));
    expect(commandLines.length, `${file}: EXAMPLES shows no command`).toBeGreaterThan(0);
    const seeAlso = section(page, 'SEE ALSO');
    expect(seeAlso, `${file} has no SEE ALSO section`).not.toBeNull();
    expect(seeAlso!, file).toMatch(/^\.BR \S+ \(\d\)/m);
  });
});
