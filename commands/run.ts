// svipc run [--isolate] [--cleanup] [--json] [--report FILE] -- CMD...: run a command, then
// report the IPC objects, System V and POSIX, it left behind (and remove its own with --cleanup).
// stdout is the command's alone: the report goes to stderr (text, or JSON with --json) and,
// with --report FILE, as JSON to FILE. The rules: src/hygiene/run.ts and isolate.ts.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { CommandContext } from '../src/cli/context.js';
import { NAMES } from '../src/cli/primitives.js';
import { defineCommand } from '../src/cli/spec.js';
import { INSIDE_ENV, isolatedCommand } from '../src/hygiene/isolate.js';
import { exitCodeOf, type RunOpts, runAndReport, waitChild } from '../src/hygiene/run.js';

async function runAction(ctx: CommandContext, cmd: string[], opts: RunOpts): Promise<number> {
  // The inner svipc runs in the same folder, but the report's path is made absolute once.
  if (opts.report) opts.report = resolve(opts.report);
  if (opts.isolate && ctx.env[INSIDE_ENV] !== '1') {
    const inner = [process.execPath, process.argv[1]!, 'run'];
    if (opts.cleanup) inner.push('--cleanup');
    if (opts.json) inner.push('--json');
    if (opts.report) inner.push('--report', opts.report);
    inner.push('--', ...cmd);
    const [unshare, args] = isolatedCommand(ctx.env, inner);
    const child = spawn(unshare, args, { stdio: 'inherit', env: { ...ctx.env, [INSIDE_ENV]: '1' } });
    return exitCodeOf(await waitChild(ctx, child));
  }
  return runAndReport(ctx, NAMES, cmd, opts, ctx.env[INSIDE_ENV] === '1');
}

export const { spec, run } = defineCommand({
  summary:
    'Run CMD, then report every IPC object, System V and POSIX, it left behind (and remove its own with --cleanup).',
  args: [{ name: '<cmd...>', description: 'the command and its arguments (after --)' }],
  options: [
    {
      flags: '--isolate',
      description:
        'run it in a private IPC namespace and a private /dev/shm (unshare): nothing else is counted or touched; fails when none can be made',
    },
    { flags: '--cleanup', description: 'remove the objects it left that are provably its own' },
    {
      flags: '--json',
      description:
        'the report on stderr as JSON: {"schemaVersion": 2, "command", "isolated", "exitCode", "signal", "left", "removed", "removeFailed", "notRemoved"}',
    },
    { flags: '--report <file>', description: 'also write the JSON report to FILE' },
  ],
  passThrough: true,
  help:
    "\nstdout is the command's alone. The report goes to stderr (text, or JSON with --json);\n" +
    "--report FILE writes the JSON report to FILE, apart from the command's output.\n" +
    '\n--isolate runs CMD in a fresh IPC namespace and mount namespace (root: unshare --ipc --mount;\n' +
    'other users: unshare --user --map-root-user too, where the kernel allows user namespaces), with\n' +
    "a fresh tmpfs on /dev/shm and, where /dev/mqueue exists, the new namespace's queues on it: no\n" +
    'object CMD makes, System V or POSIX, outlives it. If none can be made, svipc says why (unshare\n' +
    'not found on PATH, or not permitted) and exits 1: it never falls back to the host.\n' +
    '\nWithout --isolate, objects other processes make while CMD runs appear too. --cleanup then\n' +
    'removes only what it can prove CMD made: a segment whose creator pid is CMD or one of its\n' +
    'descendants (svipc watches its process tree every 50 ms), and a POSIX object that a process\n' +
    'of CMD was seen holding (open or mapped) at one of those looks and that no other process holds\n' +
    'at the end. Queues and semaphore sets have no creator pid, POSIX objects none at all: what\n' +
    'svipc cannot prove is reported as left, with the reason, never removed. Prefer --isolate.\n' +
    "\nExit status: CMD's status when it failed (128+N when killed by signal N, 127 not found);\n" +
    '             else 1 when it left objects (removed or not), 0 when it left none;\n' +
    '             1 when --isolate cannot isolate or the report cannot be written; 2 usage.\n',
  examples: [
    [
      'svipc run --isolate --cleanup --report ipc.json -- npm test',
      'test in private namespaces; what leaked is in ipc.json',
    ],
    ['svipc run --cleanup -- npm test', 'run on this host; remove what it provably left'],
    [
      "svipc run --isolate --json -- sh -c 'echo hi > /dev/shm/demo' 2>&1 >/dev/null | jq .left",
      'what a command left, as JSON (here a POSIX shm object)',
    ],
  ],
  action: runAction,
});
