// What the lsipc parity tests share (lsipc.test.ts against util-linux 2.38.1, lsipc-posix.test.ts
// against 2.42.2): the in-process runner of commands/lsipc.js over the case folders
// (case-folders.ts), the options every listing is tried with, and the checks that every case
// ran and that in-process lsipc printed what the reference did.
import { expect } from 'vitest';
import { type Case, inprocBatchJs } from './case-folders.js';

/** Runs commands/lsipc.js in-process for every case folder with an `args` file (NUL-separated). */
export const BATCH_JS = inprocBatchJs('lsipc');

/** The output formats, and the options both suites try every kind and format with (each adds its own). */
export const FORMATS = [[], ['-J'], ['-e'], ['-n'], ['-r'], ['-l']];
export const LISTING_EXTRAS = [
  [],
  ['-b'],
  ['-P'],
  ['-c'],
  ['-t'],
  ['-y'],
  ['--noheadings'],
  ['--notruncate'],
];

/** The namespace script ran clean and left one case folder per planned case; their number. */
export function expectEveryCase(
  result: { code: number | null; stderr: string },
  cases: readonly Case[],
  counts: Readonly<Record<string, number>>,
): number {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  expect(cases.length).toBe(total);
  return total;
}

/**
 * commands/lsipc.js in-process gave the reference's stdout, stderr and exit code for each of
 * `cases` that it ran; the first 20 that did not are named, the first in full.
 */
export function expectInprocAsRef(cases: readonly Case[]): void {
  const bad: string[] = [];
  for (const c of cases) {
    if (!c.inproc) continue;
    if (c.inproc.out !== c.ref.out || c.inproc.err !== c.ref.err || c.inproc.rc !== c.ref.rc) {
      bad.push(`lsipc ${c.args.join(' ')}`);
    }
  }
  const first = cases.find((c) => `lsipc ${c.args.join(' ')}` === bad[0]);
  expect({ bad: bad.slice(0, 20), count: bad.length }, JSON.stringify(first, null, 1)).toEqual({
    bad: [],
    count: 0,
  });
}
