// svipc run [--isolate] [--cleanup] [--json] [--report FILE] -- CMD...: run a command, then
// report the IPC objects it left behind (and remove its own with --cleanup).
//
// stdout is the command's alone: the report goes to stderr (text, or JSON with --json) and,
// with --report FILE, as JSON to FILE.
//
// With --isolate, svipc re-executes itself under unshare(1): the command runs in a fresh IPC
// namespace (for a user other than root, inside a user namespace too), so every object there
// is the command's, nothing of the host is counted or touched, and whatever it leaves dies
// with the namespace. When no namespace can be made, --isolate fails and says why: it never
// falls back to the host.
//
// Without it, objects are the ones that appeared in the host namespace while the command ran,
// which may include other processes' objects. --cleanup there removes only what it can prove
// the command made: a segment whose creator pid (the kernel records one for segments only)
// is the command or one of its descendants. svipc watches the process tree while the command
// runs (/proc, every 50 ms, as a child subreaper so that orphans stay in the tree). Queues and
// semaphore sets have no creator pid: they are reported, never removed, and so is a segment
// whose creator svipc did not see.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { CommandContext } from '../src/cli/context.js';
import { CommandError, EXIT } from '../src/cli/exit.js';
import { NAMES } from '../src/cli/primitives.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { describeRecord, diffSnapshots, type Obj, takeSnapshot } from '../src/hygiene/snapshot.js';
import { isIpcError } from '../src/ipc/index.js';
import { type IpcKind, KINDS } from '../src/ipc/kinds.js';
import { becomeSubreaper } from '../src/ipc/process.js';
import { toJson } from '../src/render/json.js';

/** Set in the environment of the svipc re-executed inside the private namespace. */
const INSIDE_ENV = 'SVIPC_RUN_ISOLATED';

const FORWARD_DELAY_MS = 300;
const WATCH_INTERVAL_MS = 50;

interface RunOpts {
  isolate?: boolean;
  cleanup?: boolean;
  json?: boolean;
  report?: string;
}

/** The first executable NAME on PATH, or null. */
function onPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, name);
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * unshare's arguments for a private IPC namespace: root makes one directly; another user
 * inside a user namespace of its own where the kernel allows it (mapped to root there).
 * Throws, naming the cause, when no namespace can be made.
 */
function isolation(ctx: CommandContext): { unshare: string; args: string[] } {
  const unshare = onPath('unshare', ctx.env);
  if (unshare === null) {
    throw new CommandError(
      `--isolate: unshare not found on PATH (it comes with util-linux): cannot make a private IPC namespace`,
    );
  }
  const args = process.geteuid?.() === 0 ? ['--ipc'] : ['--user', '--map-root-user', '--ipc'];
  const probe = spawnSync(unshare, [...args, 'true'], { encoding: 'utf8', env: ctx.env });
  if (probe.status !== 0) {
    const why =
      (probe.stderr ?? '').trim().split('\n')[0] || probe.error?.message || `exit status ${probe.status}`;
    throw new CommandError(
      `--isolate: cannot make a private IPC namespace: not permitted (needs root, or user namespaces, which this system refuses): ${why}`,
    );
  }
  return { unshare, args };
}

/**
 * Wait for a child, passing on SIGINT/SIGTERM/SIGHUP that reach us. Passed on after a moment
 * only: a Ctrl-C on a terminal reaches the whole process group, child included, and a second
 * SIGINT would cut short the child's own cleanup.
 */
function waitChild(
  ctx: CommandContext,
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolvePromise, reject) => {
    let exited = false;
    const forward = () => {
      const sig = String(ctx.signal.reason) as NodeJS.Signals;
      setTimeout(() => {
        if (!exited) child.kill(['SIGINT', 'SIGTERM', 'SIGHUP'].includes(sig) ? sig : 'SIGTERM');
      }, FORWARD_DELAY_MS).unref();
    };
    ctx.signal.addEventListener('abort', forward, { once: true });
    child.on('error', (e) => {
      ctx.signal.removeEventListener('abort', forward);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      exited = true;
      ctx.signal.removeEventListener('abort', forward);
      resolvePromise({ code, signal });
    });
  });
}

function exitCodeOf(r: { code: number | null; signal: NodeJS.Signals | null }): number {
  if (r.signal) return 128 + ((constants.signals as Record<string, number>)[r.signal] ?? 0);
  return r.code ?? EXIT.FAILED;
}

