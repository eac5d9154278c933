// svipc ftok PATH PROJ: the lecture's ftok program (prints key=<decimal>), plus --hex.

import { pathArg, showPath } from '../src/cli/argv-bytes.js';
import type { CommandContext } from '../src/cli/context.js';
import { CommandError } from '../src/cli/exit.js';
import { writeOrReport } from '../src/cli/output.js';
import { defineCommand } from '../src/cli/spec.js';
import { formatKey, ftok, isIpcError, strerror } from '../src/ipc/index.js';

function ftokAction(
  ctx: CommandContext,
  path: string,
  projText: string,
  opts: { hex?: boolean },
): Promise<number> {
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
  // Into a file or a pipe, written to fd 1 with no stream made (src/cli/output.ts).
  return writeOrReport(ctx, `key=${opts.hex ? formatKey(key) : key}\n`, 0);
}

export const { spec, run } = defineCommand({
  summary: "Print the System V key ftok(3) makes of PATH's inode and device and PROJ's low 8 bits.",
  args: [
    { name: '<path>', description: 'an existing file or directory' },
    { name: '<proj>', description: 'project number (an integer; only its low 8 bits are used)' },
  ],
  options: [{ flags: '--hex', description: 'print the key as 0x%08x, as ipcs shows keys' }],
  help:
    "\nOutput: key=<decimal> (the lecture's format), or key=0x... with --hex.\n" +
    'Exit status: 0 ok, 1 ftok failed (missing path, bad PROJ) or stdout not writable, 2 usage.\n',
  examples: [
    ['svipc ftok /tmp 65', "the key the lecture's programs use for /tmp and 'A'"],
    ['svipc ftok --hex /etc/passwd 1', 'the same key as ipcs shows it (0x...)'],
    ['svipc ipcs -q | grep "$(svipc ftok --hex . 1 | cut -d= -f2)"', "the queue of this directory's key"],
  ],
  action: ftokAction,
});
