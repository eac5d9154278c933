// The machinery of `svipc tour`: a scratch folder, child processes of bin/svipc shown as the
// commands a student would type, checks, and a registry of every IPC object the tour made,
// so that whatever happens (a failed check, an exception, SIGINT) it removes those, and
// only those, before it exits.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandContext } from '../cli/context.js';
import { findCommand } from '../cli/registry.js';
import { isIpcError } from '../ipc/index.js';
import { type IpcKind, KINDS } from '../ipc/kinds.js';
import { PARENT_PID_ENV } from '../ipc/process.js';
import { PACKAGE_ROOT } from '../package.js';

/** bin/svipc of this installation. */
export const SVIPC_BIN = join(PACKAGE_ROOT, 'bin/svipc');

/** Whether `svipc NAME` is a command of this svipc (a tour step may need one that is not). */
export function commandExists(name: string): boolean {
  return findCommand(name) !== undefined;
}

/** The tour's name for the kind of an object (the one declared in src/ipc/inventory.ts). */
export type Kind = IpcKind;

/** The guard (src/tour/guard.ts): cleans up after a tour that died without doing it. */
const GUARD = join(PACKAGE_ROOT, 'dist/src/tour/guard.js');

/** In the scratch folder: the registry, one JSON line per change, for the guard. */
export const REGISTRY_FILE = '.owned.jsonl';

/** A line of the registry. */
export type RegistryLine =
  | { op: 'own'; kind: Kind; id: number; key?: number }
  | { op: 'disown'; kind: Kind; id: number }
  | { op: 'ownKey'; kind: Kind; key: number };

/** An object the tour created, known by id (and, when made with a key, by key). */
export interface Owned {
  kind: Kind;
  id: number;
  key?: number;
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The output lines, in arrival order (stdout and stderr; stderr only when stdout went to a file). */
  lines: string[];
  /** stdout and stderr together, in order (unless stdout went to a file: then stderr). */
  output: string;
  /** Only what the launching shell itself said (a failed exec), or stderr when stdout went to a file. */
  stderr: string;
}

export interface Spawned {
  pid: number;
  child: ChildProcess;
  done: Promise<Finished>;
}

export interface SpawnOpts {
  /** stdin from this file (path relative to the scratch folder). */
  stdinFile?: string;
  /** stdout to this file. */
  stdoutFile?: string;
  /** Shown with a trailing `&`, not waited for here. */
  background?: boolean;
  /** Give the child --trace (when the tour runs with --trace and the command has it). */
  traceable?: boolean;
}

export class Aborted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Aborted';
  }
}

export class TourFailure extends Error {}

