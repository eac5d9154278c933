// The launcher: pick the subcommand (by argv, or by the name svipc was invoked as), run it
// with a context, and turn whatever it throws into one line on stderr and an exit code.
// This is the one place that calls process.exit, and it does so only once stdout and stderr
// have drained (src/cli/output.ts): nothing a command wrote is lost, a failed write is an error.
import { basename } from 'node:path';
import { WaitAbortedError, WaitTimeoutError } from '../ipc/blocking.js';
import { IpcError } from '../ipc/errors.js';
import { IpcArgumentError } from '../ipc/validate.js';
import { svipcVersion } from '../package.js';
import type { CommandContext, CommandModule } from './context.js';
import { CommandError, EXIT, SIGNAL_EXIT, UsageError } from './exit.js';
import {
  drained,
  isEpipe,
  isMade,
  OutputError,
  onFirstUse,
  onStdoutClosed,
  reasonOf,
  watch,
} from './output.js';
import { COMMANDS, type CommandEntry, findCommand } from './registry.js';

/** Milliseconds a command gets to clean up after a signal before the launcher exits anyway. */
const SIGNAL_GRACE_MS = 1500;

export function helpText(): string {
  const groups: [CommandEntry['group'], string][] = [
    ['util-linux', 'Drop-in replacements for util-linux (also run as ipcs/ipcmk/ipcrm through a link):'],
    ['lecture', "The lecture's programs and demos:"],
    ['primitives', 'Every primitive from the shell:'],
    ['hygiene', 'IPC hygiene for CI:'],
    ['other', 'Other:'],
  ];
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  let out =
    'Usage: svipc <command> [options] [args]\n\nSystem V IPC toolkit: message queues, semaphores, shared memory.\n';
  for (const [group, title] of groups) {
    out += `\n${title}\n`;
    for (const c of COMMANDS.filter((x) => x.group === group))
      out += `  ${c.name.padEnd(width)}${c.summary}\n`;
  }
  out +=
    "\nExit status (all but ipcs/ipcmk/ipcrm, which keep util-linux's):\n" +
    '  0 ok, 1 failed (diff/leaks: found; trouble 2), 2 usage error, 69 no stat server, 75 --nowait and the call would block,\n' +
    '  124 timed out, 129/130/143 interrupted by SIGHUP/SIGINT/SIGTERM, 141 stdout closed\n' +
    '\nExamples:\n' +
    '  svipc help msg send                # the options and examples of a (sub)command\n' +
    '  svipc tour                         # every demo of the lecture, run and checked\n' +
    '  svipc ipcs -m                      # shared memory segments, as util-linux shows them\n' +
    '  svipc run --isolate -- make test   # what a test run leaves behind, in its own IPC namespace\n' +
    "\nRun 'svipc help <command>' (or 'svipc <command> --help') for a command's options and examples.\n" +
    'Manual: svipc(1) and svipc-<command>(1); from a clone, man -l man/svipc.1 (man/svipc-ipcs.1, ...).\n';
  return out;
}

function describe(err: unknown): { message: string; code: number } | null {
  if (err instanceof UsageError) return { message: err.message, code: err.exitCode };
  if (err instanceof CommandError) return { message: err.message, code: err.exitCode };
  if (err instanceof OutputError) return { message: err.message, code: err.exitCode };
  if (err instanceof WaitTimeoutError) return { message: err.message, code: EXIT.TIMEOUT };
  if (err instanceof IpcArgumentError) return { message: err.message, code: EXIT.USAGE };
  if (err instanceof IpcError) return { message: err.message, code: EXIT.FAILED };
  return null;
}

/** Each command's module by name, loaded on demand (commands/index.ts: src/ imports no command). */
export type CommandLoaders = Readonly<Record<string, () => Promise<CommandModule>>>;

/** Leave at once, whatever is still queued: a second signal, or a command that would not stop. */
function exitNow(code: number): never {
  process.exit(code);
}

/**
 * Exit once everything written has reached its reader (a pipe takes 64 KiB at a time; the
 * rest waits in Node's queue, which process.exit would drop). A failed stdout write nobody
 * reported yet is util-linux's close_stdout(): "PROG: write error: ...", exit 1; EPIPE is 141.
 * A failed stderr can say nothing: exit 1, as util-linux's close_stdout() does.
 */
async function finish(code: number, prog = 'svipc'): Promise<never> {
  // A stream never made holds nothing: what went to fd 1 directly was written, or reported.
  const outErr = isMade('stdout') ? await drained(process.stdout) : null;
  if (outErr && isEpipe(outErr)) code = EXIT.SIGPIPE;
  else if (outErr) {
    process.stderr.write(`${prog}: write error: ${await reasonOf(outErr)}\n`);
    if (code === EXIT.OK) code = EXIT.FAILED;
  }
  const errErr = isMade('stderr') ? await drained(process.stderr) : null;
  if (errErr && !isEpipe(errErr) && code === EXIT.OK) code = EXIT.FAILED;
  return exitNow(code);
}

