// --trace for the lecture's demos: each IPC call of the lecture's protocol on stderr, one line
// each, starting with the process and the program (format in src/ipc/trace.ts):
//   [4711 svshm-writer] semop(semid=3, {0,-1,0}) -> 0
// `--trace=all` also shows how svipc waits (IPC_NOWAIT tries, semtimedop slices, spins,
// IPC_STAT polls). The tracer is handed to the objects a command makes (`{ trace }`): nothing
// process-wide is switched on, so in-process tests can run several commands side by side.
// Usage in a command module:
//   export const { spec, run } = defineTracedCommand({ options: [...], ... });
//   action: (ctx, ..., opts) => { const trace = tracerOf(ctx, opts); ... SemaphoreSet.get(k, n, { trace }) }
import { Tracer } from '../ipc/trace.js';
import { type CommandContext, type CommandModule, withArgv } from './context.js';
import { type CommandSpec, defineCommand, type OptionSpec } from './spec.js';

export const TRACE_HELP =
  'print each IPC call of the protocol on stderr as "[PID PROG] call(args) -> result"; ' +
  "--trace=all also shows svipc's own tries, waits in slices and polls";

/** `--trace` and `--trace=all` (commander sees the latter as --trace-all: see `traceable`). */
export const TRACE_OPTIONS: readonly OptionSpec[] = [
  { flags: '--trace', description: TRACE_HELP },
  { flags: '--trace-all', description: 'the same as --trace=all' },
];

export interface TraceOpts {
  trace?: boolean;
  traceAll?: boolean;
}

/** The program's name in trace lines: `svshm-writer` of `svipc svshm-writer`. */
export function traceProg(ctx: CommandContext): string {
  return ctx.prog.split(' ').pop() ?? ctx.prog;
}

/** The command's tracer (to its stderr), or undefined without --trace. */
export function tracerOf(ctx: CommandContext, opts: TraceOpts): Tracer | undefined {
  if (!opts.trace && !opts.traceAll) return undefined;
  return new Tracer((line) => ctx.stderr.write(`${line}\n`), {
    prog: traceProg(ctx),
    all: opts.traceAll ?? false,
  });
}

/** argv with `--trace=all` spelled as commander knows it (up to a `--`). */
export function traceArgv(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  return argv.map((a, i) => (a === '--trace=all' && (end < 0 || i < end) ? '--trace-all' : a));
}

/**
 * A command module that accepts `--trace=all`: commander cannot take `--trace [level]`
 * (`svsem-demo --trace 9 -2` would read 9 as the level), so the spelling is mapped first.
 */
export function traceable<M extends CommandModule>(mod: M): M {
  return { ...mod, run: (ctx) => mod.run(withArgv(ctx, traceArgv(ctx.argv))) };
}

/**
 * A lecture demo's command module: `spec`'s options followed by --trace and --trace=all
 * (`TRACE_OPTIONS`), the latter spelling accepted (`traceable`).
 */
export function defineTracedCommand(spec: CommandSpec): ReturnType<typeof defineCommand> {
  return traceable(defineCommand({ ...spec, options: [...(spec.options ?? []), ...TRACE_OPTIONS] }));
}
