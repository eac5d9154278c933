// svipc ipcmk (also `ipcmk` through a link): util-linux 2.38.1's ipcmk, byte for byte (options,
// output, messages, exit codes 0/1), plus -k/--key KEY (create with a chosen key, exclusively)
// and --json (one object per created resource, one per line).
//
// As util-linux: options act as getopt returns them (a bad size stops before a later bad
// option is seen); then the segment, the queue and the semaphore set are made in that order,
// each printed as it is made, and the first failure ends the run with exit 1.
import { randomInt } from 'node:crypto';
import { constants } from 'node:os';
import type { CommandContext } from '../src/cli/context.js';
import type { LongOption } from '../src/cli/getopt.js';
import { ConversionError, parseSize, strtos32, strtoumax, toInt32 } from '../src/cli/size.js';
import {
  getoptFailed,
  getoptUtilLinux,
  messages,
  svipcVersionLine,
  withBufferedStdout,
} from '../src/cli/util-linux.js';
import { parseKey } from '../src/cli/values.js';
import {
  formatKey,
  isIpcError,
  MessageQueue,
  SemaphoreSet,
  SharedMemory,
  strerror,
} from '../src/ipc/index.js';
import type { IpcKind } from '../src/ipc/kinds.js';

// errno values from Node's table for this platform, not typed in by hand.

const { EINVAL, ENOMEM, EEXIST, ERANGE } = constants.errno;

// util-linux's optstring, then svipc's -k.
const OPTSTRING = 'hM:QS:p:Vhk:';
const LONGOPTS: LongOption[] = [
  // util-linux's table, in its order (abbreviations and ambiguity messages depend on it)...
  { name: 'shmem', arg: 'required', key: 'M' },
  { name: 'semaphore', arg: 'required', key: 'S' },
  { name: 'queue', arg: 'none', key: 'Q' },
  { name: 'mode', arg: 'required', key: 'p' },
  { name: 'version', arg: 'none', key: 'V' },
  { name: 'help', arg: 'none', key: 'h' },
  // ...then svipc's own.
  { name: 'key', arg: 'required', key: 'k' },
  { name: 'json', arg: 'none', key: 'J' },
];

/** size_t values the kernel refuses outright: above LLONG_MAX, shmem's MAX_LFS_FILESIZE. */
const LLONG_MAX = (1n << 63n) - 1n;
/** How many random keys to try before giving up when each one is taken. */
const RANDOM_KEY_TRIES = 16;

function usage(prog: string): string {
  return `
Usage:
 ${prog} [options]

Create various IPC resources.

Options:
 -M, --shmem <size>       create shared memory segment of size <size>
 -S, --semaphore <number> create semaphore array with <number> elements
 -Q, --queue              create message queue
 -p, --mode <mode>        permission for the resource (default is 0644)
 -k, --key <key>          create with this key (decimal, 0x hex, 0 octal), not a
                            random one; fails if an object of that kind has it
     --json               print each created resource as a JSON object, one a line

 -h, --help               display this help
 -V, --version            display version

Arguments:
 <size> arguments may be followed by the suffixes for
   GiB, TiB, PiB, EiB, ZiB, and YiB (the "iB" is optional)

For more details see ipcmk(1).
`;
}

type Kind = IpcKind;

/** What --json prints for each resource (schemaVersion 1, documented in ipcmk(1)). */
export interface CreatedJson {
  schemaVersion: 1;
  kind: Kind;
  id: number;
  key: number;
  keyHex: string;
  mode: number;
  modeOctal: string;
  size?: number;
  nsems?: number;
}

class CreateFailed extends Error {
  constructor(
    readonly errno: number,
    readonly hint = '',
  ) {
    super(strerror(errno));
  }
}

export function run(ctx: CommandContext): Promise<number> {
  return withBufferedStdout(ctx, (out) => execute(ctx, out));
}