const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;
export function shellQuote(s: string): string {
  return SHELL_SAFE.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function hexKey(key: number): string {
  return `0x${(key >>> 0).toString(16).padStart(8, '0')}`;
}

export class Tour {
  readonly dir: string;
  readonly started = Math.floor(Date.now() / 1000);
  passed = 0;
  failed = 0;
  skipped = 0;
  readonly #owned: Owned[] = [];
  /** Keys handed to a child that creates the object itself (svshm-writer). */
  readonly #ownedKeys: { kind: Kind; key: number }[] = [];
  readonly #children = new Set<Spawned>();
  readonly #color: boolean;
  #guard: ChildProcess | undefined;
  /** With --quiet: what the current step said, shown if one of its checks fails. */
  #held: string[] = [];

  constructor(
    readonly ctx: CommandContext,
    readonly opts: { trace?: boolean; quiet?: boolean },
    color: boolean,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'svipc-tour-'));
    this.#color = color;
  }

  /**
   * Start the guard: a process that waits for the tour to end. The tour tells it nothing but
   * where the registry is: if the tour dies without cleaning up (SIGKILL), the guard's stdin
   * closes, and it removes what the registry says the tour made, then the scratch folder.
   * Its children die with it by themselves (PR_SET_PDEATHSIG, see spawn).
   */
  startGuard(): void {
    if (!existsSync(GUARD)) return;
    this.#guard = spawn(process.execPath, [GUARD, this.dir, String(this.started)], {
      stdio: ['pipe', 'ignore', 'inherit'],
      env: { ...this.ctx.env, NO_COLOR: '1' },
    });
    this.#guard.on('error', () => {});
    this.#guard.stdin?.on('error', () => {});
  }

  #record(line: RegistryLine): void {
    // Synchronous: on the disk before the object is trusted, whatever kills the tour next.
    appendFileSync(this.path(REGISTRY_FILE), `${JSON.stringify(line)}\n`);
  }

  get signal(): AbortSignal {
    return this.ctx.signal;
  }

  checkAbort(): void {
    if (this.ctx.signal.aborted) throw new Aborted();
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  // ---- output -------------------------------------------------------------------------

  #paint(code: string, s: string): string {
    return this.#color ? `\x1b[${code}m${s}\x1b[0m` : s;
  }

  out(line = ''): void {
    this.ctx.stdout.write(`${line}\n`);
  }

  /** Explanations and commands: held back by --quiet, and shown only before a failed check. */
  say(line = ''): void {
    if (!this.opts.quiet) this.out(line);
    else this.#held.push(line);
  }

  heading(n: number, total: number, title: string): void {
    this.#held = [];
    this.out();
    this.out(this.#paint('1', `[${n}/${total}] ${title}`));
  }

  note(text: string): void {
    if (!this.opts.quiet) this.out(`  ${this.#paint('2', text)}`);
  }

  check(ok: boolean, what: string, detail?: string): boolean {
    if (ok) {
      this.#held = [];
      this.passed++;
      this.out(`  ${this.#paint('32', 'ok')}   ${what}`);
    } else {
      for (const line of this.#held.splice(0)) this.out(line);
      this.failed++;
      this.out(`  ${this.#paint('31', 'FAIL')} ${what}${detail ? `: ${detail}` : ''}`);
    }
    return ok;
  }

  skip(what: string): void {
    this.skipped++;
    this.out(`  ${this.#paint('33', 'skip')} ${what}`);
  }

  // ---- child processes ----------------------------------------------------------------

  /** The command line a student would type for these arguments. */
  commandLine(args: readonly string[], o: SpawnOpts = {}): string {
    let line = ['svipc', ...args].map(shellQuote).join(' ');
    if (o.stdinFile) line += ` < ${shellQuote(o.stdinFile)}`;
    if (o.stdoutFile) line += ` > ${shellQuote(o.stdoutFile)}`;
    if (o.background) line += ' &';
    return line;
  }

  /** Start `svipc ARGS` in the scratch folder, echoing the command line. */
  spawn(args: readonly string[], o: SpawnOpts = {}): Spawned {
    this.checkAbort();
    const argv = o.traceable && this.opts.trace ? [args[0]!, '--trace', ...args.slice(1)] : [...args];
    this.say(`  $ ${this.commandLine(argv, o)}`);
    const fds: number[] = [];
    const inFd = o.stdinFile ? openSync(this.path(o.stdinFile), 'r') : 'ignore';
    const outFd = o.stdoutFile ? openSync(this.path(o.stdoutFile), 'w') : 'pipe';
    if (typeof inFd === 'number') fds.push(inFd);
    if (typeof outFd === 'number') fds.push(outFd);
    // Unless stdout goes to a file, stdout and stderr share one pipe (through sh's 2>&1,
    // then exec: the child's pid is svipc's), so that the lines come in the order the
    // command wrote them, as on a terminal (--trace lines between the demo's own).
    const [cmd, cmdArgs] =
      typeof outFd === 'number'
        ? [process.execPath, [SVIPC_BIN, ...argv]]
        : ['/bin/sh', ['-c', 'exec "$@" 2>&1', 'sh', process.execPath, SVIPC_BIN, ...argv]];
    const child = spawn(cmd, cmdArgs, {
      cwd: this.dir,
      stdio: [inFd, outFd, 'pipe'],
      // The child dies with the tour, even a SIGKILLed one (src/cli/main.ts, process.ts).
      env: { ...this.ctx.env, NO_COLOR: '1', SVIPC_TOUR: '1', [PARENT_PID_ENV]: String(process.pid) },
    });
    for (const fd of fds) closeSync(fd);
    const lines: string[] = [];
    let stdout = '';
    let stderr = '';
    const partial = { out: '', err: '' };
    const show = (line: string) => {
      lines.push(line);
      this.say(`    ${line}`);
    };
    const feed = (which: 'out' | 'err', chunk: Buffer) => {
      const text = chunk.toString();
      if (which === 'out') stdout += text;
      else stderr += text;
      const parts = (partial[which] + text).split('\n');
      partial[which] = parts.pop()!;
      for (const l of parts) show(l);
    };
    child.stdout?.on('data', (c: Buffer) => feed('out', c));
    child.stderr?.on('data', (c: Buffer) => feed('err', c));
    const done = new Promise<Finished>((resolvePromise, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        for (const w of ['out', 'err'] as const) if (partial[w]) show(partial[w]);
        this.#claim(stdout);
        this.#children.delete(spawned);
        resolvePromise({ code, signal, lines, output: stdout + stderr, stderr });
      });
    });
    const spawned: Spawned = { pid: child.pid ?? -1, child, done };
    this.#children.add(spawned);
    return spawned;
  }

  /** Run `svipc ARGS` to completion (abortable). */
  async run(args: readonly string[], o: SpawnOpts = {}): Promise<Finished> {
    return this.wait(this.spawn(args, o));
  }

  /** Wait for a spawned child, or throw Aborted at once on SIGINT/SIGTERM/SIGHUP. */
  wait(s: Spawned): Promise<Finished> {
    return new Promise((resolvePromise, reject) => {
      if (this.signal.aborted) return reject(new Aborted());
      const onAbort = () => reject(new Aborted());
      this.signal.addEventListener('abort', onAbort, { once: true });
      s.done.then(
        (f) => {
          this.signal.removeEventListener('abort', onAbort);
          resolvePromise(f);
        },
        (e) => {
          this.signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  /** Poll `cond` every 10 ms until true (returns true) or `ms` elapse (false). Abortable. */
  async until(cond: () => boolean, ms: number): Promise<boolean> {
    const end = performance.now() + ms;
    for (;;) {
      this.checkAbort();
      if (cond()) return true;
      if (performance.now() > end) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  // ---- IPC objects --------------------------------------------------------------------

  /** Whether an object of any kind has `key` now. */
  keyInUse(key: number): boolean {
    return keyInUse(key);
  }

  /** A key no object of any kind has now (the tour then creates it exclusively). */
  freshKey(): number {
    for (;;) {
      const key = (0x10000000 + Math.floor(Math.random() * 0x6fffffff)) | 0;
      if (!keyInUse(key)) return key;
    }
  }

  own(kind: Kind, id: number, key?: number): void {
    const known = this.#owned.find((o) => o.kind === kind && o.id === id);
    if (known) {
      if (key !== undefined && known.key !== key) {
        known.key = key;
        this.#record({ op: 'own', kind, id, key });
      }
      return;
    }
    const o: Owned = key === undefined ? { kind, id } : { kind, id, key };
    this.#owned.push(o);
    this.#record({ op: 'own', ...o });
  }

  /**
   * A child of the tour that says it created an object (svsem-demo INIT, ipcmk) created it
   * for the tour: own it at once, so that an interrupted step still removes it.
   */
  #claim(stdout: string): void {
    const patterns: [Kind, RegExp][] = [
      ['sem', /^semaphore ID = (\d+)$/gm],
      ['sem', /^Semaphore id: (\d+)$/gm],
      ['shm', /^Shared memory id: (\d+)$/gm],
      ['msg', /^Message queue id: (\d+)$/gm],
    ];
    for (const [kind, re] of patterns) for (const m of stdout.matchAll(re)) this.own(kind, Number(m[1]));
  }

  /**
   * A fresh key a child will create an object with (exclusively). At cleanup, an object
   * with that key is removed only if this user created it after the tour started.
   */
  ownKey(kind: Kind, key: number): void {
    this.#ownedKeys.push({ kind, key });
    this.#record({ op: 'ownKey', kind, key });
  }

  /** The tour removed it (or saw it removed): forget it. */
  disown(kind: Kind, id: number): void {
    const i = this.#owned.findIndex((o) => o.kind === kind && o.id === id);
    if (i >= 0) {
      this.#owned.splice(i, 1);
      if (existsSync(this.dir)) this.#record({ op: 'disown', kind, id });
    }
  }

  /** Remove an object the tour created (quietly, in-process). */
  remove(kind: Kind, id: number): void {
    try {
      removeObject(kind, id);
    } catch (e) {
      if (!isIpcError(e, 'EINVAL', 'EIDRM')) throw e;
    }
    this.disown(kind, id);
  }

  /**
   * Everything left: stop the children (TERM, then KILL), remove the objects the tour made
   * that still exist (an id is only trusted while its key, when it had one, still matches),
   * remove the scratch folder. Quick: runs within the launcher's 1.5 s signal grace.
   */
  async cleanup(): Promise<string[]> {
    const kids = [...this.#children];
    for (const k of kids) k.child.kill('SIGTERM');
    if (kids.length > 0) {
      const t0 = performance.now();
      while (this.#children.size > 0 && performance.now() - t0 < 700)
        await new Promise((r) => setTimeout(r, 10));
      for (const k of this.#children) k.child.kill('SIGKILL');
      const t1 = performance.now();
      while (this.#children.size > 0 && performance.now() - t1 < 200)
        await new Promise((r) => setTimeout(r, 10));
    }
    const left = this.#removeAll();
    process.removeListener('exit', this.#onExit);
    return left;
  }

  /**
   * The safety net: when the process exits before cleanup() ran to its end (the launcher
   * exits at once on EPIPE, as in `svipc tour | head`, and 1.5 s after a signal at the
   * latest), do the same synchronously: TERM the children, give them 300 ms to go, KILL
   * the rest, remove what the tour made.
   */
  readonly #onExit = (): void => {
    const pids = [...this.#children].map((k) => k.pid).filter((p) => p > 0);
    for (const pid of pids) signalPid(pid, 'SIGTERM');
    const end = performance.now() + 300;
    const nap = new Int32Array(new SharedArrayBuffer(4));
    while (pids.some(running) && performance.now() < end) Atomics.wait(nap, 0, 0, 5);
    for (const pid of pids.filter(running)) signalPid(pid, 'SIGKILL');
    this.#removeAll();
  };

  /** Arm the safety net (the tour calls this once it starts). */
  armExitCleanup(): void {
    process.on('exit', this.#onExit);
  }

  #removeAll(): string[] {
    const left = removeOwned(this.#owned.splice(0), this.#ownedKeys.splice(0), this.started);
    rmSync(this.dir, { recursive: true, force: true });
    // The scratch folder is gone: the guard's stdin closes with nothing left to do.
    this.#guard?.stdin?.destroy();
    return left;
  }
}

/**
 * Remove objects a tour made that still exist: an id is only trusted while its key, when it
 * had one, still matches; a key only when its object was created by this user after the tour
 * started. Returns what was removed ("msg 3").
 */
export function removeOwned(
  owned: readonly Owned[],
  ownedKeys: readonly { kind: Kind; key: number }[],
  started: number,
): string[] {
  const left: string[] = [];
  for (const o of owned) {
    try {
      if (o.key !== undefined && keyOf(o.kind, o.id) !== (o.key | 0)) continue;
      removeObject(o.kind, o.id);
      left.push(`${o.kind} ${o.id}`);
    } catch {
      // gone already
    }
  }
  for (const { kind, key } of ownedKeys) {
    try {
      const id = idOfKey(kind, key);
      if (id === undefined) continue;
      const perm = statPerm(kind, id);
      if (perm.cuid !== process.getuid?.() || perm.ctime < started - 1) continue;
      removeObject(kind, id);
      left.push(`${kind} ${id}`);
    } catch {
      // gone already, or not ours
    }
  }
  return left;
}

function signalPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}

/** Whether `pid` still runs (not gone, not a zombie waiting to be reaped). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function keyInUse(key: number): boolean {
  for (const kind of ['shm', 'sem', 'msg'] as const) {
    try {
      KINDS[kind].idOfKey(key);
      return true;
    } catch (e) {
      if (!isIpcError(e, 'ENOENT')) return true; // EACCES: someone's object: in use
    }
  }
  return false;
}

/** The id of the object of this kind that has `key` now, or undefined. */
export function idOfKey(kind: Kind, key: number): number | undefined {
  try {
    return KINDS[kind].idOfKey(key);
  } catch (e) {
    if (isIpcError(e, 'ENOENT')) return undefined;
    throw e;
  }
}

/** Whether the object `id` of this kind exists. */
export function exists(kind: Kind, id: number): boolean {
  try {
    keyOf(kind, id);
    return true;
  } catch (e) {
    if (isIpcError(e, 'EINVAL', 'EIDRM')) return false;
    throw e;
  }
}

function statPerm(kind: Kind, id: number): { cuid: number; ctime: number } {
  const ds = KINDS[kind].stat(id);
  return { cuid: ds.perm.cuid, ctime: ds.ctime };
}

function keyOf(kind: Kind, id: number): number {
  return KINDS[kind].stat(id).perm.key | 0;
}

function removeObject(kind: Kind, id: number): void {
  KINDS[kind].remove(id);
}
