// Test helpers: run bin/svipc (or anything) as a child and capture stdout, stderr, exit code;
// run a script in a private IPC namespace; run commands as another user (on a world-readable
// copy of the program); build the C peers in test/peers/.
import { type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, test } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The world-readable copy of the built program (test/global-setup.ts). */
    svipcPublic: string;
  }
}

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SVIPC = join(ROOT, 'bin/svipc');
export const PEERS_SRC = join(ROOT, 'test/peers');
export const PEERS_BIN = join(ROOT, 'test/peers/bin');

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Wall time in milliseconds. */
  ms: number;
  stdoutBuf: Buffer;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  cwd?: string;
}

/** Run a command to completion (async, so tests can run other processes meanwhile). */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const t0 = performance.now();
  return new Promise((resolvePromise, reject) => {
    const spawnOpts: SpawnOptions = {
      env: { ...process.env, LC_ALL: 'C', TZ: 'UTC', NO_COLOR: '1', ...opts.env },
      cwd: opts.cwd ?? ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    };
    const child = spawn(cmd, args, spawnOpts);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBuf = Buffer.concat(out);
      resolvePromise({
        stdout: stdoutBuf.toString(),
        stderr: Buffer.concat(err).toString(),
        code,
        signal,
        ms: performance.now() - t0,
        stdoutBuf,
      });
    });
    child.stdin!.on('error', () => {});
    child.stdin!.end(opts.input ?? '');
  });
}

/** Run `svipc ARGS...`. */
export function svipc(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(SVIPC, args, opts);
}

let unshareOk: boolean | undefined;
/** Whether `unshare --ipc` is permitted here (root, or user namespaces allowed). */
export function canUnshare(): boolean {
  if (unshareOk === undefined) {
    const r = spawnSync('unshare', ['--ipc', 'true'], { stdio: 'ignore' });
    unshareOk = r.status === 0;
  }
  return unshareOk;
}
export const UNSHARE_SKIP_REASON =
  'unshare --ipc is not permitted here (needs root): whole-namespace tests skipped';

/**
 * `describe` for cases that each run in a private IPC namespace, named `TITLE (private IPC
 * namespace)`; where unshare --ipc is not permitted, a skipped `TITLE e2e: <why>` says so instead.
 */
export function describeInNamespace(title: string, body: () => void): void {
  describe.skipIf(!canUnshare())(`${title} (private IPC namespace)`, body);
  test.skipIf(canUnshare())(`${title} e2e: ${UNSHARE_SKIP_REASON}`, () => {});
}

/**
 * Where a suite cannot run here (`runnable` false), a skipped test REASON under TITLE stands in
 * its place in the report, so the skip is seen.
 */
export function reportSkipped(runnable: boolean, title: string, reason: string): void {
  if (!runnable) {
    describe(title, () => {
      test.skip(reason, () => {});
    });
  }
}

let pidNsOk: boolean | undefined;
/**
 * Whether `unshare --ipc --pid --fork --mount-proc` is permitted: a private IPC namespace with
 * its own pid namespace and /proc, where every process is the test's (in a container, even root
 * cannot read the host's pid 1, so a scan of every process is otherwise never complete).
 */
export function canUnsharePid(): boolean {
  pidNsOk ??=
    canUnshare() &&
    spawnSync('unshare', ['--ipc', '--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore' }).status ===
      0;
  return pidNsOk;
}
export const UNSHARE_PID_SKIP_REASON =
  'unshare --ipc --pid --mount-proc is not permitted here (needs root): process-scan tests skipped';

/**
 * `inNamespace` with a pid namespace and /proc of its own too (see canUnsharePid): every process
 * a /proc scan sees is the script's.
 */
export function inPidNamespace(script: string, opts: RunOptions = {}): Promise<RunResult> {
  return run(
    'unshare',
    [
      '--ipc',
      '--pid',
      '--fork',
      '--mount-proc',
      'bash',
      '-c',
      `set -o pipefail\n${RUNAS_FUNCTIONS}\n${script}`,
    ],
    { timeoutMs: 60_000, ...opts, env: { ...publicEnv(), ...opts.env } },
  );
}

