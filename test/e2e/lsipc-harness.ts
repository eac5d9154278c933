// What the lsipc parity tests share (lsipc.test.ts against util-linux 2.38.1, lsipc-posix.test.ts
// against 2.42.2): the in-process runner of commands/lsipc.js over a folder of cases, and the
// reading of one run's stdout, stderr and exit code, and the check that every case ran.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { VERSION } from '../../src/package.js';

/** Runs commands/lsipc.js in-process for every case folder with an `args` file (NUL-separated). */
export const BATCH_JS = String.raw`
const [dist, dir] = process.argv.slice(2);
const fs = await import('node:fs');
const { run } = await import(dist + '/commands/lsipc.js');
for (const name of fs.readdirSync(dir).sort()) {
  const d = dir + '/' + name;
  if (!fs.existsSync(d + '/args') || fs.existsSync(d + '/inproc.rc')) continue;
  const args = fs.readFileSync(d + '/args', 'utf8').split('\0').slice(0, -1);
  const env = { ...process.env };
  if (fs.existsSync(d + '/env')) {
    for (const kv of fs.readFileSync(d + '/env', 'utf8').split('\0').slice(0, -1)) {
      const i = kv.indexOf('=');
      env[kv.slice(0, i)] = kv.slice(i + 1);
    }
  }
  const out = [];
  let err = '';
  const sink = (push) => ({ write: (s, cb) => { push(s); if (typeof cb === 'function') cb(); return true; } });
  const ctx = {
    prog: 'lsipc',
    argv: args,
    stdin: process.stdin,
    stdout: sink((s) => out.push(Buffer.from(s))),
    stderr: sink((s) => (err += s)),
    env,
    signal: new AbortController().signal,
  };
  let rc;
  try {
    rc = await run(ctx);
  } catch (e) {
    err += 'lsipc: ' + (e && e.message) + '\n';
    rc = 1;
  }
  fs.writeFileSync(d + '/inproc.out', Buffer.concat(out));
  fs.writeFileSync(d + '/inproc.err', err);
  fs.writeFileSync(d + '/inproc.rc', String(rc) + '\n');
}
`;

export interface Run {
  out: string;
  err: string;
  rc: string;
}
export interface Case {
  name: string;
  args: string[];
  ref: Run;
  inproc?: Run;
  svipc?: Run;
  link?: Run;
}

export function readRun(dir: string, who: string): Run | undefined {
  if (!existsSync(join(dir, `${who}.rc`)) || !existsSync(join(dir, `${who}.err`))) return undefined;
  const r = (ext: string) => readFileSync(join(dir, `${who}.${ext}`), 'latin1');
  return { out: r('out'), err: r('err'), rc: r('rc').trim() };
}

/**
 * Every case folder under WORK/cases (sorted): its arguments and each run found there. No
 * folder: the namespace script `r` failed before its first case.
 */
/**
 * -V is where svipc differs on purpose (as its ipcs, ipcmk and ipcrm): util-linux's "lsipc from
 * util-linux 2.38.1" is svipc's line naming itself and the release it follows.
 */
function asSvipcVersion<R extends { out: string }>(ref: R): R {
  const m = /^(\S+) from util-linux (\S+)\n$/.exec(ref.out);
  return m ? { ...ref, out: `${m[1]} from svipc ${VERSION} (util-linux ${m[2]} compatible)\n` } : ref;
}

export function readCases(work: string, r: { code: number | null; stderr: string }): Case[] {
  const dir = join(work, 'cases');
  if (!existsSync(dir)) throw new Error(`the namespace script failed (${r.code}): ${r.stderr}`);
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const d = join(dir, name);
      return {
        name,
        args: readFileSync(join(d, 'args'), 'utf8').split('\0').slice(0, -1),
        ref: asSvipcVersion(readRun(d, 'ref')!),
        inproc: readRun(d, 'inproc'),
        svipc: readRun(d, 'svipc'),
        link: readRun(d, 'link'),
      };
    });
}

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
