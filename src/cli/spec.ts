// Commands as data. A command module declares what it takes (arguments, options, help text,
// examples, subcommands) in a CommandSpec and an action that returns an exit code;
// `defineCommand` turns that into the module's `run`. One runner (program.ts) parses, and
// src/cli/main.ts explains errors and maps them to exit codes. Completion and the help tests
// read `spec` directly, so an option declared here is completed and documented with no
// second list to keep.
import type { Command } from 'commander';
import type { CommandContext, CommandModule } from './context.js';
import { newProgram, type Outcome, runProgram } from './program.js';

export interface OptionSpec {
  /** commander's flags: '-k, --key <key>', '--json', '--proj [n]'. */
  flags: string;
  description: string;
  default?: string | boolean;
  /** Given more than once, every value is kept: an array, [] when absent (`-q 1 -q 2`). */
  repeatable?: boolean;
}

export interface ArgumentSpec {
  /** '<path>', '[data]', '[args...]'. */
  name: string;
  description: string;
}

/** One example of the help's "Examples:": the command line and what it does. */
export type Example = readonly [command: string, what: string];

/**
 * The action gets the context, then what commander gives: one value per declared argument
 * (an array for a variadic one), then the options object. It returns the exit code.
 */
// `never[]` accepts any parameter list after ctx (parameters are checked contravariantly).
export type SpecAction = (
  ctx: CommandContext,
  ...params: never[]
) => Promise<number | undefined> | number | undefined;

export interface CommandSpec {
  /** A subcommand's name (the top-level name is the registry's). */
  name?: string;
  summary: string;
  /** Replaces commander's usage line ('[options] <path> <proj>'). */
  usage?: string;
  args?: readonly ArgumentSpec[];
  options?: readonly OptionSpec[];
  /** Text after the option list (formats, exit status), starting with a newline. */
  help?: string;
  /** Two to four for every command but the util-linux drop-ins (test/unit/help.test.ts). */
  examples?: readonly Example[];
  /** Options after the first argument belong to it (`svipc run [options] -- CMD ARGS`). */
  passThrough?: boolean;
  subcommands?: readonly CommandSpec[];
  /** Absent on a group (msg, sem, shm): without a subcommand it prints its help and exits 2. */
  action?: SpecAction;
}

/** The "Examples:" block of a help text. */
export function examplesText(examples: readonly Example[] | undefined): string {
  if (!examples?.length) return '';
  const width = Math.min(44, Math.max(...examples.map(([c]) => c.length)));
  const lines = examples.map(([c, what]) =>
    c.length > width ? `  ${c}\n  ${' '.repeat(width)}  # ${what}` : `  ${c.padEnd(width)}  # ${what}`,
  );
  return `\nExamples:\n${lines.join('\n')}\n`;
}

function build(cmd: Command, spec: CommandSpec, ctx: CommandContext, outcome: Outcome): void {
  for (const a of spec.args ?? []) cmd.argument(a.name, a.description);
  for (const o of spec.options ?? []) {
    if (o.repeatable) cmd.option(o.flags, o.description, (v: string, prev: string[]) => [...prev, v], []);
    else cmd.option(o.flags, o.description, o.default);
  }
  if (spec.usage !== undefined) cmd.usage(spec.usage);
  if (spec.passThrough) cmd.passThroughOptions();
  const after = (spec.help ?? '') + examplesText(spec.examples);
  if (after) cmd.addHelpText('after', after);
  for (const sub of spec.subcommands ?? []) {
    const child = cmd.command(sub.name ?? '').description(sub.summary);
    build(child, sub, ctx, outcome);
  }
  const act = spec.action;
  if (act)
    cmd.action(async (...params: unknown[]) => {
      outcome.code = await act(ctx, ...(params as never[]));
    });
}

/** The program a spec describes, ready to parse (completion reads it without running it). */
export function programOf(spec: CommandSpec, ctx: CommandContext, outcome: Outcome = {}): Command {
  const program = newProgram(ctx, spec.summary);
  if (spec.subcommands?.length) program.showHelpAfterError(false);
  build(program, spec, ctx, outcome);
  return program;
}

/** A command module from its spec: `export const { spec, run } = defineCommand({...})`. */
export function defineCommand(spec: CommandSpec): CommandModule & { spec: CommandSpec } {
  return {
    spec,
    run: (ctx) => {
      const outcome: Outcome = {};
      return runProgram(programOf(spec, ctx, outcome), ctx, outcome);
    },
  };
}