function removeObject(r: Obj): string | null {
  const id = Number(r.id);
  try {
    const entry = Object.hasOwn(KINDS, String(r.kind)) ? KINDS[r.kind as IpcKind] : undefined;
    if (entry === undefined) return `svipc cannot remove an object of kind ${String(r.kind)}`;
    entry.remove(id);
    return null;
  } catch (e) {
    if (isIpcError(e, 'EINVAL', 'EIDRM')) return null; // Gone already.
    return isIpcError(e) ? e.message : String(e);
  }
}

/** Every process's parent, from /proc/PID/stat. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      map.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  return map;
}

/**
 * The pids of the command and its descendants, gathered while it runs. svipc is a child
 * subreaper, so a descendant whose parent exits is re-parented to svipc, not to init: every
 * process whose chain of parents reaches svipc is the command's. One that lived and died
 * between two looks is not seen (its objects are then not proven the command's).
 */
class ProcessTree {
  readonly pids = new Set<number>();
  #timer: NodeJS.Timeout | undefined;

  start(): void {
    this.#timer = setInterval(() => this.look(), WATCH_INTERVAL_MS);
  }

  look(): void {
    const ppid = parents();
    for (const pid of ppid.keys()) {
      const chain: number[] = [];
      let p: number | undefined = pid;
      while (p !== undefined && p > 1 && p !== process.pid && !this.pids.has(p) && chain.length < 4096) {
        chain.push(p);
        p = ppid.get(p);
      }
      if (p === process.pid || (p !== undefined && this.pids.has(p))) for (const c of chain) this.pids.add(c);
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.look();
  }
}

const KIND_NAMES: Record<string, string> = {
  msg: 'message queues',
  sem: 'semaphore sets',
};

/** Why an object that appeared is, or is not, provably the command's: null when it is. */
function notProvenWhy(r: Obj, isolated: boolean, tree: ProcessTree): string | null {
  if (isolated) return null; // The namespace was made for the command: everything in it is its.
  if (r.kind !== 'shm') {
    return `the kernel records no creator pid for ${KIND_NAMES[String(r.kind)]}: svipc cannot prove the command made it (--isolate can)`;
  }
  const cpid = Number(r.cpid);
  if (tree.pids.has(cpid)) return null;
  return `its creator, pid ${cpid}, is not the command or one of its processes (that svipc saw)`;
}

interface Report {
  left: Obj[];
  removed: Obj[];
  failed: { object: Obj; error: string }[];
  kept: { object: Obj; reason: string }[];
}

function reportJson(
  cmd: string[],
  isolated: boolean,
  result: { code: number | null; signal: NodeJS.Signals | null },
  rep: Report,
  cleanup: boolean,
): string {
  const ref = (r: Obj) => ({ kind: r.kind!, id: r.id! });
  return toJson({
    schemaVersion: 1,
    command: cmd,
    isolated,
    exitCode: result.code,
    signal: result.signal,
    left: rep.left,
    removed: rep.removed.map(ref),
    removeFailed: rep.failed.map((f) => ({ ...ref(f.object), error: f.error })),
    notRemoved: cleanup ? rep.kept.map((k) => ({ ...ref(k.object), reason: k.reason })) : [],
  });
}

function reportText(ctx: CommandContext, isolated: boolean, rep: Report, cleanup: boolean): string {
  const where = isolated ? 'in its private IPC namespace' : 'in this IPC namespace';
  const n = rep.left.length;
  let text = `${ctx.prog}: the command left ${n === 0 ? 'no' : n} IPC object${n === 1 ? '' : 's'} ${where}${n > 0 ? ':' : ''}\n`;
  for (const r of rep.left) text += `  ${describeRecord(r)}\n`;
  if (cleanup && n > 0) text += `${ctx.prog}: removed ${rep.removed.length} of them (--cleanup)\n`;
  for (const f of rep.failed)
    text += `${ctx.prog}: could not remove ${describeRecord(f.object)}: ${f.error}\n`;
  if (cleanup) {
    for (const k of rep.kept)
      text += `${ctx.prog}: left ${describeRecord(k.object).split(':')[0]}: ${k.reason}\n`;
  }
  if (isolated && n > 0 && !cleanup) text += `${ctx.prog}: (they go with the namespace when svipc exits)\n`;
  return text;
}

/** Run CMD here, in this namespace, and report. */
async function runHere(
  ctx: CommandContext,
  cmd: string[],
  opts: RunOpts,
  isolated: boolean,
): Promise<number> {
  const before = takeSnapshot(NAMES);
  const env = { ...ctx.env };
  delete env[INSIDE_ENV];
  const tree = new ProcessTree();
  if (!isolated) becomeSubreaper();
  let result: { code: number | null; signal: NodeJS.Signals | null };
  try {
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: 'inherit', env });
    if (!isolated) {
      if (child.pid !== undefined) tree.pids.add(child.pid);
      tree.start();
    }
    result = await waitChild(ctx, child);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    ctx.stderr.write(
      `${ctx.prog}: ${cmd[0]}: ${code === 'ENOENT' ? 'command not found' : (e as Error).message}\n`,
    );
    return code === 'ENOENT' ? 127 : 126;
  } finally {
    if (!isolated) tree.stop();
  }
  const rep: Report = {
    left: diffSnapshots(before, takeSnapshot(NAMES)).appeared,
    removed: [],
    failed: [],
    kept: [],
  };
  if (opts.cleanup) {
    for (const r of rep.left) {
      const why = notProvenWhy(r, isolated, tree);
      if (why !== null) {
        rep.kept.push({ object: r, reason: why });
        continue;
      }
      const err = removeObject(r);
      if (err === null) rep.removed.push(r);
      else rep.failed.push({ object: r, error: err });
    }
  }
  if (opts.report) {
    try {
      writeFileSync(opts.report, reportJson(cmd, isolated, result, rep, !!opts.cleanup));
    } catch (e) {
      throw new CommandError(`--report ${opts.report}: ${(e as Error).message}`);
    }
  }
  ctx.stderr.write(
    opts.json
      ? reportJson(cmd, isolated, result, rep, !!opts.cleanup)
      : reportText(ctx, isolated, rep, !!opts.cleanup),
  );
  const code = exitCodeOf(result);
  if (code !== 0) return code;
  return rep.left.length > 0 || rep.failed.length > 0 ? EXIT.FAILED : EXIT.OK;
}

