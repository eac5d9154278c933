// npm run bench's svshm group (bench/run.mjs groupSvshm): the lecture-mode transfer next to
// the C pair, each side pinned with taskset, as two rows: "two cores" (writer on cpu 0,
// reader on cpu 1) and "one core" (both on cpu 0), each with what svipc's 0-byte transfer
// placed the same costs (start-ups, finding the writer, exit); the fast group's row likewise.
// A row that cannot be had (no second core, no taskset) says why. No figure is judged: a
// benchmark has no threshold.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { namespaceAndPeers, ROOT, run } from '../helpers/run.js';

const { ns: NS, cc: CC } = namespaceAndPeers('svshm bench group');
const BENCH = join(ROOT, 'bench/run.mjs');
const dir = mkdtempSync(join(tmpdir(), 'svipc-svshm-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `npm run bench -- --quick --only GROUP --pairs 1`'s results: GROUP's section (it must exit 0). */
async function benchSection(group: string): Promise<string> {
  const out = join(dir, `${group}.md`);
  const r = await run(process.execPath, [BENCH, '--quick', '--only', group, '--pairs', '1', '--out', out], {
    timeoutMs: 240_000,
  });
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(out, 'utf8').split(`\n## ${group}\n`)[1]?.split('\n## ')[0] ?? '';
}

const can = (cpu: string) => spawnSync('taskset', ['-c', cpu, 'true'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!NS || !CC)('npm run bench -- --only svshm: pinned rows', () => {
  test('a row for two cores and one for one core, each with the 0-byte transfer beside it', async () => {
    const section = await benchSection('svshm');
    const rows = section
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| figure') && !l.startsWith('|---'))
      .map((l) =>
        l
          .slice(2, -2)
          .split(/(?<!\\) \| /)
          .map((c) => c.trim()),
      );
    const notes = section.split('\n').filter((l) => l.startsWith('- '));
    const name = 'svshm transfer 16 MiB, 10,240-byte buffer (writer+reader)';
    if (!can('0')) {
      // No taskset: one unpinned row, and the two pinned ones not run, saying why.
      expect(rows.map((c) => c[0])).toEqual([
        `${name}, not pinned (taskset is missing or not permitted)`,
        `${name}, two cores`,
        `${name}, one core`,
      ]);
      expect(rows[1]![1]).toBe('not run: taskset is missing or not permitted');
      return;
    }
    const two = `${name}, two cores (writer on cpu 0, reader on cpu 1)`;
    const one = `${name}, one core (both on cpu 0)`;
    expect(rows.map((c) => c[0])).toEqual([can('1') ? two : `${name}, two cores`, one]);
    if (!can('1')) expect(rows[0]![1]).toBe('not run: no second core (taskset -c 1 failed)');
    const measured = rows.filter((c) => c[1] && !c[1].startsWith('not run'));
    for (const row of measured) {
      expect(row[2]).toBe("the lecture's C writer+reader");
      expect(row[4]).toMatch(/^[\d.]+x \([\d.]+x-[\d.]+x\)$/);
      const label = row[0]!.slice(name.length + 2);
      const note = notes.find((n) => n.startsWith(`- ${label}: `));
      expect(note, section).toMatch(
        /: MiB\/s \(median\) svipc \d+, C \d+; start-up included; svipc's 0-byte transfer placed the same \(start-ups, rendezvous, exit\): \d+ ms median \(\d+-\d+\), \d+% of the C pair's 16 MiB$/,
      );
    }
  }, 300_000);

  test("--only fast: the row carries the --fast 0-byte transfer, next to the whole and to cat | cat's", async () => {
    const section = await benchSection('fast');
    expect(section).toContain('| svshm --fast transfer 16 MiB | ');
    // Pinned too, each side of both pairs where the other pair's is (cat | cat is bimodal unpinned).
    if (can('0')) expect(section).toContain('| svshm --fast transfer 16 MiB, one core (all on cpu 0) | ');
    if (can('0') && can('1'))
      expect(section).toMatch(
        /\| svshm --fast transfer 16 MiB, two cores \(the writer and the first cat on cpu 0, the reader and the second on cpu 1\) \| [\d.]+ ms/,
      );
    expect(section).toMatch(
      /\n- --fast: svipc's 0-byte transfer \(start-ups, rendezvous, exit\) \d+ ms median \(\d+-\d+\): \d+% of its 16 MiB transfer, \d+% of cat \| cat's\n/,
    );
  }, 300_000);
});
