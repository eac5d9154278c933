// svipc ipcrm (also `ipcrm` through a link): util-linux 2.38.1's ipcrm, byte for byte: options,
// messages, their order, exit codes (0, or 1 if anything failed) and its quirks:
// - each option acts as getopt returns it: `ipcrm -m ID -x` removes, then complains;
// - -a/--all acts after every other option, so `ipcrm -a shm` (a space, not `=`) removes
//   everything and then fails "unknown argument: shm";
// - ids are decimal only (strtol base 10, so " 5" and "+5" pass); keys are strtoul base 0
//   (0x hex, 0 octal, and "-1" wraps to 0xffffffff);
// - a key error names the id it found: "permission denied for key (ID)";
// - the legacy `ipcrm shm|msg|sem ID...` form takes an empty ID as 0 and prints
//   "resource(s) deleted" when all went well;
// - no argument at all does nothing and succeeds.
import { constants } from 'node:os';
import type { CommandContext } from '../src/cli/context.js';
import type { LongOption } from '../src/cli/getopt.js';
import { ConversionError, strtos32, strtoumax, toInt32 } from '../src/cli/size.js';
import {
  getoptFailed,
  getoptUtilLinux,
  messages,
  svipcVersionLine,
  withBufferedStdout,
} from '../src/cli/util-linux.js';
import { isIpcError, strerror } from '../src/ipc/index.js';
import type { IpcKind } from '../src/ipc/kinds.js';
import { idOfKey, KindUnavailableError, readableIds, removeId as removeById } from '../src/ipc/removal.js';

// errno values from Node's table for this platform, not typed in by hand.
const { ERANGE } = constants.errno;

type Kind = IpcKind;

const OPTSTRING = 'q:m:s:Q:M:S:a::vhV';
const LONGOPTS: LongOption[] = [
  { name: 'shmem-id', arg: 'required', key: 'm' },
  { name: 'shmem-key', arg: 'required', key: 'M' },
  { name: 'queue-id', arg: 'required', key: 'q' },
  { name: 'queue-key', arg: 'required', key: 'Q' },
  { name: 'semaphore-id', arg: 'required', key: 's' },
  { name: 'semaphore-key', arg: 'required', key: 'S' },
  { name: 'all', arg: 'optional', key: 'a' },
  { name: 'verbose', arg: 'none', key: 'v' },
  { name: 'version', arg: 'none', key: 'V' },
  { name: 'help', arg: 'none', key: 'h' },
];

const KIND_OF_OPTION: Record<string, Kind> = { m: 'shm', M: 'shm', q: 'msg', Q: 'msg', s: 'sem', S: 'sem' };
const VERBOSE_NAME: Record<Kind, string> = {
  shm: 'shared memory segment',
  msg: 'message queue',
  sem: 'semaphore',
};
const NOT_CONFIGURED: Record<Kind, string> = {
  shm: 'shared memory',
  msg: 'message queues',
  sem: 'semaphores',
};

function usage(prog: string): string {
  return `
Usage:
 ${prog} [options]
 ${prog} shm|msg|sem <id>...

Remove certain IPC resources.

Options:
 -m, --shmem-id <id>        remove shared memory segment by id
 -M, --shmem-key <key>      remove shared memory segment by key
 -q, --queue-id <id>        remove message queue by id
 -Q, --queue-key <key>      remove message queue by key
 -s, --semaphore-id <id>    remove semaphore by id
 -S, --semaphore-key <key>  remove semaphore by key
 -a, --all[=shm|msg|sem]    remove all (in the specified category)
 -v, --verbose              explain what is being done

 -h, --help                 display this help
 -V, --version              display version

For more details see ipcrm(1).
`;
}

/** err(3): ends the run at once with this message and exit 1. */
class Fatal extends Error {}

/** Run `fn`; a kernel failure it does not sort into a refusal ends the run: "WHAT failed: REASON". */
function unexpected<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isIpcError(e)) throw new Fatal(`${what} failed: ${strerror(e.errno)}`);
    throw e;
  }
}

export function run(ctx: CommandContext): Promise<number> {
  return withBufferedStdout(ctx, (out) => execute(ctx, out));
}

