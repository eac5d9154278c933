// POSIX shared memory: shm_open, ftruncate, mmap, munmap, shm_unlink. A mapping is used in
// place, as System V's Attachment is: Buffer views over the mapped bytes, no copies, each at most
// MAX_VIEW (Node's largest Buffer); a larger object maps fine and is used in parts.

import { fstatSync } from 'node:fs';
import { ERRNO } from './errno.js';
import { IpcError, ipcError } from './errors.js';
import { type Address, addressOf, fn, PX, viewOf } from './libc.js';
import { markCreated } from './owned.js';
import {
  CREATE_EXCLUSIVE,
  checkName,
  disposeNamed,
  EBADF,
  fdIdentity,
  identityOf,
  openArgs,
  openCall,
  type PosixOpenOptions,
} from './posix-common.js';
import { checkViewRange, MAX_VIEW } from './shm.js';
import { checked, fail, type Traced, type Tracer, trace } from './trace.js';
import { checkInt, checkMode } from './validate.js';

const { EFBIG, EINVAL } = ERRNO;
const MAP_FAILED = 0xffffffffffffffffn; // (void *) -1

/** Where Linux's shm_open keeps objects: "/NAME" is the file /dev/shm/NAME. */
export const SHM_DIR = '/dev/shm';

/** A view larger than a Buffer can be was asked for: one line, nothing touched. */
export class PosixViewTooLargeError extends IpcError {
  constructor(name: string, size: number, offset: number, length: number) {
    super('mmap', EFBIG);
    this.message =
      `POSIX shared memory ${name} is mapped with ${size} bytes: ${length} bytes from offset ${offset} is more ` +
      `than svipc can view at once (at most ${MAX_VIEW} bytes, Node's largest Buffer); take it in parts`;
  }
}

/** A mapping of a POSIX shared memory object (mmap MAP_SHARED); valid until unmap(). */
export class PosixMapping {
  #addr: Address | null;
  #buffer: Buffer | null = null;

  constructor(
    readonly name: string,
    addr: Address,
    /** Bytes mapped (may exceed MAX_VIEW). */
    readonly size: number,
    readonly readonly: boolean,
    /** Where munmap is traced: the object's tracer (see Tracer). */
    readonly trace?: Tracer,
  ) {
    this.#addr = addr;
  }

  get mapped(): boolean {
    return this.#addr !== null;
  }

  /** `length` bytes from `offset` (default: to the end), in place. */
  view(offset = 0, length = this.size - offset): Buffer {
    const addr = this.#live();
    checkViewRange(this.name, offset, length, `its ${this.size} mapped bytes`, this.size);
    if (length > MAX_VIEW) throw new PosixViewTooLargeError(this.name, this.size, offset, length);
    if (offset === 0 && length === this.size) return this.buffer;
    return viewOf(addr, length, offset);
  }

  /** All mapped bytes, in place (no copy). Throws once unmapped. */
  get buffer(): Buffer {
    const addr = this.#live();
    if (this.size > MAX_VIEW) throw new PosixViewTooLargeError(this.name, this.size, 0, this.size);
    this.#buffer ??= viewOf(addr, this.size);
    return this.#buffer;
  }

