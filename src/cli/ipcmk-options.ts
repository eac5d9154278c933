// `svipc ipcmk`'s command line: util-linux 2.38.1's getopt table and --help (its spec, kept byte
// for byte), util-linux 2.42.2's POSIX options (-m/--posix-shmem SIZE, -q/--posix-mqueue,
// -s/--posix-semaphore, -n/--name NAME: letters 2.38.1 does not know, so nothing 2.38.1 accepts
// changes), and svipc's -k/--key and --json. Parsed into the request that ipcmk-create.ts makes.
//
// As util-linux: each option acts as getopt returns it, so a bad size stops the run before a
// later bad option is seen.
import { ERRNO } from '../ipc/errno.js';
import { strerror } from '../ipc/errors.js';
import type { CommandContext } from './context.js';
import type { LongOption } from './getopt.js';
import { ConversionError, parseSize, strtos32, strtoumax, toInt32 } from './size.js';
import { eachOption, messages, svipcVersionLine } from './util-linux.js';
import { parseKey } from './values.js';

const { EINVAL, ERANGE } = ERRNO;

// util-linux's optstring (2.38.1's, then 2.42.2's POSIX letters), then svipc's -k.
const OPTSTRING = 'hM:QS:p:Vhm:qsn:k:';
export const LONGOPTS: LongOption[] = [
  // util-linux 2.42.2's table, in its order (abbreviations and ambiguity messages depend on it;
  // its POSIX names, like svipc's, are `later`: an abbreviation 2.38.1 knows is resolved as
  // 2.38.1 does, messages included)...
  { name: 'shmem', arg: 'required', key: 'M' },
  { name: 'posix-shmem', arg: 'required', key: 'm', later: true },
  { name: 'semaphore', arg: 'required', key: 'S' },
  { name: 'posix-semaphore', arg: 'none', key: 's', later: true },
  { name: 'queue', arg: 'none', key: 'Q' },
  { name: 'posix-mqueue', arg: 'none', key: 'q', later: true },
  { name: 'mode', arg: 'required', key: 'p' },
  { name: 'name', arg: 'required', key: 'n', later: true },
  { name: 'version', arg: 'none', key: 'V' },
  { name: 'help', arg: 'none', key: 'h' },
  // ...then svipc's own.
  { name: 'key', arg: 'required', key: 'k', later: true },
  { name: 'json', arg: 'none', key: 'J', later: true },
];

/** util-linux 2.38.1's help plus svipc's two options (the POSIX ones are in svipc-ipcmk(1)). */
export function ipcmkUsage(prog: string): string {
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

/** What to make. Sizes are apart: `-M 1K -m 2K` gives each its own (2.42.2 shares one). */
export interface IpcmkRequest {
  /** -M SIZE: a System V segment of that many bytes. */
  shm?: bigint;
  /** -Q */
  msg: boolean;
  /** -S N: a System V semaphore set of N. */
  sem?: number;
  /** -m SIZE: a POSIX shared memory object of that many bytes. */
  pshm?: bigint;
  /** -q, -s */
  pmsg: boolean;
  psem: boolean;
  /** -n NAME: the one name of every POSIX object asked for (the last -n wins, as in 2.42.2). */
  name?: string;
  /** -p MODE, all of it (the creation keeps the low 9 bits). */
  permission: number;
  /** -k KEY: System V objects get this key, exclusively. */
  key?: number;
  json: boolean;
}

/**
 * Parse ipcmk's arguments: the request, or the exit code when the run ends here (help and
 * version written through `out`, errors through util-linux's messages on stderr).
 */
export function parseIpcmk(ctx: CommandContext, out: (s: string) => void): IpcmkRequest | number {
  const { warn, tryHelp } = messages(ctx);
  const req: IpcmkRequest = { msg: false, pmsg: false, psem: false, permission: 0o644, json: false };
  const size = (arg: string): bigint | null => {
    try {
      return parseSize(arg);
    } catch (e) {
      if (!(e instanceof ConversionError)) throw e;
      warn(`failed to parse size: '${arg}': ${strerror(e.code === 'ERANGE' ? ERANGE : EINVAL)}`);
      return null;
    }
  };
  const operands: string[] = []; // util-linux ignores operands (`ipcmk -Q extra` makes a queue)
  const texts = { help: () => ipcmkUsage(ctx.prog), version: () => svipcVersionLine(ctx.prog) };
  const table = { optstring: OPTSTRING, longopts: LONGOPTS, operands };
  const stop = eachOption(ctx, table, texts, out, (opt, arg) => {
    switch (opt.key) {
      case 'M':
      case 'm': {
        const bytes = size(arg);
        if (bytes === null) return 1;
        req[opt.key === 'M' ? 'shm' : 'pshm'] = bytes;
        break;
      }
      case 'Q':
        req.msg = true;
        break;
      case 'q':
        req.pmsg = true;
        break;
      case 's':
        req.psem = true;
        break;
      case 'n':
        req.name = arg;
        break;
      case 'S':
        try {
          req.sem = strtos32(arg);
        } catch (e) {
          if (!(e instanceof ConversionError)) throw e;
          warn(`failed to parse elements: '${arg}'${e.code === 'ERANGE' ? `: ${strerror(ERANGE)}` : ''}`);
          return 1;
        }
        break;
      case 'p': {
        // strtoul(optarg, &end, 8), then err(): errno is 0 ("Success") for junk.
        const r = strtoumax(arg, 8);
        if (r.erange || r.end === 0 || r.end !== arg.length) {
          warn(`failed to parse mode: ${strerror(r.erange ? ERANGE : 0)}`);
          return 1;
        }
        req.permission = toInt32(r.value);
        break;
      }
      case 'k':
        try {
          req.key = parseKey(arg);
        } catch {
          warn(`failed to parse key: '${arg}'`);
          return 1;
        }
        break;
      case 'J':
        req.json = true;
        break;
    }
  });
  if (stop !== undefined) return stop;
  const posix = req.pshm !== undefined || req.pmsg || req.psem;
  if (req.shm === undefined && !req.msg && req.sem === undefined && !posix) {
    warn('bad usage');
    tryHelp();
    return 1;
  }
  if (posix && req.name === undefined) {
    warn('name is required for POSIX IPC');
    tryHelp();
    return 1;
  }
  return req;
}
