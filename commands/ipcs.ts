// svipc ipcs: util-linux 2.38.1's ipcs, byte for byte (options, output, messages, exit
// codes), plus --json. Parse options -> ask the inventory -> render (src/cli/ipcs-listing.ts).
import type { CommandContext } from '../src/cli/context.js';
import type { LongOption } from '../src/cli/getopt.js';
import { emit, type IpcsOptions, jsonDocument, showOne, textListing } from '../src/cli/ipcs-listing.js';
import { writeChunksOrReport } from '../src/cli/output.js';
import { getoptFailed, getoptUtilLinux, svipcVersionLine, tryStrtos32 } from '../src/cli/util-linux.js';
import { strerror } from '../src/ipc/errors.js';
import { type IpcsFormat, ipcsHelp } from '../src/render/ipcs-text.js';
import { jsonChunks } from '../src/render/json.js';

// util-linux's order: it decides how an ambiguous abbreviation lists its candidates.
const LONGOPTS: LongOption[] = [
  { name: 'id', arg: 'required', key: 'i' },
  { name: 'queues', arg: 'none', key: 'q' },
  { name: 'shmems', arg: 'none', key: 'm' },
  { name: 'semaphores', arg: 'none', key: 's' },
  { name: 'all', arg: 'none', key: 'a' },
  { name: 'time', arg: 'none', key: 't' },
  { name: 'pid', arg: 'none', key: 'p' },
  { name: 'creator', arg: 'none', key: 'c' },
  { name: 'limits', arg: 'none', key: 'l' },
  { name: 'summary', arg: 'none', key: 'u' },
  { name: 'human', arg: 'none', key: 'human' },
  { name: 'bytes', arg: 'none', key: 'b' },
  { name: 'version', arg: 'none', key: 'V' },
  { name: 'help', arg: 'none', key: 'h' },
  { name: 'json', arg: 'none', key: 'json' },
];
const OPTSTRING = 'i:qmsatpclubVh';

const FORMATS: Record<string, IpcsFormat> = { t: 'time', c: 'creator', p: 'pid', l: 'limits', u: 'summary' };

export async function run(ctx: CommandContext): Promise<number> {
  const fail = (message: string, code = 1): number => {
    ctx.stderr.write(`${ctx.prog}: ${message}\n`);
    return code;
  };
  const o: IpcsOptions = {
    kinds: { msg: false, shm: false, sem: false },
    format: 'default',
    unit: 'default',
    id: null,
    json: false,
  };

  const operands: string[] = []; // util-linux ignores operands
  try {
    for (const opt of getoptUtilLinux(ctx, OPTSTRING, LONGOPTS, operands)) {
      switch (opt.key) {
        case 'i': {
          const text = opt.value ?? '';
          const r = tryStrtos32(text);
          if ('error' in r) {
            const reason = r.error === 'ERANGE' ? `: ${strerror(34)}` : '';
            return fail(`failed to parse id argument: '${text}'${reason}`);
          }
          o.id = r.value;
          break;
        }
        case 'a':
          o.kinds = { msg: true, shm: true, sem: true };
          break;
        case 'q':
          o.kinds.msg = true;
          break;
        case 'm':
          o.kinds.shm = true;
          break;
        case 's':
          o.kinds.sem = true;
          break;
        case 'human':
          o.unit = 'human';
          break;
        case 'b':
          o.unit = 'bytes';
          break;
        case 'json':
          o.json = true;
          break;
        case 'h':
          return emit(ctx, ipcsHelp(ctx.prog));
        case 'V':
          return emit(ctx, svipcVersionLine(ctx.prog));
        default:
          o.format = FORMATS[opt.key] ?? o.format;
      }
    }
  } catch (e) {
    return getoptFailed(ctx, e);
  }

  const { kinds } = o;
  if (o.id !== null) {
    if (Number(kinds.msg) + Number(kinds.shm) + Number(kinds.sem) !== 1) {
      return fail('when using an ID, a single resource must be specified');
    }
    return showOne(ctx, o, o.id, kinds.msg ? 'msg' : kinds.shm ? 'shm' : 'sem');
  }
  if (!kinds.msg && !kinds.shm && !kinds.sem) o.kinds = { msg: true, shm: true, sem: true };
  if (o.json) return writeChunksOrReport(ctx, jsonChunks(jsonDocument(o)), 0);
  return writeChunksOrReport(ctx, textListing(o), 0);
}
