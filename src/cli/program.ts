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

/**
 * Parse ctx.argv and run the chosen action. Actions store their exit code with
 * `setExit`, or return a number (see `action`).
 */
export async function runProgram(program: Command, ctx: CommandContext): Promise<number> {
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
  return (program as Command & { svipcExit?: number }).svipcExit ?? EXIT.OK;
}

/** Wrap an action that returns an exit code so runProgram can report it. */
export function action<A extends unknown[]>(
  program: Command,
  fn: (...args: A) => Promise<number | undefined> | number | undefined,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const code = await fn(...args);
    let root: Command = program;
    while (root.parent) root = root.parent;
    (root as Command & { svipcExit?: number }).svipcExit = code ?? EXIT.OK;
  };
}
