// System V shared memory: shmget, shmat, shmdt, shmctl.
import { constants as bufferConstants } from 'node:buffer';
import { ctlStruct, IdStruct, SysvObject } from './ctl.js';
import { ERRNO } from './errno.js';
import { IpcError } from './errors.js';
import {
  type Address,
  addressOf,
  C,
  decode,
  fn,
  shm_info,
  shmid_ds,
  shminfo,
  sizeOf,
  viewOf,
} from './libc.js';
import { markCreated } from './owned.js';
import { applyPermChange, creation, dsFromRaw, type GetOptions, getId, num, type RawPerm } from './perm.js';
import { checked, fail, type Traced, type Tracer, trace } from './trace.js';
import type { PermChange, ShmInfo, ShmidDs, ShmLimitsInfo } from './types.js';
import { checkInt } from './validate.js';

const { EFBIG } = ERRNO;
const FAILED = 0xffffffffffffffffn; // (void *) -1

interface RawShmid {
  shm_perm: RawPerm;
  shm_segsz: number | bigint;
  shm_atime: number;
  shm_dtime: number;
  shm_ctime: number;
  shm_cpid: number;
  shm_lpid: number;
  shm_nattch: number | bigint;
}

const CMD_NAMES: Record<number, string> = {
  0: 'IPC_RMID',
  1: 'IPC_SET',
  2: 'IPC_STAT',
  3: 'IPC_INFO',
  11: 'SHM_LOCK',
  12: 'SHM_UNLOCK',
  13: 'SHM_STAT',
  14: 'SHM_INFO',
  15: 'SHM_STAT_ANY',
};

function ctl(id: number, cmd: number, buf: Buffer | null, t?: Tracer): number {
  const args = () => `shmid=${id}, cmd=${CMD_NAMES[cmd] ?? cmd}`;
  return checked('shmctl', args, fn.shmctl(id, cmd, buf) as number, t);
}

const fromRaw = dsFromRaw<RawShmid, ShmidDs>('shm_', [
  'segsz',
  'atime',
  'dtime',
  'ctime',
  'cpid',
  'lpid',
  'nattch',
]);

const DS = new IdStruct<RawShmid, ShmidDs>(shmid_ds, ctl, fromRaw, {
  checked: C.SHM_STAT,
  any: C.SHM_STAT_ANY,
});

/** The most bytes one view may cover: Node's largest Buffer (2^32 on Node 20). */
export const MAX_VIEW = bufferConstants.MAX_LENGTH;

/** A view larger than a Buffer can be was asked for: one line, exit 1, nothing touched. */
export class ViewTooLargeError extends IpcError {
  constructor(shmid: number, size: number, offset: number, length: number) {
    super('shmat', EFBIG);
    this.message =
      `shared memory segment ${shmid} is ${size} bytes: ${length} bytes from offset ${offset} is more than ` +
      `svipc can view at once (at most ${MAX_VIEW} bytes, Node's largest Buffer); take it in parts`;
  }
}

/**
 * A segment attached to this process. `buffer` is a view of all of it, `view()` of a part;
 * valid until detach(). Views are made on demand: a segment larger than a Buffer can be
 * (MAX_VIEW) attaches fine and is refused only when a too-large view is asked for.
 */
/**
 * A view's bounds: whole numbers, inside `size` bytes; else a RangeError naming `what` and
 * `extent` ("segment 3: 10 bytes at 4090 are outside its 4096 bytes"). Shared by the System V
 * attachment and the POSIX mapping.
 */
export function checkViewRange(
  what: string,
  offset: number,
  length: number,
  extent: string,
  size: number,
): void {
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > size
  )
    throw new RangeError(`${what}: ${length} bytes at ${offset} are outside ${extent}`);
}

export class Attachment {
  #addr: Address | null;
  #buffer: Buffer | null = null;

  constructor(
    readonly shmid: number,
    addr: Address,
    /** shm_segsz: the whole segment, which may exceed MAX_VIEW. */
    readonly size: number,
    readonly readonly: boolean,
    /** Where its shmdt is traced: the segment's tracer. */
    readonly trace?: Tracer,
  ) {
    this.#addr = addr;
  }