/**
 * Run a bash script in a fresh, private IPC namespace: it sees no object of the host and
 * everything it leaves dies with it. $SVIPC is bin/svipc; `links/` holds ipcs/ipcmk/ipcrm
 * links to it (put it first on PATH to test multi-call).
 */
export function inNamespace(script: string, opts: RunOptions = {}): Promise<RunResult> {
  return run('unshare', ['--ipc', 'bash', '-c', `set -o pipefail\n${RUNAS_FUNCTIONS}\n${script}`], {
    ...opts,
    env: { ...publicEnv(), ...opts.env },
  });
}

// ---- running as another user ------------------------------------------------------------
//
// The checkout may sit where no other user can read it (a clone in a root home or in
// `mktemp -d`, 0700). A test that drops privileges therefore never runs the checkout: the
// global setup makes a world-readable copy of what the built program needs at run time
// (bin/, dist/, package.json, the runtime node_modules, the ipcs/ipcmk/ipcrm links), buildPeer
// adds the C peers, and `runas` maps every path into the checkout to the same path in the copy.

/** What dist/ imports at run time (koffi and commander have no dependencies of their own). */
const RUNTIME_MODULES = ['koffi', 'commander'];

/** Make the world-readable copy of the built program (global setup); returns its folder. */
export function makePublicCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'svipc-public-'));
  for (const p of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  for (const m of RUNTIME_MODULES) {
    cpSync(join(ROOT, 'node_modules', m), join(dir, 'node_modules', m), { recursive: true });
  }
  mkdirSync(join(dir, 'test/.links'), { recursive: true });
  for (const n of ['ipcs', 'ipcmk', 'ipcrm']) symlinkSync('../../bin/svipc', join(dir, 'test/.links', n));
  mkdirSync(join(dir, 'test/peers/bin'), { recursive: true });
  // Whatever the umask and the checkout's modes: readable (and dirs searchable) by anyone.
  const r = spawnSync('chmod', ['-R', 'a+rX', dir]);
  if (r.status !== 0) throw new Error(`chmod -R a+rX ${dir} failed`);
  chmodSync(dir, 0o755);
  return dir;
}

/** The world-readable copy of the built program (made by test/global-setup.ts). */
export function publicRoot(): string {
  return inject('svipcPublic');
}

/** The environment the bash helpers expect: the checkout's paths and the copy's. */
export function publicEnv(): NodeJS.ProcessEnv {
  return { SVIPC, SVIPC_LINKS: linksDir(), SVIPC_ROOT: ROOT, SVIPC_PUBLIC_ROOT: publicRoot() };
}

/** bash functions `runas UID:GID CMD...` and `nobody CMD...` (test/helpers/runas.sh). */
export const RUNAS_FUNCTIONS = readFileSync(join(ROOT, 'test/helpers/runas.sh'), 'utf8');

/** Run CMD ARGS as uid/gid 65534 (through `nobody`, so on the world-readable copy). */
export function asNobody(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('bash', ['-c', `${RUNAS_FUNCTIONS}\nnobody "$@"`, 'nobody', cmd, ...args], {
    ...opts,
    env: { ...publicEnv(), ...opts.env },
  });
}

/** bash prelude: S=svipc; `t CMD...` runs CMD and prints its output then `[rc=N]`; `ms` is the time in ms. */
export const SVIPC_PRELUDE = `S="$SVIPC"
t() { "$@"; echo "[rc=$?]"; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
`;

/** The exit codes that SVIPC_PRELUDE's `t` printed (`[rc=N]`), in order. */
export function exitCodes(stdout: string): number[] {
  return [...stdout.matchAll(/\[rc=(\d+)\]/g)].map((m) => Number(m[1]));
}

