// npm run bench (bench/run.mjs): a --quick run of two groups writes a well-formed results
// file and chart to --out; bad options are usage errors. No figure is judged: a benchmark
// has no threshold, here or anywhere.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { CC_SKIP_REASON, hasCompiler, ROOT, run } from '../helpers/run.js';

const BENCH = join(ROOT, 'bench/run.mjs');
const dir = mkdtempSync(join(tmpdir(), 'svipc-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The table rows (not header or rule) under `## group`. */
function rowsOf(md: string, group: string): string[][] {
  const section = md.split(`\n## ${group}\n`)[1]?.split('\n## ')[0] ?? '';
  return section
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| figure'))
    .map((l) =>
      l
        .slice(2, -2)
        .split(/(?<!\\) \| /)
        .map((c) => c.trim()),
    );
}

const ratio = (s: string | undefined) => Number(/^([\d.]+)x$/.exec(s ?? '')?.[1]);

const CC = hasCompiler();
describe.skipIf(!CC)(CC ? 'npm run bench -- --quick' : `bench: ${CC_SKIP_REASON}`, () => {
  test('--quick --only startup,ffi --pairs 2 --out FILE writes the results and the chart', async () => {
    const out = join(dir, 'sub', 'results.md');
    const r = await run(
      process.execPath,
      [BENCH, '--quick', '--only', 'startup,ffi', '--pairs', '2', '--out', out],
      {
        timeoutMs: 240_000,
      },
    );
    expect(r.stderr).toContain(`wrote ${out}`);
    expect(r.code).toBe(0);
    const md = readFileSync(out, 'utf8');
    expect(md).toMatch(/^# svipc benchmarks\n/);
    expect(md).toMatch(/- machine: \d+ cores \(.*\), kernel \S+, Node v\d+/);
    expect(md).toContain('- 2 pairs per figure');
    // What the environment was: no command measured pays for NODE_EXTRA_CA_CERTS.
    expect(md).toMatch(
      /\n- environment: NODE_EXTRA_CA_CERTS (is not set|\(set here, to .+\) removed for every command measured)/,
    );
    // The groups left out say so; the two run have a row per figure, every cell filled.
    for (const g of ['msg', 'stat-server', 'ipcs-per-object', 'listing', 'svshm', 'fast']) {
      expect(md).toMatch(new RegExp(`## ${g}\\n\\n.*\\n\\nNot run \\(--only\\)\\.`));
    }
    const startup = rowsOf(md, 'startup');
    const ffi = rowsOf(md, 'ffi');
    // Each start-up figure twice: its wall time, then the CPU time of the same runs.
    const ipcsRow = /^`svipc ipcs` \((empty namespace|host namespace: not empty)\)/;
    expect(startup.map((c) => c[0])).toEqual([
      '`svipc --version`',
      '`svipc --version`, CPU time (user+sys)',
      expect.stringMatching(new RegExp(`${ipcsRow.source}$`)),
      expect.stringMatching(new RegExp(`${ipcsRow.source}, CPU time \\(user\\+sys\\)$`)),
      '`svipc ftok / 1`',
      '`svipc ftok / 1`, CPU time (user+sys)',
      '`svipc msg send ID x`',
      '`svipc msg send ID x`, CPU time (user+sys)',
      // Then the floor: not svipc, what a Node program started as svipc is pays.
      "floor: `/usr/bin/env node -e 0` (a shebang's start)",
      expect.stringMatching(/^floor: the least Node ipcs, started as svipc is \(bench\/startup-floor\.cjs/),
    ]);
    expect(md).toContain('- floor rows: not svipc;');
    // Cheap and noisy: at least 10 pairs under --quick, whatever --pairs says, and said so.
    expect(md).toContain('- start-up: 10 pairs per figure;');
    const figures = startup.slice(0, 8);
    const wall = [...figures.filter((_, i) => i % 2 === 0), ...startup.slice(8)];
    const cpu = figures.filter((_, i) => i % 2 === 1);
    expect(ffi).toHaveLength(3);
    for (const row of [...startup, ...ffi]) {
      expect(row).toHaveLength(7);
      // time ratio: "M.MMx (L.LLx-H.HHx)", the median of the pairs between their min and max
      const m = /^(\S+) \((\S+)-(\S+)\)$/.exec(row[4] ?? '');
      expect(m, row.join(' | ')).not.toBeNull();
      const [med, lo, hi] = [ratio(m![1]), ratio(m![2]), ratio(m![3])];
      expect(lo).toBeGreaterThan(0);
      expect(lo).toBeLessThanOrEqual(med);
      expect(med).toBeLessThanOrEqual(hi);
    }
    // Start-up wall rows carry peak memory (KB or MB on both sides); CPU and per-call rows do not.
    for (const row of wall) expect(row[5]).toMatch(/^\d+ [KM]B \/ \d+ [KM]B$/);
    for (const row of [...cpu, ...ffi]) expect(row[5]).toBe('- / -');

    // The chart beside it: one SVG, one time bar per measured row, referenced by the file.
    const svgPath = join(dir, 'sub', 'results.svg');
    expect(existsSync(svgPath)).toBe(true);
    const svg = readFileSync(svgPath, 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" [^>]*>\n/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<rect class="time"/g)).toHaveLength(startup.length + ffi.length);
    expect(svg.match(/<rect class="memory"/g)).toHaveLength(wall.length);
    expect(md).toContain('![svipc / baseline ratios](results.svg)');
  }, 300_000);

  test.each([
    [['--only', 'nosuch'], /^bench: no group 'nosuch' \(groups: startup, /],
    [['--pairs', '0'], /^bench: --pairs wants a positive integer, not '0'/],
    [['--out'], /^bench: option --out needs a value/],
    [['--bogus'], /^bench: unknown argument '--bogus'/],
  ])('usage error %j: one line, exit 2, nothing written', async (args, message) => {
    const out = join(dir, 'usage.md');
    const r = await run(process.execPath, [BENCH, ...args, ...(args[0] === '--out' ? [] : ['--out', out])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/at .*\.mjs:\d+/);
    expect(existsSync(out)).toBe(false);
  });

  test('an --out that cannot be written: one line, exit 1, before any measuring', async () => {
    const r = await run(process.execPath, [
      BENCH,
      '--quick',
      '--only',
      'ffi',
      '--out',
      '/proc/self/nope/results.md',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bench: cannot write \/proc\/self\/nope\/results\.md: .+\n$/);
    expect(r.stderr).not.toContain('== ffi');
  });

  test('SIGTERM mid-group: the group stops with it, nothing written, exit 143', async () => {
    const out = join(dir, 'interrupted.md');
    const child = spawn(process.execPath, [BENCH, '--quick', '--only', 'ffi', '--out', out], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let atKill = -1;
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await new Promise<void>((r) =>
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('== ffi')) r();
      }),
    );
    await new Promise((r) => setTimeout(r, 1500)); // inside the first figure's pairs
    atKill = stderr.length;
    child.kill('SIGTERM');
    expect(await closed).toBe(143);
    expect(stderr).toContain('bench: interrupted by SIGTERM: no results written');
    expect(existsSync(out)).toBe(false);
    // The worker stops too: no further figure is measured (at most the one that may have
    // just been ending as the signal came), where a worker that outlived it went on.
    const after = stderr
      .slice(atKill)
      .split('\n')
      .filter((l) => / ns\/op$/.test(l));
    expect(after.length, stderr).toBeLessThanOrEqual(1);
  }, 120_000);

  test('--help lists every group and option', async () => {
    const r = await run(process.execPath, [BENCH, '--help']);
    expect(r.code).toBe(0);
    for (const s of ['--quick', '--only', '--out', '--pairs', 'listing', 'stat-server', 'svshm', 'fast']) {
      expect(r.stdout).toContain(s);
    }
  });
});