  /** `length` bytes from `offset` (default: to the end), in place. Throws ViewTooLargeError past MAX_VIEW. */
  view(offset = 0, length = this.size - offset): Buffer {
    if (this.#addr === null) throw new Error(`segment ${this.shmid} is detached`);
    checkViewRange(`segment ${this.shmid}`, offset, length, `its ${this.size} bytes`, this.size);
    if (length > MAX_VIEW) throw new ViewTooLargeError(this.shmid, this.size, offset, length);
    if (offset === 0 && length === this.size) return this.buffer;
    return viewOf(this.#addr, length, offset);
  }

  get attached(): boolean {
    return this.#addr !== null;
  }

  /** The segment's bytes, in place (no copy). Throws once detached. */
  get buffer(): Buffer {
    if (this.#addr === null) throw new Error(`segment ${this.shmid} is detached`);
    if (this.size > MAX_VIEW) throw new ViewTooLargeError(this.shmid, this.size, 0, this.size);
    this.#buffer ??= viewOf(this.#addr, this.size);
    return this.#buffer;
  }

  /** The address the kernel chose, for --trace and the lecture's "attached at %p". */
  get address(): bigint {
    if (this.#addr === null) throw new Error(`segment ${this.shmid} is detached`);
    return addressOf(this.#addr);
  }

  /** `using a = shm.attach()`: detached at the end of the scope. */
  [Symbol.dispose](): void {
    this.detach();
  }

  /** shmdt. Idempotent; the buffer is unusable afterwards. */
  detach(): void {
    if (this.#addr === null) return;
    const addr = this.#addr;
    const args = () => `0x${addressOf(addr).toString(16)}`;
    this.#addr = null;
    this.#buffer = null;
    if ((fn.shmdt(addr) as number) < 0) fail('shmdt', args, false, this.trace);
    trace('shmdt', args, 0, this.trace);
  }
}

/** A segment; its attachments are traced where it is. */
export class SharedMemory extends SysvObject('shmid', DS, (id, t) => ctl(id, C.IPC_RMID, null, t)) {
  static get(key: number, size: number, opts: GetOptions & Traced = {}): SharedMemory {
    const get = (k: number, flags: number) =>
      fn.shmget(k, checkInt('size', size, 0, Number.MAX_SAFE_INTEGER), flags) as number;
    return new SharedMemory(getId('shmget', key, opts, get, `, size=${size}`), opts);
  }

  /** A new segment: IPC_PRIVATE, or `key` created exclusively (EEXIST when taken). */
  static create(size: number, opts: { key?: number; mode?: number } & Traced = {}): SharedMemory {
    const { key, get } = creation(opts);
    return markCreated(SharedMemory.get(key, size, { ...get, trace: opts.trace }));
  }

  /** SHM_INFO: system-wide usage. */
  static usage(): ShmInfo {
    const { raw: r, ret } = ctlStruct<Record<string, number | bigint>>(shm_info, (buf) =>
      ctl(0, C.SHM_INFO, buf),
    );
    return {
      usedIds: num(r.used_ids!),
      shmTot: num(r.shm_tot!),
      shmRss: num(r.shm_rss!),
      shmSwp: num(r.shm_swp!),
      swapAttempts: num(r.swap_attempts!),
      swapSuccesses: num(r.swap_successes!),
      maxIndex: ret,
    };
  }

  /** IPC_INFO: the limits (struct shminfo; shmmax and shmall exceed 2^53 by default). */
  static limits(): ShmLimitsInfo {
    const buf = Buffer.alloc(Math.max(sizeOf(shminfo), sizeOf(shmid_ds)));
    const ret = ctl(0, C.IPC_INFO, buf);
    const r = decode<Record<string, number | bigint>>(buf, shminfo);
    const big = (v: number | bigint | undefined): bigint => BigInt(v ?? 0);
    return {
      shmmax: big(r.shmmax),
      shmmin: big(r.shmmin),
      shmmni: big(r.shmmni),
      shmseg: big(r.shmseg),
      shmall: big(r.shmall),
      maxIndex: ret,
    };
  }

  set(change: PermChange): void {
    DS.set(this.id, this.trace, (raw) => applyPermChange(raw.shm_perm, change));
  }

  /** SHM_LOCK: keep the segment's pages in memory (needs CAP_IPC_LOCK or RLIMIT_MEMLOCK). */
  lock(): void {
    ctl(this.id, C.SHM_LOCK, null, this.trace);
  }

  unlock(): void {
    ctl(this.id, C.SHM_UNLOCK, null, this.trace);
  }

  /** shmat at an address the kernel chooses; the view covers the whole segment. */
  attach(opts: { readonly?: boolean } = {}): Attachment {
    // The size for the views: svipc's own IPC_STAT, not the program's (shown with `all`).
    const size = DS.of(this.id, this.trace?.detail).segsz;
    const args = () => `shmid=${this.id}, NULL, ${opts.readonly ? 'SHM_RDONLY' : '0'}`;
    const addr = fn.shmat(this.id, null, opts.readonly ? C.SHM_RDONLY : 0);
    if (addr === null || addressOf(addr) === FAILED) fail('shmat', args, false, this.trace);
    trace('shmat', args, `0x${addressOf(addr).toString(16)}`, this.trace);
    return new Attachment(this.id, addr, size, opts.readonly ?? false, this.trace);
  }
}