async function execute(ctx: CommandContext, out: (s: string) => void): Promise<number> {
  const prog = ctx.prog;
  const { warn, tryHelp } = messages(ctx);
  let verbose = false;

  /** remove_id(): 0 when removed, 1 after a warning; Fatal for an unexpected errno. */
  const removeId = (kind: Kind, isKey: boolean, id: number): number => {
    if (verbose) out(`removing ${VERBOSE_NAME[kind]} id \`${id}'\n`);
    const what = isKey ? 'key' : 'id';
    const refusal = unexpected(what, () => removeById(kind, id));
    if (refusal === null) return 0;
    warn(`${refusal} ${what} (${id})`);
    return 1;
  };

  /** key_to_id(): the id, or -1 after a warning. */
  const keyToId = (kind: Kind, s: string): number => {
    // strtokey(): strtoul(s, &end, 0), the whole string, then (key_t) of it.
    const r = strtoumax(s, 0);
    if (s === '' || r.end === 0 || r.end !== s.length || r.erange) {
      throw new Fatal(`failed to parse argument: '${s}'${r.erange ? `: ${strerror(ERANGE)}` : ''}`);
    }
    const key = toInt32(r.value);
    if (key === 0) {
      warn(`illegal key (${s})`);
      return -1;
    }
    const found = unexpected('key', () => idOfKey(kind, key));
    if (typeof found === 'number') return found;
    warn(`${found} key (${s})`);
    return -1;
  };

  /** remove_all(): shared memory, then semaphores, then queues, by kernel index. */
  const removeAll = (what: Kind | 'all'): number => {
    let ret = 0;
    for (const kind of ['shm', 'sem', 'msg'] as const) {
      if (what !== 'all' && what !== kind) continue;
      try {
        for (const id of readableIds(kind)) ret |= removeId(kind, false, id);
      } catch (e) {
        if (e instanceof KindUnavailableError)
          throw new Fatal(`kernel not configured for ${NOT_CONFIGURED[kind]}`);
        throw e;
      }
    }
    return ret;
  };

  /** The legacy form: ipcrm shm|msg|sem ID... */
  const legacy = (kind: Kind, ids: string[]): number => {
    if (ids.length === 0) {
      warn('not enough arguments');
      tryHelp();
      return 1;
    }
    let errors = 0;
    for (const s of ids) {
      // strtoul(s, &end, 10) and *end must be '\0': so "" passes, as id 0.
      const r = strtoumax(s, 10);
      if (r.erange || r.end !== s.length) {
        warn(`invalid id: ${s}`);
        errors++;
      } else if (removeId(kind, false, toInt32(r.value))) errors++;
    }
    if (errors) return 1;
    out('resource(s) deleted\n');
    return 0;
  };

  try {
    if (ctx.argv.length === 0) return 0;
    const first = ctx.argv[0]!;
    if (first === 'shm' || first === 'msg' || first === 'sem') return legacy(first, ctx.argv.slice(1));

    let ret = 0;
    let rmAll = false;
    let whatAll: Kind | 'all' = 'all';
    const operands: string[] = [];
    try {
      for (const opt of getoptUtilLinux(ctx, OPTSTRING, LONGOPTS, operands)) {
        const arg = opt.value ?? '';
        switch (opt.key) {
          case 'M':
          case 'Q':
          case 'S': {
            const kind = KIND_OF_OPTION[opt.key]!;
            const id = keyToId(kind, arg);
            if (id < 0) ret++;
            else if (removeId(kind, true, id)) ret++;
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
              throw new Fatal(
                `failed to parse argument: '${arg}'${e.code === 'ERANGE' ? `: ${strerror(ERANGE)}` : ''}`,
              );
            }
            if (removeId(KIND_OF_OPTION[opt.key]!, false, id)) ret++;
            break;
          }
          case 'a':
            rmAll = true;
            if (opt.value === undefined) whatAll = 'all';
            else if (opt.value === 'shm' || opt.value === 'msg' || opt.value === 'sem') whatAll = opt.value;
            else throw new Fatal(`unknown argument: ${opt.value}`);
            break;
          case 'v':
            verbose = true;
            break;
          case 'h':
            out(usage(prog));
            return 0;
          case 'V':
            out(svipcVersionLine(prog));
            return 0;
        }
      }
    } catch (e) {
      return getoptFailed(ctx, e);
    }

    if (rmAll && removeAll(whatAll)) ret++;

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
