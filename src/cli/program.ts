// commander, configured the svipc way: output through the context's streams, errors as
// one line prefixed by the program name, usage errors exit 2, never process.exit.
import { Command, CommanderError } from 'commander';
import type { CommandContext } from './context.js';
import { EXIT } from './exit.js';

export function newProgram(ctx: CommandContext, description: string): Command {
  const program = new Command(ctx.prog);
  program
    .description(description)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      outputError: (s, write) => write(`${ctx.prog}: ${s.replace(/^error: /, '')}`),
    })
    .helpOption('-h, --help', 'display this help');
  return program;
}

/** Where the action that ran puts its exit code (undefined: none ran, or it returned nothing). */
export interface Outcome {
  code?: number | undefined;
}

/**
 * Parse ctx.argv and run the chosen action; the exit code is what that action put in
 * `outcome` (src/cli/spec.ts), or commander's verdict: --help 0, a usage error 2.
 */
export async function runProgram(program: Command, ctx: CommandContext, outcome: Outcome): Promise<number> {
  try {
    await program.parseAsync(ctx.argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version: 0. A group (msg, sem, shm) given no subcommand prints its help
      // on stderr with commander's exit code 1: that is a usage error (2), as bare `svipc`.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.OK;
      if (e.code === 'commander.help') return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return EXIT.USAGE;
    }
    throw e;
  }
  return outcome.code ?? EXIT.OK;
}
