// svipc ipcrm (also `ipcrm` through a link): util-linux 2.38.1's ipcrm, byte for byte: options,
// messages, their order, exit codes (0, or 1 if anything failed) and its quirks:
// - each option acts as getopt returns it: `ipcrm -m ID -x` removes, then complains;
// - -a/--all acts after every other option, so `ipcrm -a shm` (a space, not `=`) removes
//   everything and then fails "unknown argument: shm"; a bare -a removes System V objects only;
// - ids are decimal only (strtol base 10, so " 5" and "+5" pass); keys are strtoul base 0
//   (0x hex, 0 octal, and "-1" wraps to 0xffffffff);
// - a key error names the id it found: "permission denied for key (ID)";
// - the legacy `ipcrm shm|msg|sem ID...` form takes an empty ID as 0 and prints
//   "resource(s) deleted" when all went well;
// - no argument at all does nothing and succeeds (2.42.2 says "bad usage": 2.38.1 wins).
// Plus util-linux 2.42.2's --posix-shmem/--posix-mqueue/--posix-semaphore NAME and
// --all=pshm|pmsg|psem (svipc-ipcrm(1) lists where svipc differs from 2.42.2).
// The getopt table and --help are in src/cli/ipcrm-options.ts, each action in ipcrm-remove.ts.
import type { CommandContext } from '../src/cli/context.js';
import {
  type AllWhat,
  IPCRM_LONGOPTS,
  IPCRM_OPTSTRING,
  ipcrmUsage,
  isAllWhat,
  KIND_OF_OPTION,
} from '../src/cli/ipcrm-options.js';
import { badArgument, Fatal, Remover } from '../src/cli/ipcrm-remove.js';
import { ConversionError, strtos32 } from '../src/cli/size.js';
import { eachOption, messages, svipcVersionLine, withBufferedStdout } from '../src/cli/util-linux.js';

/** For completion: every option, the 2.42.2 POSIX ones too (--help stays 2.38.1's). */
export const getopt = IPCRM_LONGOPTS;

export function run(ctx: CommandContext): Promise<number> {
  return withBufferedStdout(ctx, (out) => execute(ctx, out));
}

async function execute(ctx: CommandContext, out: (s: string) => void): Promise<number> {
  const { warn, tryHelp } = messages(ctx);
  const rm = new Remover(out, warn);
  try {
    if (ctx.argv.length === 0) return 0;
    const first = ctx.argv[0]!;
    if (first === 'shm' || first === 'msg' || first === 'sem')
      return rm.legacy(first, ctx.argv.slice(1), tryHelp);

    let ret = 0;
    let rmAll = false;
    let whatAll: AllWhat = 'all';
    const operands: string[] = [];
    const texts = { help: () => ipcrmUsage(ctx.prog), version: () => svipcVersionLine(ctx.prog) };
    const table = { optstring: IPCRM_OPTSTRING, longopts: IPCRM_LONGOPTS, operands };
    const stop = eachOption(ctx, table, texts, out, (opt, arg) => {
      switch (opt.key) {
        case 'M':
        case 'Q':
        case 'S': {
          const kind = KIND_OF_OPTION[opt.key]!;
          const id = rm.keyToId(kind, arg);
          if (id < 0 || rm.removeId(kind, true, id)) ret++;
          break;
        }
        case 'm':
        case 'q':
        case 's': {
          let id: number;
          try {
            id = strtos32(arg);
          } catch (e) {
            if (!(e instanceof ConversionError)) throw e;
            throw badArgument(arg, e.code === 'ERANGE');
          }
          if (rm.removeId(KIND_OF_OPTION[opt.key]!, false, id)) ret++;
          break;
        }
        case 'pshm':
        case 'pmsg':
        case 'psem':
          if (rm.removeName(opt.key, arg)) ret++;
          break;
        case 'a':
          rmAll = true;
          if (opt.value === undefined) whatAll = 'all';
          else if (isAllWhat(opt.value)) whatAll = opt.value;
          else throw new Fatal(`unknown argument: ${opt.value}`);
          break;
        case 'v':
          rm.verbose = true;
          break;
      }
    });
    if (stop !== undefined) return stop;

    if (rmAll && rm.removeAll(whatAll)) ret++;

    if (operands.length > 0) {
      warn(`unknown argument: ${operands[0]}`);
      tryHelp();
      return 1;
    }
    return ret === 0 ? 0 : 1;
  } catch (e) {
    if (!(e instanceof Fatal)) throw e;
    warn(e.message);
    return 1;
  }
}
