// What shm-list-writer and shm-list-reader do, as the lecture's shm-list-common.h: list_init
// (a segment of this user's own, never another's), the appends, list_get and visit_list,
// with their failures as one line each. The list's layout is src/protocols/shm-list.ts.
import { formatKey, isIpcError, MAX_VIEW, SharedMemory, strerror, type Tracer } from '../ipc/index.js';
import {
  ELEMENT_SIZE,
  ListCorruptError,
  ListFullError,
  ListWriter,
  OBJ_PERMS,
  SHM_KEY,
  visitLine,
  walkList,
} from '../protocols/shm-list.js';
import { otherOwner, tooSmall } from '../protocols/shmseg.js';
import type { CommandContext } from './context.js';
import { CommandError, EXIT, UsageError } from './exit.js';
import { shmgetInvalid } from './explain.js';
import type { OptionSpec } from './spec.js';
import { parseKey } from './values.js';

const hex = (a: bigint) => `0x${a.toString(16)}`;

/** --key of both programs. */
export const LIST_KEY_OPTION: OptionSpec = {
  flags: '--key <key>',
  description: "the segment key (default 0x1234, the lecture's SHM_KEY)",
};

/** The list's key: --key, or SHM_KEY without it; 0 (IPC_PRIVATE) is refused, `why` says why. */
export function listKey(text: string | undefined, why: string): number {
  const key = text === undefined ? SHM_KEY : parseKey(text);
  if (key === 0) throw new UsageError(`--key 0 is IPC_PRIVATE: ${why}`);
  return key;
}

/** How both programs end: visit_list's line ("[common] visit list: 13 17 42 "), exit 0. */
export function visitListed(ctx: CommandContext, values: readonly number[]): number {
  ctx.stdout.write(`${visitLine('common', values)}\n`);
  return EXIT.OK;
}

/**
 * list_init(len) and the appends of `values`, printing (through `out`) the C program's lines;
 * returns the values as visit_list finds them. The segment stays for the reader.
 */
export function writeList(
  key: number,
  len: number,
  values: readonly number[],
  out: (line: string) => void,
  trace: Tracer | undefined,
): number[] {
  let shm: SharedMemory;
  try {
    shm = ownList(key, len * ELEMENT_SIZE, trace);
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
    const list = new ListWriter(seg, len, trace);
    const alloc = (val: number, after: number | null): number => {
      let elt: number;
      try {
        elt = after === null ? list.first(val) : list.append(after, val);
      } catch (e) {
        if (e instanceof ListFullError)
          throw new CommandError(`list_append: Cannot allocate memory (room for ${len} elements)`);
        throw e;
      }
      out(`allocated ${hex(base + BigInt(elt))} (length: ${list.count})`);
      return elt;
    };
    let l = alloc(values[0]!, null);
    for (const v of values.slice(1)) l = alloc(v, l);
    return walkList(seg).map((e) => e.val);
  } finally {
    att.detach();
  }
}

/**
 * list_init's shmget(key, size, IPC_CREAT | 0660), touching only our own: a new segment, or
 * one this user made of exactly this size (a list a previous run left). Anything else at the
 * key (another program's segment, another user's) is named and left as it is.
 */
function ownList(key: number, size: number, trace: Tracer | undefined): SharedMemory {
  try {
    return SharedMemory.get(key, size, { create: true, exclusive: true, mode: OBJ_PERMS, trace });
  } catch (e) {
    if (!isIpcError(e, 'EEXIST')) throw e;
  }
  const shm = SharedMemory.get(key, size, { create: true, mode: OBJ_PERMS, trace });
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

/** list_get and visit_list: the values of the list at `key`; `attached` gets the address. */
export function readList(
  key: number,
  attached: (address: bigint) => void,
  trace: Tracer | undefined,
): number[] {
  let att: ReturnType<SharedMemory['attach']>;
  try {
    att = SharedMemory.get(key, 0, { trace }).attach({ readonly: true });
  } catch (e) {
    if (isIpcError(e, 'ENOENT'))
      throw new CommandError(
        `list_get error: no shared memory segment of key ${formatKey(key)} (run shm-list-writer first)`,
      );
    if (isIpcError(e)) throw new CommandError(`list_get error: ${e.syscall}: ${strerror(e.errno)}`);
    throw e;
  }
  try {
    attached(att.address);
    if (att.size < ELEMENT_SIZE)
      throw new CommandError(tooSmall(att.shmid, att.size, 'shm-list (struct list)', ELEMENT_SIZE));
    try {
      return walkList(att.view(0, Math.min(att.size, MAX_VIEW))).map((e) => e.val);
    } catch (e) {
      if (e instanceof ListCorruptError)
        throw new CommandError(`corrupt list in segment ${att.shmid} (key ${formatKey(key)}): ${e.message}`);
      throw e;
    }
  } finally {
    att.detach();
  }
}