/**
 * A script's `LABELrc=N ms=M` line (the time from SVIPC_PRELUDE's `ms`): exit code `rc`, taking at
 * least `atLeast` ms and less than `below` where given (generous bounds: the machine may be loaded).
 */
export function expectTimedExit(
  stdout: string,
  rc: number,
  ms: { atLeast?: number; below?: number },
  label = '',
): void {
  const m = new RegExp(`${label}rc=(\\d+) ms=(\\d+)`).exec(stdout);
  expect(m, stdout).not.toBeNull();
  expect(Number(m![1])).toBe(rc);
  if (ms.atLeast !== undefined) expect(Number(m![2])).toBeGreaterThanOrEqual(ms.atLeast);
  if (ms.below !== undefined) expect(Number(m![2])).toBeLessThan(ms.below);
}

/** `inNamespace` with SVIPC_PRELUDE first. */
export function svipcInNamespace(script: string, opts: RunOptions = {}): Promise<RunResult> {
  return inNamespace(SVIPC_PRELUDE + script, opts);
}

/** A folder with ipcs, ipcmk and ipcrm symlinks to bin/svipc. */
export function linksDir(): string {
  const dir = join(ROOT, 'test/.links');
  if (!existsSync(join(dir, 'ipcrm'))) {
    mkdirSync(dir, { recursive: true });
    for (const n of ['ipcs', 'ipcmk', 'ipcrm']) spawnSync('ln', ['-sf', SVIPC, join(dir, n)]);
  }
  return dir;
}

let ccOk: boolean | undefined;
export function hasCompiler(): boolean {
  if (ccOk === undefined) ccOk = spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0;
  return ccOk;
}
export const CC_SKIP_REASON = 'no C compiler (cc): tests against the C peers skipped';

/**
 * Whether a suite's cases can run here: in a private IPC namespace (`ns`), against the C peers
 * (`cc`). What cannot is said on stderr once, as `LABEL e2e: <why>`, so no skip is silent.
 */
export function namespaceAndPeers(label: string): { ns: boolean; cc: boolean } {
  const ns = canUnshare();
  const cc = hasCompiler();
  if (!ns) console.warn(`${label} e2e: ${UNSHARE_SKIP_REASON}`);
  if (!cc) console.warn(`${label} e2e: ${CC_SKIP_REASON}`);
  return { ns, cc };
}

/** Compile test/peers/NAME.c to test/peers/bin/NAME (once, unless the source is newer). */
export function buildPeer(name: string): string {
  const src = join(PEERS_SRC, `${name}.c`);
  const bin = join(PEERS_BIN, name);
  mkdirSync(PEERS_BIN, { recursive: true });
  // Rebuilt when the source or any header beside it (the shared protocol headers) is newer.
  const headers = readdirSync(PEERS_SRC).filter((f) => f.endsWith('.h'));
  const newest = Math.max(statSync(src).mtimeMs, ...headers.map((h) => statSync(join(PEERS_SRC, h)).mtimeMs));
  if (!existsSync(bin) || statSync(bin).mtimeMs < newest) {
    const r = spawnSync('cc', ['-O2', '-Wall', '-o', bin, src], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cc ${name}.c failed:\n${r.stderr}`);
  }
  // And in the world-readable copy, for `runas` (copied whole, then renamed: workers race).
  const pub = join(publicRoot(), 'test/peers/bin', name);
  const tmp = `${pub}.${process.pid}`;
  copyFileSync(bin, tmp);
  chmodSync(tmp, 0o755);
  renameSync(tmp, pub);
  return bin;
}

/** The (type, id) of every object in the current namespace, from /proc/sysvipc. */
export function ipcObjects(): string[] {
  const out: string[] = [];
  for (const kind of ['msg', 'sem', 'shm']) {
    const lines = readFileSync(`/proc/sysvipc/${kind}`, 'utf8').trim().split('\n').slice(1);
    for (const l of lines) {
      const f = l.trim().split(/\s+/);
      out.push(`${kind}:${f[1]}`);
    }
  }
  return out;
}