async function execute(ctx: CommandContext, out: (s: string) => void): Promise<number> {
  const prog = ctx.prog;
  const { warn, tryHelp } = messages(ctx);

  let permission = 0o644;
  let size = 0n;
  let nsems = 0;
  let askShm = false;
  let askMsg = false;
  let askSem = false;
  let chosenKey: number | undefined;
  let json = false;

  const operands: string[] = [];
  try {
    for (const opt of getoptUtilLinux(ctx, OPTSTRING, LONGOPTS, operands)) {
      const arg = opt.value ?? '';
      switch (opt.key) {
        case 'M':
          try {
            size = parseSize(arg);
          } catch (e) {
            if (!(e instanceof ConversionError)) throw e;
            warn(`failed to parse size: '${arg}': ${strerror(e.code === 'ERANGE' ? ERANGE : EINVAL)}`);
            return 1;
          }
          askShm = true;
          break;
        case 'Q':
          askMsg = true;
          break;
        case 'S':
          try {
            nsems = strtos32(arg);
          } catch (e) {
            if (!(e instanceof ConversionError)) throw e;
            warn(`failed to parse elements: '${arg}'${e.code === 'ERANGE' ? `: ${strerror(ERANGE)}` : ''}`);
            return 1;
          }
          askSem = true;
          break;
        case 'p': {
          // strtoul(optarg, &end, 8), then err(): errno is 0 ("Success") for junk.
          const r = strtoumax(arg, 8);
          if (r.erange || r.end === 0 || r.end !== arg.length) {
            warn(`failed to parse mode: ${strerror(r.erange ? ERANGE : 0)}`);
            return 1;
          }
          permission = toInt32(r.value);
          break;
        }
        case 'k':
          try {
            chosenKey = parseKey(arg);
          } catch {
            warn(`failed to parse key: '${arg}'`);
            return 1;
          }
          break;
        case 'J':
          json = true;
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
  // util-linux ignores operands (`ipcmk -Q extra` makes a queue): so do we.

  if (!askShm && !askMsg && !askSem) {
    warn('bad usage');
    tryHelp();
    return 1;
  }

  // The kernel keeps the low 9 bits as the mode. util-linux passes the whole value as
  // msgget/semget/shmget flags; svipc passes those 9 bits (see ipcmk(1), NOTES).
  const mode = permission & 0o777;

  const report = (kind: Kind, id: number, key: number, extra: Partial<CreatedJson>, label: string) => {
    if (json) {
      const rec: CreatedJson = {
        schemaVersion: 1,
        kind,
        id,
        key,
        keyHex: formatKey(key),
        mode,
        modeOctal: `0${mode.toString(8).padStart(3, '0')}`,
        ...extra,
      };
      out(`${JSON.stringify(rec)}\n`);
    } else out(`${label}: ${id}\n`);
  };

  /** Create with the chosen key, or with random keys (never IPC_PRIVATE) until one is free. */
  const create = (make: (key: number) => number): { id: number; key: number } => {
    const tries = chosenKey === undefined ? RANDOM_KEY_TRIES : 1;
    for (let n = 0; ; n++) {
      const key = chosenKey ?? randomInt(1, 0x1_0000_0000) | 0;
      try {
        return { id: make(key), key };
      } catch (e) {
        if (!isIpcError(e)) throw e;
        if (e.errno === EEXIST && n + 1 < tries) continue;
        const hint = e.errno === EEXIST ? ` (key ${formatKey(key)} is taken)` : '';
        throw new CreateFailed(e.errno, hint);
      }
    }
  };

  const attempt = (what: string, fn: () => void): boolean => {
    try {
      fn();
      return true;
    } catch (e) {
      if (!(e instanceof CreateFailed)) throw e;
      warn(`${what}: ${e.message}${e.hint}`);
      return false;
    }
  };

  if (askShm) {
    const ok = attempt('create share memory failed', () => {
      // Sizes past 2^53 cannot reach shmget through src/ipc: answer as the kernel does.
      if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new CreateFailed(size > LLONG_MAX ? EINVAL : ENOMEM);
      const bytes = Number(size);
      const made = create((key) => SharedMemory.get(key, bytes, { create: true, exclusive: true, mode }).id);
      report('shm', made.id, made.key, { size: bytes }, 'Shared memory id');
    });
    if (!ok) return 1;
  }
  if (askMsg) {
    const ok = attempt('create message queue failed', () => {
      const made = create((key) => MessageQueue.get(key, { create: true, exclusive: true, mode }).id);
      report('msg', made.id, made.key, {}, 'Message queue id');
    });
    if (!ok) return 1;
  }
  if (askSem) {
    const ok = attempt('create semaphore failed', () => {
      // semget refuses a negative count with EINVAL; src/ipc refuses to pass one.
      if (nsems < 0) throw new CreateFailed(EINVAL);
      const made = create((key) => SemaphoreSet.get(key, nsems, { create: true, exclusive: true, mode }).id);
      report('sem', made.id, made.key, { nsems }, 'Semaphore id');
    });
    if (!ok) return 1;
  }
  return 0;
}
