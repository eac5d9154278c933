// svipc ipcmk (also `ipcmk` through a link): util-linux 2.38.1's ipcmk, byte for byte (options,
// output, messages, exit codes 0/1), plus util-linux 2.42.2's POSIX options (-m/--posix-shmem
// SIZE, -q/--posix-mqueue, -s/--posix-semaphore, -n/--name NAME), -k/--key KEY (create with a
// chosen key, exclusively) and --json (one object per created resource, one per line).
//
// The getopt table and --help are in src/cli/ipcmk-options.ts, the making in ipcmk-create.ts.
import type { CommandContext } from '../src/cli/context.js';
import { createRequested } from '../src/cli/ipcmk-create.js';
import { LONGOPTS, parseIpcmk } from '../src/cli/ipcmk-options.js';
import { messages, withBufferedStdout } from '../src/cli/util-linux.js';

/** For completion: every option, the 2.42.2 POSIX ones too (--help stays 2.38.1's). */
export const getopt = LONGOPTS;

export function run(ctx: CommandContext): Promise<number> {
  return withBufferedStdout(ctx, async (out) => {
    const req = parseIpcmk(ctx, out);
    if (typeof req === 'number') return req;
    return createRequested(req, out, messages(ctx).warn);
  });
}
