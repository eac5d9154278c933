// The machinery of `svipc tour`: a scratch folder, child processes of bin/svipc shown as the
// commands a student would type, checks, and a registry of every IPC object the tour made,
// so that whatever happens (a failed check, an exception, SIGINT) it removes those, and
// only those, before it exits.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandContext } from '../cli/context.js';
import { findCommand } from '../cli/registry.js';
import { isIpcError } from '../ipc/errors.js';
import { type IpcKind, KINDS } from '../ipc/kinds.js';
import { Tracer } from '../ipc/trace.js';
import { PACKAGE_ROOT } from '../package.js';
import { Children, type Finished, type Spawned } from './children.js';
import {
  claimedObjects,
  keyInUse,
  type Owned,
  type OwnedName,
  REGISTRY_FILE,
  type RegistryLine,
  removeOwned,
} from './objects.js';

/** Whether `svipc NAME` is a command of this svipc (a tour step may need one that is not). */
export function commandExists(name: string): boolean {
  return findCommand(name) !== undefined;
}

/** The guard (src/tour/guard.ts): cleans up after a tour that died without doing it. */
const GUARD = join(PACKAGE_ROOT, 'dist/src/tour/guard.js');

export type { Finished, Spawned } from './children.js';

export interface SpawnOpts {
  /** stdin from this file (path relative to the scratch folder). */
  stdinFile?: string;
  /** stdout to this file. */
  stdoutFile?: string;
  /** Shown with a trailing `&`, not waited for here. */
  background?: boolean;
  /** Give the child --trace (when the tour runs with --trace and the command has it). */
  traceable?: boolean;
  /** The C call(s) the command makes, in the lecture's words: shown after the command line. */
  c?: string;
  /** Failures this command is expected to trace (errno name -> why), marked as expected. */
  expected?: Expected;
}

/** errno name -> why that failure is expected here: `{ EAGAIN: 'IPC_NOWAIT: it would wait' }`. */
export type Expected = Readonly<Record<string, string>>;

/** A traced call that failed with an errno the step expects, marked so in the tour's output. */
export function markExpected(line: string, expected: Expected | undefined): string {
  const errno = / -> -1 (E[A-Z0-9]+)\b/.exec(line)?.[1];
  const why = errno === undefined ? undefined : expected?.[errno];
  return why === undefined ? line : `${line}   <- expected: ${why}`;
}

export class Aborted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Aborted';
  }
}

/** `q` at a --step pause: the tour stops, cleans up and exits 0. */
export class Quit extends Error {
  constructor() {
    super('stopped');
    this.name = 'Quit';
  }
}

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
  readonly #ownedKeys: { kind: IpcKind; key: number }[] = [];
  readonly #names: OwnedName[] = [];
  readonly #children = new Children();
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

  heading(n: number, total: number, title: string, slide: string): void {
    this.#held = [];
    this.out();
    this.out(this.#paint('1', `[${n}/${total}] ${title}`));
    this.out(`  ${this.#paint('2', `the lecture's slide ${slide}`)}`);
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
    this.say(`  $ ${this.commandLine(argv, o)}${o.c ? `   ${this.#paint('36', `# C: ${o.c}`)}` : ''}`);
    const spawned = this.#children.svipc(argv, {
      cwd: this.dir,
      env: this.ctx.env,
      ...(o.stdinFile ? { stdinPath: this.path(o.stdinFile) } : {}),
      ...(o.stdoutFile ? { stdoutPath: this.path(o.stdoutFile) } : {}),
      onLine: (line) => this.say(`    ${this.opts.trace ? markExpected(line, o.expected) : line}`),
    });
    // A child that says it created an object created it for the tour: owned at once.
    void spawned.done.then(
      (f) => this.#claim(f.stdout),
      () => {},
    );
    return spawned;
  }

  /** Run `svipc ARGS` to completion (abortable). */
  async run(args: readonly string[], o: SpawnOpts = {}): Promise<Finished> {
    return this.wait(this.spawn(args, o));
  }

  /** Wait for a spawned child, or throw Aborted at once on SIGINT/SIGTERM/SIGHUP. */
  wait(s: Spawned): Promise<Finished> {
    return this.abortable(s.done);
  }

  /** `p`, or Aborted at once on SIGINT/SIGTERM/SIGHUP. */
  abortable<T>(p: Promise<T>): Promise<T> {
    return new Promise((resolvePromise, reject) => {
      if (this.signal.aborted) return reject(new Aborted());
      const onAbort = () => reject(new Aborted());
      this.signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          this.signal.removeEventListener('abort', onAbort);
          resolvePromise(v);
        },
        (e) => {
          this.signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  /** A child the tour started itself (not `svipc ...`): stopped with the others at cleanup. */
  adopt(child: ChildProcess): Spawned {
    return this.#children.adopt(child);
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

  /**
   * With --trace, run `fn` (the tour's own IPC calls, in-process) with the tracer on, showing
   * each call as the children's are shown; expected failures marked. Without, just run it.
   */
  traced<T>(fn: (trace: Tracer | undefined) => T, expected?: Expected): T {
    if (!this.opts.trace) return fn(undefined);
    return fn(new Tracer((line) => this.say(`    ${markExpected(line, expected)}`), { prog: 'svipc tour' }));
  }

  /** A C call shown beside what the tour itself does (no svipc command does it yet). */
  call(c: string, what: string): void {
    this.say(`  ${this.#paint('36', `C: ${c}`)}   ${this.#paint('2', `(${what})`)}`);
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

  own(kind: IpcKind, id: number, key?: number): void {
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
    for (const { kind, id } of claimedObjects(stdout)) this.own(kind, id);
  }

  /** A POSIX name the tour's POSIX helper is about to create on the host (exclusively). */
  ownName(o: OwnedName): void {
    this.#names.push(o);
    this.#record({ op: 'ownName', ...o });
  }

  /**
   * A fresh key a child will create an object with (exclusively). At cleanup, an object
   * with that key is removed only if this user created it after the tour started.
   */
  ownKey(kind: IpcKind, key: number): void {
    this.#ownedKeys.push({ kind, key });
    this.#record({ op: 'ownKey', kind, key });
  }

  /** The tour removed it (or saw it removed): forget it. */
  disown(kind: IpcKind, id: number): void {
    const i = this.#owned.findIndex((o) => o.kind === kind && o.id === id);
    if (i >= 0) {
      this.#owned.splice(i, 1);
      if (existsSync(this.dir)) this.#record({ op: 'disown', kind, id });
    }
  }

  /** Remove an object the tour created (quietly, in-process). */
  remove(kind: IpcKind, id: number): void {
    try {
      KINDS[kind].remove(id);
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
    await this.#children.stopAll();
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
    this.#children.stopAllNow();
    this.#removeAll();
  };

  /** Arm the safety net (the tour calls this once it starts). */
  armExitCleanup(): void {
    process.on('exit', this.#onExit);
  }

  #removeAll(): string[] {
    const left = removeOwned(
      { owned: this.#owned.splice(0), ownedKeys: this.#ownedKeys.splice(0), names: this.#names.splice(0) },
      this.started,
    );
    rmSync(this.dir, { recursive: true, force: true });
    // The scratch folder is gone: the guard's stdin closes with nothing left to do.
    this.#guard?.stdin?.destroy();
    return left;
  }
}