export async function main(argv: string[], loaders: CommandLoaders): Promise<never> {
  // Made when a command asks for ctx.signal or a signal comes (AbortController's module is
  // start-up that a command which never waits need not pay).
  let made: AbortController | undefined;
  const controller = () => {
    made ??= new AbortController();
    return made;
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller().signal.aborted) return exitNow(SIGNAL_EXIT[sig] ?? EXIT.FAILED);
    controller().abort(sig);
    // The command cleans up and returns; if it cannot (or its reader stopped reading), leave anyway.
    setTimeout(() => exitNow(SIGNAL_EXIT[sig] ?? EXIT.FAILED), SIGNAL_GRACE_MS).unref();
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  // A closed stdout (`svipc ... | head`) is handled like a signal: the command is told
  // through ctx.signal, cleans up what it made, and the process exits 141 as C would.
  // (Each stream is made, with its listeners, when first used: src/cli/output.ts.)
  let stdoutClosed = false;
  const closed = () => {
    stdoutClosed = true;
    onSignal('SIGPIPE');
  };
  onStdoutClosed(closed);
  onFirstUse('stdout', (stdout) => {
    stdout.on('error', (e) => {
      if (isEpipe(e)) closed();
    });
    // Any other failure (ENOSPC, EIO) is reported by the command or, at the end, by finish();
    // a failed stderr, which can say nothing, is exit 1.
    watch(stdout);
  });
  onFirstUse('stderr', watch);

  const invokedAs = basename(argv[1] ?? 'svipc');
  let entry = findCommand(invokedAs);
  let args: string[];
  let prog: string;
  if (entry?.multiCall) {
    args = argv.slice(2);
    prog = entry.name;
  } else {
    let first = argv[2];
    let rest = argv.slice(3);
    // `svipc help CMD [SUB]` is `svipc CMD [SUB] --help` (bin/svipc loads CMD's bundle for it).
    const topic = first === 'help' ? argv[3] : undefined;
    if (topic !== undefined && topic !== 'help' && !topic.startsWith('-')) {
      first = topic;
      rest = [...argv.slice(4), '--help'];
    }
    if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
      const text = helpText();
      if (first === undefined) {
        process.stderr.write(text);
        return finish(EXIT.USAGE);
      }
      process.stdout.write(text);
      return finish(EXIT.OK);
    }
    if (first === '-V' || first === '--version') {
      process.stdout.write(`svipc ${svipcVersion()}\n`);
      return finish(EXIT.OK);
    }
    entry = findCommand(first);
    if (!entry) {
      process.stderr.write(`svipc: unknown command '${first}' (see 'svipc --help')\n`);
      return finish(EXIT.USAGE);
    }
    args = rest;
    // The drop-ins speak as util-linux's tools do, whichever way they were called.
    prog = entry.multiCall ? entry.name : `svipc ${entry.name}`;
  }

  // A child of `svipc tour` dies with it (SIGTERM, so it cleans up as on SIGTERM), even when
  // the tour is SIGKILLed; one whose parent is already gone has made nothing yet: it leaves.
  const parent = process.env.SVIPC_PARENT_PID; // src/ipc/process.ts: PARENT_PID_ENV
  delete process.env.SVIPC_PARENT_PID;
  if (parent && !(await import('../ipc/process.js')).dieWithParent(Number(parent))) {
    return finish(EXIT.SIGTERM);
  }

  const ctx: CommandContext = {
    prog,
    argv: args,
    // Made on first use: process.stdin builds a stream for the fd (a file's pulls in fs
    // streams and readline, a terminal's or a pipe's pulls in net), which most commands never read.
    get stdin() {
      return process.stdin;
    },
    // Made on first use too (src/cli/output.ts: onFirstUse); until then, output.ts may write
    // fd 1 itself when it is a file or a pipe (stdoutFd).
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    stdoutFd: 1,
    env: process.env,
    get signal() {
      return controller().signal;
    },
  };
  try {
    const load = loaders[entry.name];
    if (!load) throw new Error(`command ${entry.name} has no module`);
    const code = await (await load()).run(ctx);
    // A write that failed with EPIPE reports it on a later tick: let it arrive first (a
    // stdout never made as a stream has no such report to come).
    if (isMade('stdout')) await new Promise((resolve) => setImmediate(resolve));
    return finish(stdoutClosed ? EXIT.SIGPIPE : code, prog);
  } catch (err) {
    // Quiet, as a C program killed by SIGPIPE, unless the command has something to say (OutputError).
    if ((stdoutClosed || isEpipe(err)) && !(err instanceof OutputError)) return finish(EXIT.SIGPIPE, prog);
    if (err instanceof WaitAbortedError || (made?.signal.aborted && (err as Error)?.name === 'AbortError')) {
      return finish(SIGNAL_EXIT[String(made?.signal.reason)] ?? EXIT.SIGINT, prog);
    }
    const known = describe(err);
    if (known) {
      process.stderr.write(`${prog}: ${known.message}\n`);
      return finish(known.code, prog);
    }
    const e = err as Error;
    process.stderr.write(`${prog}: internal error: ${e?.message ?? String(err)}\n`);
    if (process.env.SVIPC_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    return finish(EXIT.FAILED, prog);
  }
}
