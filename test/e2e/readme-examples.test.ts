// The pipeline examples of the README's primitives and hygiene sections,
// run as written: every ```sh block runs in bash, in a private IPC namespace and a fresh
// folder, with `svipc` on PATH; its last command must exit 0, and when a ```text block follows it directly,
// its stdout must be that text. The namespace has a private /dev/shm and /dev/mqueue too
// (posix-ns.ts): snapshot, diff and leaks count POSIX objects, and the host's /dev/shm holds
// other programs' objects.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { canPosixNamespace, inPosixNamespace, POSIX_NS_SKIP_REASON } from '../helpers/posix-ns.js';
import { ROOT, SVIPC } from '../helpers/run.js';

interface Example {
  file: string;
  line: number;
  code: string;
  output: string | null;
}

/** Each ```sh block, with the ```text block right after it (blank lines between allowed). */
export function extractExamples(file: string, text: string): Example[] {
  const blocks: { lang: string; body: string; line: number; end: number }[] = [];
  const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    blocks.push({
      lang: m[1]!,
      body: m[2]!,
      line: text.slice(0, m.index).split('\n').length,
      end: m.index + m[0].length,
    });
  }
  const out: Example[] = [];
  blocks.forEach((b, i) => {
    if (b.lang !== 'sh') return;
    const next = blocks[i + 1];
    const between = next ? text.slice(b.end, text.indexOf('```', b.end)) : '';
    const output = next && next.lang === 'text' && between.trim() === '' ? next.body : null;
    out.push({ file, line: b.line, code: b.body, output });
  });
  return out;
}

/** The README from the `## ` heading that starts with `title` to the next `## ` heading. */
function section(readme: string, title: string): { text: string; offset: number } {
  const start = readme.indexOf(`\n## ${title}`);
  if (start < 0) throw new Error(`README has no section '## ${title}'`);
  const end = readme.indexOf('\n## ', start + 1);
  return {
    text: readme.slice(start, end < 0 ? undefined : end),
    offset: readme.slice(0, start).split('\n').length - 1,
  };
}

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SECTIONS = ['Every primitive from the shell', 'IPC hygiene for CI'];
const examples = SECTIONS.flatMap((title) => {
  const { text, offset } = section(README, title);
  return extractExamples('README.md', text).map((e) => ({ ...e, line: e.line + offset }));
});
const work = mkdtempSync(join(tmpdir(), 'svipc-readme-'));
const bin = join(work, 'bin');
mkdirSync(bin);
symlinkSync(SVIPC, join(bin, 'svipc'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!canPosixNamespace())('README pipeline examples, as written', () => {
  test('there are examples to run, with outputs to compare', () => {
    expect(examples.length).toBeGreaterThanOrEqual(7);
    expect(examples.filter((e) => e.output !== null).length).toBeGreaterThanOrEqual(6);
  });

  test.each(examples.map((e) => [`${e.file}:${e.line}`, e] as const))('%s', async (_name, e) => {
    const cwd = mkdtempSync(join(work, 'ex-'));
    const r = await inPosixNamespace('bash', ['-c', e.code], {
      cwd,
      env: { PATH: `${bin}:${process.env.PATH}` },
      timeoutMs: 60_000,
    });
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    if (e.output !== null) expect(r.stdout).toBe(e.output);
  });
});

test.skipIf(canPosixNamespace())(`README examples: ${POSIX_NS_SKIP_REASON}`, () => {});
