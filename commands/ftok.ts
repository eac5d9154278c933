// svipc ftok PATH PROJ: the lecture's ftok program (prints key=<decimal>), plus --hex.

import { pathArg, showPath } from '../src/cli/argv-bytes.js';
import type { CommandContext } from '../src/cli/context.js';
import { CommandError } from '../src/cli/exit.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { formatKey, ftok, isIpcError, strerror } from '../src/ipc/index.js';

export async function run(ctx: CommandContext): Promise<number> {
  const program = newProgram(
    ctx,
    "Print the System V key ftok(3) makes of PATH's inode and device and PROJ's low 8 bits.",
  )
    .argument('<path>', 'an existing file or directory')
    .argument('<proj>', 'project number (an integer; only its low 8 bits are used)')
    .option('--hex', 'print the key as 0x%08x, as ipcs shows keys')
    .addHelpText(
      'after',
      "\nOutput: key=<decimal> (the lecture's format), or key=0x... with --hex.\nExit status: 0 ok, 1 ftok failed (missing path, bad PROJ) or stdout not writable, 2 usage.",
    );
  program.action(
    action(program, (path: string, projText: string, opts: { hex?: boolean }) => {
      // The contract: a bad PROJ is a failure (1) like a missing path, not a usage error.
      const proj = Number(projText);
      if (!/^-?[0-9]+$/.test(projText)) {
        throw new CommandError(`invalid project number: '${projText}' (an integer expected)`);
      }
      if (proj < -0x80000000 || proj > 0x7fffffff) {
        throw new CommandError(`invalid project number: '${projText}' (out of range for a 32-bit int)`);
      }
      let key: number;
      try {
        key = ftok(pathArg(path), proj);
      } catch (e) {
        if (isIpcError(e)) throw new CommandError(`${showPath(pathArg(path))}: ${strerror(e.errno)}`);
        throw e;
      }
      ctx.stdout.write(`key=${opts.hex ? formatKey(key) : key}\n`);
      return 0;
    }),
  );
  return runProgram(program, ctx);
}
