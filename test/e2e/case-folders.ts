// The case folders of the ipcs and lsipc parity suites (ipcs.test.ts, lsipc.test.ts,
// lsipc-posix.test.ts): one folder WORK/cases/PHASE-NNNN per case, holding its arguments
// (`args`, NUL-separated), maybe `env` (K=V, NUL-separated) and `phase`, and what each run
// printed (`ref`, `inproc`, `svipc`, `link` .out/.err/.rc). Here: the bash function that makes
// a folder, the node program that runs the command in-process over them, the suite's
// lifecycle (a work folder, the namespace script, the cases read back) and the reading.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { svipcVersion } from '../../src/package.js';
import { inNamespace, ROOT, type RunResult } from '../helpers/run.js';

/**
 * bash: `new_case ARGS...` makes the next case's folder, $d (the caller's `local d`), and
 * writes ARGS there; with $RUNAS set (a command prefix, e.g. "runas 4242:4343"), its user may
 * write the folder too.
 */
export const NEW_CASE = String.raw`
N=0
PHASE=a
RUNAS=
new_case() {
  N=$((N + 1))
  d=$(printf '%s/cases/%s-%04d' "$W" "$PHASE" "$N")
  mkdir -p "$d"
  if [ -n "$RUNAS" ]; then chmod 777 "$d"; fi
  printf '%s\0' "$@" > "$d/args"
}
`;

/**
 * Node ESM program: argv = [distDir, casesDir]. Runs commands/TOOL.js in-process (one node for
 * all) for every case folder that has `args` and neither `inproc.rc` nor `noinproc`, with the
 * folder's `env` added to the environment; writes inproc.out, inproc.err and inproc.rc.
 */
export function inprocBatchJs(tool: string): string {
  return String.raw`
const [dist, dir] = process.argv.slice(2);
const fs = await import('node:fs');
const { run } = await import(dist + '/commands/${tool}.js');
for (const name of fs.readdirSync(dir).sort()) {
  const d = dir + '/' + name;
  if (!fs.existsSync(d + '/args') || fs.existsSync(d + '/inproc.rc') || fs.existsSync(d + '/noinproc')) continue;
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
    prog: '${tool}',
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
    err += '${tool}: ' + (e && e.message) + '\n';
    rc = 1;
  }
  fs.writeFileSync(d + '/inproc.out', Buffer.concat(out));
  fs.writeFileSync(d + '/inproc.err', err);
  fs.writeFileSync(d + '/inproc.rc', String(rc) + '\n');
}
`;
}

export interface Run {
  out: string;
  err: string;
  rc: string;
}
export interface Case {
  name: string;
  /** The `phase` file's line; undefined where the case was not given one. */
  phase: string | undefined;
  args: string[];
  /** The reference's run, its -V line as svipc words it (asSvipcVersion). */
  ref: Run;
  inproc?: Run;
  svipc?: Run;
  link?: Run;
}

/** WHO's run in a case folder (bytes as latin1), if it left both its .rc and its .err. */
export function readRun(dir: string, who: string): Run | undefined {
  if (!existsSync(join(dir, `${who}.rc`)) || !existsSync(join(dir, `${who}.err`))) return undefined;
  const r = (ext: string) => readFileSync(join(dir, `${who}.${ext}`), 'latin1');
  return { out: r('out'), err: r('err'), rc: r('rc').trim() };
}

/**
 * -V is where svipc differs on purpose (as in all its drop-ins): util-linux's "ipcs from
 * util-linux 2.38.1" is svipc's line naming itself and the release it follows
 * (src/cli/util-linux.ts).
 */
export function asSvipcVersion<R extends { out: string }>(ref: R): R {
  const m = /^(\S+) from util-linux (\S+)\n$/.exec(ref.out);
  return m ? { ...ref, out: `${m[1]} from svipc ${svipcVersion()} (util-linux ${m[2]} compatible)\n` } : ref;
}

/**
 * Every case folder under WORK/cases (sorted): its arguments and each run found there. No
 * folder: the namespace script `r` failed before its first case.
 */
export function readCases(work: string, r: { code: number | null; stderr: string }): Case[] {
  const dir = join(work, 'cases');
  if (!existsSync(dir)) throw new Error(`the namespace script failed (${r.code}): ${r.stderr}`);
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const d = join(dir, name);
      return {
        name,
        phase: existsSync(join(d, 'phase')) ? readFileSync(join(d, 'phase'), 'utf8').trim() : undefined,
        args: readFileSync(join(d, 'args'), 'utf8').split('\0').slice(0, -1),
        ref: asSvipcVersion(readRun(d, 'ref')!),
        inproc: readRun(d, 'inproc'),
        svipc: readRun(d, 'svipc'),
        link: readRun(d, 'link'),
      };
    });
}

/** A suite's work folder, the namespace script's outcome and the cases it left: set in beforeAll. */
export interface CaseFolders {
  work: string;
  result: { code: number | null; stderr: string; ms: number };
  cases: Case[];
}

/**
 * beforeAll: a fresh work folder (named from `prefix`) holding `files` (name -> text), `run`
 * given it to run the namespace script that fills WORK/cases (within `timeoutMs`), then the
 * cases read back; afterAll: the folder removed.
 */
export function useCaseFolders(
  prefix: string,
  files: Readonly<Record<string, string>>,
  run: (work: string) => Promise<RunResult>,
  timeoutMs: number,
): CaseFolders {
  const f: CaseFolders = { work: '', result: { code: null, stderr: '', ms: 0 }, cases: [] };
  beforeAll(async () => {
    f.work = mkdtempSync(join(tmpdir(), prefix));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(f.work, name), text);
    const r = await run(f.work);
    f.result = { code: r.code, stderr: r.stderr, ms: r.ms };
    f.cases = readCases(f.work, r);
  }, timeoutMs);
  afterAll(() => {
    if (f.work) rmSync(f.work, { recursive: true, force: true });
  });
  return f;
}

/**
 * Writes `lines` as WORK/script.sh (after `set -u`, `cd /` and WORK opened to the not-root
 * phases) and runs it as root in a private IPC namespace, and a private mount namespace too
 * when `mounts`; W, ROOT_DIR, LC_ALL=C and TZ=UTC in its environment.
 */
export function runCaseScript(
  work: string,
  lines: readonly string[],
  mounts: boolean,
  timeoutMs: number,
): Promise<RunResult> {
  writeFileSync(join(work, 'script.sh'), ['set -u', 'cd /', 'chmod 755 "$W"', ...lines].join('\n'));
  const command = mounts
    ? 'exec unshare --mount --propagation private bash "$W/script.sh"'
    : 'exec bash "$W/script.sh"';
  return inNamespace(command, { env: { W: work, ROOT_DIR: ROOT, LC_ALL: 'C', TZ: 'UTC' }, timeoutMs });
}