export async function run(ctx: CommandContext): Promise<number> {
  const program = newProgram(
    ctx,
    'Run CMD, then report every IPC object it left behind (and remove its own with --cleanup).',
  )
    .argument('<cmd...>', 'the command and its arguments (after --)')
    .option(
      '--isolate',
      'run it in a private IPC namespace (unshare): nothing else is counted or touched; fails when none can be made',
    )
    .option('--cleanup', 'remove the objects it left that are provably its own')
    .option(
      '--json',
      'the report on stderr as JSON: {"schemaVersion", "command", "isolated", "exitCode", "signal", "left", "removed", "removeFailed", "notRemoved"}',
    )
    .option('--report <file>', 'also write the JSON report to FILE')
    .passThroughOptions()
    .addHelpText(
      'after',
      "\nstdout is the command's alone. The report goes to stderr (text, or JSON with --json);\n" +
        "--report FILE writes the JSON report to FILE, apart from the command's output.\n" +
        '\n--isolate runs CMD in a fresh IPC namespace (root: unshare --ipc; other users: unshare\n' +
        '--user --map-root-user --ipc, where the kernel allows user namespaces). If none can be\n' +
        'made, svipc says why (unshare not found on PATH, or not permitted) and exits 1: it never\n' +
        'falls back to the host.\n' +
        '\nWithout --isolate, objects other processes make while CMD runs appear too. --cleanup then\n' +
        'removes only segments whose creator pid is CMD or one of its descendants (svipc watches\n' +
        'its process tree); queues and semaphore sets have no creator pid: they are reported as\n' +
        'left, with the reason, never removed. Prefer --isolate.\n' +
        '\nExample: svipc run --isolate --cleanup --report ipc.json -- npm test\n' +
        "\nExit status: CMD's status when it failed (128+N when killed by signal N, 127 not found);\n" +
        '             else 1 when it left objects (removed or not), 0 when it left none;\n' +
        '             1 when --isolate cannot isolate or the report cannot be written; 2 usage.\n',
    );
  program.action(
    action(program, async (cmd: string[], opts: RunOpts) => {
      // The inner svipc runs in the same folder, but the report's path is made absolute once.
      if (opts.report) opts.report = resolve(opts.report);
      if (opts.isolate && ctx.env[INSIDE_ENV] !== '1') {
        const { unshare, args } = isolation(ctx);
        const inner = [...args, '--', process.execPath, process.argv[1]!, 'run'];
        if (opts.cleanup) inner.push('--cleanup');
        if (opts.json) inner.push('--json');
        if (opts.report) inner.push('--report', opts.report);
        inner.push('--', ...cmd);
        const child = spawn(unshare, inner, { stdio: 'inherit', env: { ...ctx.env, [INSIDE_ENV]: '1' } });
        return exitCodeOf(await waitChild(ctx, child));
      }
      return runHere(ctx, cmd, opts, ctx.env[INSIDE_ENV] === '1');
    }),
  );
  return runProgram(program, ctx);
}
