// svipc shm-list-writer [VALUES...]: the lecture's shm-list-writer. Builds a linked list
// whose links are offsets from the segment base (not addresses) in the segment of key
// SHM_KEY (0x1234; --key), room for 1000 elements as list_init(1000), default values
// 13 17 42, and prints what the C program prints. The segment is left for the reader.
import type { CommandContext } from '../src/cli/context.js';
import { CommandError, EXIT, UsageError } from '../src/cli/exit.js';
import { shmgetInvalid } from '../src/cli/explain.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { addTraceOption, withTrace } from '../src/cli/trace-option.js';
import { parseCount, parseInteger, parseKey } from '../src/cli/values.js';
import { formatKey, isIpcError, MAX_VIEW, SharedMemory, strerror } from '../src/ipc/index.js';
import {
  DEFAULT_LENGTH,
  DEFAULT_VALUES,
  ELEMENT_SIZE,
  INT_MAX,
  INT_MIN,
  ListFullError,
  ListWriter,
  OBJ_PERMS,
  SHM_KEY,
  visitLine,
  walkList,
} from '../src/protocols/shm-list.js';
import { otherOwner } from '../src/protocols/shmseg.js';

interface Opts {
  key?: string;
  length?: string;
  quiet?: boolean;
  trace?: boolean;
}

const hex = (a: bigint) => `0x${a.toString(16)}`;

export async function run(ctx: CommandContext): Promise<number> {
  const program = addTraceOption(
    newProgram(
      ctx,
      "The lecture's shm-list-writer: build a linked list of VALUES in a shared memory segment, " +
        'each element linked to the next by its offset from the segment base (0 ends the list).',
    ),
  )
    .argument('[values...]', 'the integers to store (default: 13 17 42)')
    .option('--key <key>', "the segment key (default 0x1234, the lecture's SHM_KEY)")
    .option('--length <n>', `room for this many elements (default ${DEFAULT_LENGTH}, as list_init(1000))`)
    .option('-q, --quiet', 'print only the "[common] visit list:" line (no addresses)')
    .addHelpText(
      'after',
      '\nOutput (as the C program; addresses vary from run to run):\n' +
        '  list attached at 0x...\n  list_init: top=0x..., len=1000\n  allocated 0x... (length: 1)   (one per value)\n' +
        '  [common] visit list: 13 17 42 \n' +
        'The segment (key 0x1234, mode 0660, 16 bytes per element) stays for shm-list-reader;\n' +
        'remove it with `svipc ipcrm -M 0x1234`. An existing segment there is written only if it is\n' +
        'a list of yours of this size; anything else is named and left alone.\nExit status: 0 ok, 1 failed, 2 usage.',
    );
  program.action(
    action(program, (valueTexts: string[], opts: Opts) => {
      const key = opts.key === undefined ? SHM_KEY : parseKey(opts.key);
      if (key === 0) throw new UsageError('--key 0 is IPC_PRIVATE: the reader could not find the list');
      const len = opts.length === undefined ? DEFAULT_LENGTH : parseCount(opts.length, 'length', 1 << 26);
      if (len < 1) throw new UsageError('invalid length: at least 1 element');
      const values =
        valueTexts.length === 0 ? DEFAULT_VALUES : valueTexts.map((t) => parseInteger(t, 'value'));
      for (const [i, v] of values.entries())
        if (v < INT_MIN || v > INT_MAX) throw new UsageError(`invalid value: '${valueTexts[i]}' (a C int)`);
      // Known before anything is created: a failed run leaves no segment it made.
      if (values.length > len)
        throw new CommandError(`list_append: Cannot allocate memory (room for ${len} elements)`);
      const out = (line: string) => {
        if (!opts.quiet) ctx.stdout.write(`${line}\n`);
      };
      return withTrace(ctx, opts, () => {
        // list_init(len)
        let shm: SharedMemory;
        try {
          shm = ownList(key, len * ELEMENT_SIZE);
        } catch (e) {
          if (e instanceof CommandError) throw e;
          if (isIpcError(e, 'EINVAL')) throw shmgetInvalid(key, len * ELEMENT_SIZE); // smaller segment, or shmmax
          if (isIpcError(e)) throw new CommandError(`list_init error: ${e.syscall}: ${strerror(e.errno)}`);
          throw e;
        }
        const att = shm.attach();
        try {
          const base = att.address;
          out(`list attached at ${hex(base)}`);
          out(`list_init: top=${hex(base)}, len=${len}`);
          const seg = att.view(0, Math.min(att.size, MAX_VIEW));
          const list = new ListWriter(seg, len);
          const alloc = (val: number, after: number | null): number => {
            let elt: number;
            try {
              elt = after === null ? list.alloc() : list.append(after, val);
            } catch (e) {
              if (e instanceof ListFullError)
                throw new CommandError(`list_append: Cannot allocate memory (room for ${len} elements)`);
              throw e;
            }
            if (after === null) list.setVal(elt, val);
            out(`allocated ${hex(base + BigInt(elt))} (length: ${list.count})`);
            return elt;
          };
          let l = alloc(values[0]!, null);
          for (const v of values.slice(1)) l = alloc(v, l);
          ctx.stdout.write(
            `${visitLine(
              'common',
              walkList(seg).map((e) => e.val),
            )}\n`,
          );
        } finally {
          att.detach();
        }
        return EXIT.OK;
      });
    }),
  );
  return runProgram(program, ctx);
}

/**
 * list_init's shmget(key, size, IPC_CREAT | 0660), touching only our own: a new segment, or
 * one this user made of exactly this size (a list a previous run left). Anything else at the
 * key (another program's segment, another user's) is named and left as it is.
 */
function ownList(key: number, size: number): SharedMemory {
  try {
    return SharedMemory.get(key, size, { create: true, exclusive: true, mode: OBJ_PERMS });
  } catch (e) {
    if (!isIpcError(e, 'EEXIST')) throw e;
  }
  const shm = SharedMemory.get(key, size, { create: true, mode: OBJ_PERMS });
  const st = shm.stat();
  const why =
    otherOwner(st.perm) ??
    (st.segsz !== size ? `${st.segsz} bytes, not ${size} (${size / ELEMENT_SIZE} elements)` : undefined);
  if (why !== undefined) {
    throw new CommandError(
      `segment ${formatKey(key)} (id ${shm.id}) exists and is not a list of this user's: ${why}; ` +
        `nothing written (if it is stale, remove it: svipc ipcrm -m ${shm.id})`,
    );
  }
  return shm;
}
