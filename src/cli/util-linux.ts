// What the util-linux drop-ins (ipcs, ipcmk, ipcrm) share: getopt as glibc runs it under
// POSIXLY_CORRECT, util-linux's "PROG: ..." messages and its "Try ... --help" hint, the -V
// line, and close_stdout_atexit() for the two that write their output once, at the end.

import { svipcVersion } from '../package.js';
import type { CommandContext } from './context.js';
import { GetoptError, getoptLong, type LongOption, type ParsedOption } from './getopt.js';
import { writeOrReport } from './output.js';
import { ConversionError, strtos32 } from './size.js';

/** The util-linux release whose formats, messages and exit codes the drop-ins copy. */
export const UTIL_LINUX_VERSION = '2.38.1';

/** getopt_long over the command's arguments; POSIXLY_CORRECT stops at the first operand, as in glibc. */
export function getoptUtilLinux(
  ctx: CommandContext,
  optstring: string,
  longopts: LongOption[],
  operands: string[],
): Generator<ParsedOption, void, void> {
  const posix = ctx.env.POSIXLY_CORRECT !== undefined ? `+${optstring}` : optstring;
  return getoptLong(ctx.prog, ctx.argv, posix, longopts, operands);
}

/** warnx(): "PROG: msg"; tryHelp: util-linux's errtryhelp() line. */
export function messages(ctx: CommandContext): { warn: (msg: string) => void; tryHelp: () => void } {
  return {
    warn: (msg) => ctx.stderr.write(`${ctx.prog}: ${msg}\n`),
    tryHelp: () => ctx.stderr.write(`Try '${ctx.prog} --help' for more information.\n`),
  };
}

/** A bad option: getopt's own message, then the hint; exit 1. Anything else is rethrown. */
export function getoptFailed(ctx: CommandContext, e: unknown): number {
  if (!(e instanceof GetoptError)) throw e;
  ctx.stderr.write(`${e.diagnostic}\n`);
  messages(ctx).tryHelp();
  return 1;
}

/**
 * A drop-in's option loop: `handle` gets each option in order (its argument as `arg`, '' for
 * none) but -h and -V, and returns an exit code to stop at (nothing: go on); -h writes
 * `texts.help`, -V `texts.version` through `out`, and stop at 0; a bad option is getopt's
 * message and the hint, 1 (anything else `handle` throws goes on). Returns the exit code it
 * stopped at, or undefined when every option was taken.
 */
export function eachOption(
  ctx: CommandContext,
  table: { optstring: string; longopts: LongOption[]; operands: string[] },
  texts: { help: () => string; version: () => string },
  out: (s: string) => void,
  handle: (opt: ParsedOption, arg: string) => unknown,
): number | undefined {
  try {
    for (const opt of getoptUtilLinux(ctx, table.optstring, table.longopts, table.operands)) {
      if (opt.key === 'h' || opt.key === 'V') {
        out(opt.key === 'h' ? texts.help() : texts.version());
        return 0;
      }
      const code = handle(opt, opt.value ?? '');
      if (typeof code === 'number') return code;
    }
  } catch (e) {
    return getoptFailed(ctx, e);
  }
  return undefined;
}

/** -V of svipc's own util-linux-compatible tools (ipcmk, ipcrm). */
export function svipcVersionLine(prog: string): string {
  return `${prog} from svipc ${svipcVersion()} (util-linux ${UTIL_LINUX_VERSION} compatible)\n`;
}

/**
 * Run `execute` with stdout collected through `out`, then write it once, at the end, as a
 * full stdio buffer is, and check it as close_stdout_atexit() does (src/cli/output.ts):
 * "PROG: write error: ..." with exit 1; EPIPE is left to the launcher, as util-linux leaves
 * it to SIGPIPE.
 */
export async function withBufferedStdout(
  ctx: CommandContext,
  execute: (out: (s: string) => void) => Promise<number>,
): Promise<number> {
  let text = '';
  const code = await execute((s) => {
    text += s;
  });
  return writeOrReport(ctx, text, code);
}

/** strtos32_or_err() as a result, not a throw: the value, or why it is not one (EINVAL, ERANGE). */
export function tryStrtos32(text: string): { value: number } | { error: 'EINVAL' | 'ERANGE' } {
  try {
    return { value: strtos32(text) };
  } catch (e) {
    if (e instanceof ConversionError) return { error: e.code };
    throw e;
  }
}
