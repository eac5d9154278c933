// The tour's child processes: `svipc ARGS` started in the scratch folder with its output lines
// in the order it wrote them, other children adopted (the POSIX helper), and stopping them
// all (TERM, then KILL), asynchronously at cleanup or synchronously at process exit.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PARENT_PID_ENV } from '../ipc/process.js';
import { PACKAGE_ROOT } from '../package.js';

/** bin/svipc of this installation. */
export const SVIPC_BIN = join(PACKAGE_ROOT, 'bin/svipc');

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The output lines, in arrival order (stdout and stderr; stderr only when stdout went to a file). */
  lines: string[];
  /** stdout and stderr together, in order (unless stdout went to a file: then stderr). */
  output: string;
  /** Only what the launching shell itself said (a failed exec), or stderr when stdout went to a file. */
  stderr: string;
  /** stdout alone (empty when it went to a file). */
  stdout: string;
}

export interface Spawned {
  pid: number;
  child: ChildProcess;
  done: Promise<Finished>;
}

export interface StartOpts {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** stdin from this file (an absolute path), else /dev/null. */
  stdinPath?: string;
  /** stdout to this file (an absolute path), else a pipe shared with stderr. */
  stdoutPath?: string;
  /** Each output line, as it comes. */
  onLine(line: string): void;
}

export class Children {
  readonly #set = new Set<Spawned>();

  /** Start `svipc ARGV` (it dies with the tour, even a SIGKILLed one: main.ts, process.ts). */
  svipc(argv: readonly string[], o: StartOpts): Spawned {
    const fds: number[] = [];
    const inFd = o.stdinPath ? openSync(o.stdinPath, 'r') : 'ignore';
    const outFd = o.stdoutPath ? openSync(o.stdoutPath, 'w') : 'pipe';
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
      cwd: o.cwd,
      stdio: [inFd, outFd, 'pipe'],
      env: { ...o.env, NO_COLOR: '1', SVIPC_TOUR: '1', [PARENT_PID_ENV]: String(process.pid) },
    });
    for (const fd of fds) closeSync(fd);
    const lines: string[] = [];
    const text = { out: '', err: '' };
    const partial = { out: '', err: '' };
    const show = (line: string) => {
      lines.push(line);
      o.onLine(line);
    };
    const feed = (which: 'out' | 'err', chunk: Buffer) => {
      const s = chunk.toString();
      text[which] += s;
      const parts = (partial[which] + s).split('\n');
      partial[which] = parts.pop()!;
      for (const l of parts) show(l);
    };
    child.stdout?.on('data', (c: Buffer) => feed('out', c));
    child.stderr?.on('data', (c: Buffer) => feed('err', c));
    return this.#track(child, (code, signal) => {
      for (const w of ['out', 'err'] as const) if (partial[w]) show(partial[w]);
      return { code, signal, lines, output: text.out + text.err, stderr: text.err, stdout: text.out };
    });
  }

  /** A child started elsewhere (its streams are the caller's): stopped with the others. */
  adopt(child: ChildProcess): Spawned {
    return this.#track(child, (code, signal) => ({
      code,
      signal,
      lines: [],
      output: '',
      stderr: '',
      stdout: '',
    }));
  }

  #track(
    child: ChildProcess,
    finish: (code: number | null, signal: NodeJS.Signals | null) => Finished,
  ): Spawned {
    const done = new Promise<Finished>((resolvePromise, reject) => {
      child.on('error', (e) => {
        this.#set.delete(spawned);
        reject(e);
      });
      child.on('close', (code, signal) => {
        this.#set.delete(spawned);
        resolvePromise(finish(code, signal));
      });
    });
    done.catch(() => {}); // a failed start is the caller's to report, through its own waits
    const spawned: Spawned = { pid: child.pid ?? -1, child, done };
    this.#set.add(spawned);
    return spawned;
  }

  /** TERM every child, give them 700 ms, KILL the rest, wait 200 ms more for them to go. */
  async stopAll(): Promise<void> {
    const kids = [...this.#set];
    if (kids.length === 0) return;
    for (const k of kids) k.child.kill('SIGTERM');
    const t0 = performance.now();
    while (this.#set.size > 0 && performance.now() - t0 < 700) await new Promise((r) => setTimeout(r, 10));
    for (const k of this.#set) k.child.kill('SIGKILL');
    const t1 = performance.now();
    while (this.#set.size > 0 && performance.now() - t1 < 200) await new Promise((r) => setTimeout(r, 10));
  }

  /** The same, synchronously (from process 'exit'): TERM, 300 ms, KILL. */
  stopAllNow(): void {
    const pids = [...this.#set].map((k) => k.pid).filter((p) => p > 0);
    for (const pid of pids) signalPid(pid, 'SIGTERM');
    const end = performance.now() + 300;
    const nap = new Int32Array(new SharedArrayBuffer(4));
    while (pids.some(running) && performance.now() < end) Atomics.wait(nap, 0, 0, 5);
    for (const pid of pids.filter(running)) signalPid(pid, 'SIGKILL');
  }
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