  get address(): bigint {
    return addressOf(this.#live());
  }

  /** munmap. Idempotent; views are unusable afterwards. */
  unmap(): void {
    if (this.#addr === null) return;
    const addr = this.#addr;
    this.#addr = null;
    this.#buffer = null;
    const args = () => `0x${addressOf(addr).toString(16)}, ${this.size}`;
    if ((fn.munmap(addr, this.size) as number) < 0) fail('munmap', args, false, this.trace);
    trace('munmap', args, 0, this.trace);
  }

  /** `using m = shm.map()`: unmapped at the end of the scope. */
  [Symbol.dispose](): void {
    this.unmap();
  }

  #live(): Address {
    if (this.#addr === null) throw new Error(`${this.name} is unmapped`);
    return this.#addr;
  }
}

export class PosixSharedMemory {
  #fd: number;
  #identity: string | null = null;

  private constructor(
    readonly name: string,
    fd: number,
    readonly readonly: boolean,
    /** Where this object's calls are traced (see Tracer); none by default. */
    readonly trace: Tracer | undefined,
  ) {
    this.#fd = fd;
  }

  /** shm_open(name, flags, mode); with `size`, ftruncate to it (a new object starts empty). */
  static open(
    name: string,
    opts: Omit<PosixOpenOptions, 'access'> & { readonly?: boolean; size?: number } = {},
  ): PosixSharedMemory {
    const { flags, mode, args } = openCall(name, { ...opts, access: opts.readonly ? 'read' : 'readwrite' });
    const fd = checked('shm_open', args, fn.shm_open(name, flags, mode) as number, opts.trace);
    const shm = new PosixSharedMemory(name, fd, opts.readonly ?? false, opts.trace);
    if (opts.size !== undefined) {
      try {
        shm.resize(opts.size);
      } catch (e) {
        shm.close();
        throw e;
      }
    }
    return shm;
  }

  /** A new object of `size` bytes, made exclusively (EEXIST when taken); unlinked by `using`. */
  static create(name: string, size: number, opts: { mode?: number } & Traced = {}): PosixSharedMemory {
    checkInt('size', size, 0, Number.MAX_SAFE_INTEGER);
    const shm = PosixSharedMemory.open(name, {
      mode: opts.mode,
      trace: opts.trace,
      create: true,
      exclusive: true,
    });
    shm.#identity = fdIdentity(shm.#fd);
    markCreated(shm);
    try {
      shm.resize(size);
    } catch (e) {
      shm[Symbol.dispose]();
      throw e;
    }
    return shm;
  }

  /** shm_unlink(name): the object goes once the last descriptor and mapping are gone. */
  static unlink(name: string, opts: Traced = {}): void {
    checkName(name);
    checked('shm_unlink', () => `"${name}"`, fn.shm_unlink(name) as number, opts.trace);
  }

  /** The file descriptor shm_open returned; -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /** The object's size in bytes (fstat). */
  get size(): number {
    try {
      return fstatSync(this.#liveFd('fstat')).size;
    } catch (e) {
      throw nodeError('fstat', e);
    }
  }

  /** ftruncate: grow (with zero bytes) or shrink the object. */
  resize(size: number): void {
    checkInt('size', size, 0, Number.MAX_SAFE_INTEGER);
    const fd = this.#liveFd('ftruncate');
    checked('ftruncate', () => `${fd}, ${size}`, fn.ftruncate(fd, size) as number, this.trace);
  }

  /** mmap MAP_SHARED of the whole object (its size now), read-write unless opened or asked readonly. */
  map(opts: { readonly?: boolean } = {}): PosixMapping {
    const fd = this.#liveFd('mmap');
    const size = this.size;
    const ro = this.readonly || (opts.readonly ?? false);
    const prot = ro ? PX.PROT_READ : PX.PROT_READ | PX.PROT_WRITE;
    const args = () => `NULL, ${size}, ${ro ? 'PROT_READ' : 'PROT_READ|PROT_WRITE'}, MAP_SHARED, ${fd}, 0`;
    const addr = fn.mmap(null, size, prot, PX.MAP_SHARED, fd, 0) as Address;
    if (addr === null || addressOf(addr) === MAP_FAILED) fail('mmap', args, false, this.trace);
    trace('mmap', args, `0x${addressOf(addr).toString(16)}`, this.trace);
    return new PosixMapping(this.name, addr, size, ro, this.trace);
  }

  /** close the descriptor. Idempotent; mappings stay valid until unmapped. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    checked('close', () => `${fd}`, fn.close(fd) as number, this.trace);
  }

  /** shm_unlink of this object's name. */
  remove(): void {
    PosixSharedMemory.unlink(this.name, this);
  }

  /** `using shm = PosixSharedMemory.create(...)`: closed, and unlinked when this object made it (and still is it). */
  [Symbol.dispose](): void {
    disposeNamed(
      this,
      () => this.#identity !== null && identityOf(`${SHM_DIR}${this.name}`) === this.#identity,
    );
  }

  #liveFd(syscall: string): number {
    if (this.#fd < 0) throw ipcError(syscall, EBADF);
    return this.#fd;
  }
}

/** A Node fs error as the IpcError of its call. */
function nodeError(syscall: string, e: unknown): unknown {
  const errno = (e as { errno?: number }).errno;
  return typeof errno === 'number' ? ipcError(syscall, Math.abs(errno)) : e;
}

// util-linux's ipcmk/ipcrm take POSIX names as glibc does (leading slashes optional, glibc's own
// refusals and errnos), so these pass the name as given instead of through checkName.

const LLONG_MAX = (1n << 63n) - 1n;

/**
 * `ipcmk -m SIZE -n NAME`: shm_open(name, O_RDWR|O_CREAT|O_EXCL, mode), ftruncate to `size` (a
 * bigint: tmpfs takes sparse sizes up to 2^63-1, beyond a Number), close. Exclusive: an existing
 * object is never opened, let alone resized. When the size is refused, what was made is unlinked.
 * Returns the object's permission bits as made (the umask applies, as to any file).
 */
export function createNamedSegment(name: string, size: bigint, mode: number): number {
  checkMode(mode);
  const fd = checked(
    'shm_open',
    () => openArgs(name, CREATE_EXCLUSIVE, mode),
    fn.shm_open(name, CREATE_EXCLUSIVE, mode) as number,
  );
  try {
    // size_t -> off_t: past LLONG_MAX it is negative, which ftruncate refuses with EINVAL.
    if (size > LLONG_MAX || size < 0n) throw ipcError('ftruncate', EINVAL);
    checked('ftruncate', () => `${fd}, ${size}`, fn.ftruncate(fd, size) as number);
    return fstatSync(fd).mode & 0o777;
  } catch (e) {
    fn.shm_unlink(name);
    throw e;
  } finally {
    fn.close(fd);
  }
}

/** shm_unlink(name) with the name as given (`ipcrm --posix-shmem NAME`). */
export function unlinkNamedSegment(name: string): void {
  checked('shm_unlink', () => `"${name}"`, fn.shm_unlink(name) as number);
}
