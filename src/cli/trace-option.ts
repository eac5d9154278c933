// --trace for the lecture's demos: every IPC call on stderr, one line each, e.g.
//   semop(semid=3, [{num:0, op:-1, flg:0}]) -> 0
// Usage in a command:
//   const program = addTraceOption(newProgram(ctx, '...'));
//   program.action(action(program, (opts) => { enableTrace(ctx, opts); ... }));
// or, once the options are parsed: `withTrace(ctx, opts, () => ...)` which also turns the
// tracer off again (useful in in-process tests that run several commands).
import type { Command } from 'commander';
import { setTracer } from '../ipc/trace.js';
import type { CommandContext } from './context.js';

export const TRACE_HELP = 'print every IPC call (arguments and result) on stderr';

/** Add `--trace` to a command (returns it, for chaining). */
export function addTraceOption<C extends Command>(program: C): C {
  program.option('--trace', TRACE_HELP);
  return program;
}

/** When `opts.trace` is set, send every IPC call to ctx.stderr. Returns whether it did. */
export function enableTrace(ctx: CommandContext, opts: { trace?: boolean }): boolean {
  if (!opts.trace) return false;
  setTracer((line) => ctx.stderr.write(`${line}\n`));
  return true;
}

/** Stop tracing (the tracer is process-wide). */
export function disableTrace(): void {
  setTracer(null);
}

/** Run `fn` with tracing on when `opts.trace` is set, and off again afterwards. */
export async function withTrace<T>(
  ctx: CommandContext,
  opts: { trace?: boolean },
  fn: () => Promise<T> | T,
): Promise<T> {
  const on = enableTrace(ctx, opts);
  try {
    return await fn();
  } finally {
    if (on) disableTrace();
  }
}
