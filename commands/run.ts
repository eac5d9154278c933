// svipc run [--isolate] [--cleanup] [--json] -- CMD...: run a command, then report the IPC
// objects it left behind (and remove them with --cleanup).
//
// With --isolate, svipc re-executes itself under `unshare --ipc`: the command runs in a fresh
// IPC namespace, so every object there is the command's, nothing of the host is counted or
// touched, and whatever it leaves dies with the namespace. Without it (or where unshare is not
// permitted), objects are the ones that appeared in the host namespace while the command ran,
// which may include other processes' objects: --cleanup then removes only what appeared.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import type { CommandContext } from '../src/cli/context.js';
import { EXIT } from '../src/cli/exit.js';
import { NAMES } from '../src/cli/primitives.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { describeRecord, diffSnapshots, type Obj, takeSnapshot } from '../src/hygiene/snapshot.js';
import { isIpcError, MessageQueue, SemaphoreSet, SharedMemory } from '../src/ipc/index.js';
import { toJson } from '../src/render/json.js';

/** Set in the environment of the svipc re-executed inside the private namespace. */
const INSIDE_ENV = 'SVIPC_RUN_ISOLATED';

const FORWARD_DELAY_MS = 300;

interface RunOpts {
  isolate?: boolean;
  cleanup?: boolean;
  json?: boolean;
}

function unshareWorks(): boolean {
  const r = spawnSync('unshare', ['--ipc', 'true'], { stdio: 'ignore' });
  return r.status === 0;
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
  return new Promise((resolve, reject) => {
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
      resolve({ code, signal });
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
    if (r.kind === 'msg') new MessageQueue(id).remove();
    else if (r.kind === 'sem') new SemaphoreSet(id).remove();
    else new SharedMemory(id).remove();
    return null;
  } catch (e) {
    if (isIpcError(e, 'EINVAL', 'EIDRM')) return null; // Gone already.
    return isIpcError(e) ? e.message : String(e);
  }
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
  let result: { code: number | null; signal: NodeJS.Signals | null };
  try {
    result = await waitChild(ctx, spawn(cmd[0]!, cmd.slice(1), { stdio: 'inherit', env }));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    ctx.stderr.write(
      `${ctx.prog}: ${cmd[0]}: ${code === 'ENOENT' ? 'command not found' : (e as Error).message}\n`,
    );
    return code === 'ENOENT' ? 127 : 126;
  }
  const left = diffSnapshots(before, takeSnapshot(NAMES)).appeared;
  const removed: Obj[] = [];
  const failed: { object: Obj; error: string }[] = [];
  if (opts.cleanup) {
    for (const r of left) {
      const err = removeObject(r);
      if (err === null) removed.push(r);
      else failed.push({ object: r, error: err });
    }
  }
  const where = isolated ? 'in its private IPC namespace' : 'in this IPC namespace';
  if (opts.json) {
    ctx.stdout.write(
      toJson({
        schemaVersion: 1,
        command: cmd,
        isolated,
        exitCode: result.code,
        signal: result.signal,
        left,
        removed: removed.map((r) => ({ kind: r.kind!, id: r.id! })),
        removeFailed: failed.map((f) => ({ kind: f.object.kind!, id: f.object.id!, error: f.error })),
      }),
    );
  } else {
    const n = left.length;
    let text = `${ctx.prog}: the command left ${n === 0 ? 'no' : n} IPC object${n === 1 ? '' : 's'} ${where}${n > 0 ? ':' : ''}\n`;
    for (const r of left) text += `  ${describeRecord(r)}\n`;
    if (opts.cleanup && n > 0) text += `${ctx.prog}: removed ${removed.length} of them (--cleanup)\n`;
    for (const f of failed) text += `${ctx.prog}: could not remove ${describeRecord(f.object)}: ${f.error}\n`;
    if (isolated && n > 0 && !opts.cleanup)
      text += `${ctx.prog}: (they go with the namespace when svipc exits)\n`;
    ctx.stderr.write(text);
  }
  const code = exitCodeOf(result);
  if (code !== 0) return code;
  return left.length > 0 || failed.length > 0 ? EXIT.FAILED : EXIT.OK;
}

export async function run(ctx: CommandContext): Promise<number> {
  const program = newProgram(
    ctx,
    'Run CMD, then report every IPC object it left behind (and remove them with --cleanup).',
  )
    .argument('<cmd...>', 'the command and its arguments (after --)')
    .option(
      '--isolate',
      'run it in a private IPC namespace (unshare --ipc): nothing else is counted or touched',
    )
    .option('--cleanup', 'remove the objects it left')
    .option(
      '--json',
      'print the report as JSON on stdout: {"schemaVersion", "command", "isolated", "exitCode", "signal", "left", "removed", "removeFailed"}',
    )
    .passThroughOptions()
    .addHelpText(
      'after',
      '\nThe report goes to stderr (the command keeps stdout), or with --json to stdout after the\n' +
        "command's output. Without --isolate, objects that other processes make while CMD runs are\n" +
        'counted (and, with --cleanup, removed) too: prefer --isolate. --isolate needs the right to\n' +
        'make an IPC namespace (root); where that is refused, svipc says so and runs CMD in the host.\n' +
        '\nExample: svipc run --isolate --cleanup -- npm test\n' +
        "\nExit status: CMD's status when it failed (128+N when killed by signal N, 127 not found);\n" +
        '             else 1 when it left objects, 0 when it left none; 2 usage.\n',
    );
  program.action(
    action(program, async (cmd: string[], opts: RunOpts) => {
      if (opts.isolate && ctx.env[INSIDE_ENV] !== '1') {
        if (unshareWorks()) {
          const args = ['--ipc', '--', process.execPath, process.argv[1]!, 'run'];
          if (opts.cleanup) args.push('--cleanup');
          if (opts.json) args.push('--json');
          args.push('--', ...cmd);
          const child = spawn('unshare', args, { stdio: 'inherit', env: { ...ctx.env, [INSIDE_ENV]: '1' } });
          return exitCodeOf(await waitChild(ctx, child));
        }
        ctx.stderr.write(
          `${ctx.prog}: --isolate: unshare --ipc is not permitted here (making an IPC namespace needs root): ` +
            'running in the host IPC namespace instead, where objects other processes make meanwhile are counted too\n',
        );
        return runHere(ctx, cmd, opts, false);
      }
      return runHere(ctx, cmd, opts, ctx.env[INSIDE_ENV] === '1');
    }),
  );
  return runProgram(program, ctx);
}
