// svipc lsipc: util-linux 2.38.1's lsipc for System V objects, byte for byte (options,
// columns, formats, messages, exit codes) when not writing to a terminal, and util-linux
// 2.42.2's POSIX options (-M/-Q/-S/-N). Parse (src/cli/lsipc-options.ts: the getopt tables
// are its spec) -> rows (src/cli/lsipc-rows.ts) -> layout (src/render/lsipc-layout.ts).
import type { CommandContext } from '../src/cli/context.js';
import { LONGOPTS_POSIX, LsipcExit, parseLsipc } from '../src/cli/lsipc-options.js';
import { lsipcRows, procCommand } from '../src/cli/lsipc-rows.js';
import { writeOrReport } from '../src/cli/output.js';
import { groupName, userName } from '../src/ipc/users.js';
import type { CellContext } from '../src/render/lsipc-columns.js';
import { renderLsipc } from '../src/render/lsipc-layout.js';

/** For completion: every option, the 2.42.2 POSIX ones too (--help stays 2.38.1's). */
export const getopt = LONGOPTS_POSIX;

export async function run(ctx: CommandContext): Promise<number> {
  let out = '';
  let code: number;
  try {
    code = lsipc(ctx, (s) => {
      out += s;
    });
  } catch (e) {
    if (!(e instanceof LsipcExit)) throw e;
    if (e.text) ctx.stderr.write(e.text);
    code = e.code;
  }
  // close_stdout_atexit(): the output written once, at the end (bytes: escapes are latin1).
  return writeOrReport(ctx, Buffer.from(out, 'latin1'), code);
}

function lsipc(ctx: CommandContext, write: (s: string) => void): number {
  const req = parseLsipc(ctx, write);
  if (typeof req === 'number') return req;
  const cells: CellContext = {
    bytes: req.bytes,
    numericPerms: req.numericPerms,
    time: req.time,
    now: Math.floor(Date.now() / 1000),
    user: (uid) => bytes(userName(uid)),
    group: (gid) => bytes(groupName(gid)),
    command: procCommand,
  };
  const found = lsipcRows(req, ctx.prog, (msg) => ctx.stderr.write(`${ctx.prog}: ${msg}\n`));
  write(renderLsipc(req, found.tableName, req.columns, found.rows, cells, found.elements));
  return 0;
}

/** A name as bytes (see smartcols.ts): UTF-8 names become their bytes. */
function bytes(s: string | null): string | null {
  return s === null ? null : Buffer.from(s, 'utf8').toString('latin1');
}
