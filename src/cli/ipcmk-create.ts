// What `svipc ipcmk` makes, in util-linux's order whatever the order given: the System V
// segment, the POSIX shared memory object, the queue, the POSIX queue, the semaphore set, the
// POSIX semaphore (2.42.2's order), each printed as it is made; the first failure ends the run
// ("create ... failed: REASON", exit 1), leaving what was made before it.
//
// System V objects get a random key (never IPC_PRIVATE) or -k's, always made exclusively: an
// object whose key is taken is never reused. POSIX objects are made exclusively too (2.42.2
// opens an existing one, and resizes an existing segment: svipc refuses, see svipc-ipcmk(1)).

import { randomInt } from 'node:crypto';
import { ERRNO } from '../ipc/errno.js';
import { formatKey, isIpcError, MessageQueue, SemaphoreSet, SharedMemory, strerror } from '../ipc/index.js';
import type { IpcKind } from '../ipc/kinds.js';
import type { PosixKind } from '../ipc/posix-inventory.js';
import { createNamedQueue } from '../ipc/posix-mq.js';
import { createNamedSemaphore } from '../ipc/posix-sem.js';
import { createNamedSegment } from '../ipc/posix-shm.js';
import type { IpcmkRequest } from './ipcmk-options.js';

const { EINVAL, ENOMEM, EEXIST } = ERRNO;

/** size_t values the kernel refuses outright: above LLONG_MAX, shmem's MAX_LFS_FILESIZE. */
const LLONG_MAX = (1n << 63n) - 1n;
/** How many random keys to try before giving up when each one is taken. */
const RANDOM_KEY_TRIES = 16;

/** What --json prints for a System V object (schemaVersion 1, documented in svipc-ipcmk(1)). */
export interface CreatedJson {
  schemaVersion: 1;
  kind: IpcKind;
  id: number;
  key: number;
  keyHex: string;
  mode: number;
  modeOctal: string;
  size?: number;
  nsems?: number;
}

/**
 * What --json prints for a POSIX object: its name instead of id and key, the mode it got (the
 * umask applies to POSIX objects, not to System V ones), and the size of a pshm.
 */
export interface CreatedPosixJson {
  schemaVersion: 1;
  kind: PosixKind;
  name: string;
  mode: number;
  modeOctal: string;
  size?: bigint;
}

class CreateFailed extends Error {
  constructor(
    readonly errno: number,
    readonly hint = '',
  ) {
    super(strerror(errno));
  }
}

/** Make what `req` asks for; 0, or 1 after the first failure's message. */
export function createRequested(
  req: IpcmkRequest,
  out: (s: string) => void,
  warn: (m: string) => void,
): number {
  // The kernel keeps the low 9 bits as the mode. util-linux passes the whole value as
  // msgget/semget/shmget flags (and open(2) modes); svipc passes those 9 bits (svipc-ipcmk(1)).
  const mode = req.permission & 0o777;
  const modeOctal = `0${mode.toString(8).padStart(3, '0')}`;
  const name = req.name ?? '';

  const sysv = (kind: IpcKind, label: string, make: (key: number) => number, extra: Partial<CreatedJson>) => {
    const tries = req.key === undefined ? RANDOM_KEY_TRIES : 1;
    for (let n = 0; ; n++) {
      const key = req.key ?? randomInt(1, 0x1_0000_0000) | 0;
      let id: number;
      try {
        id = make(key);
      } catch (e) {
        if (!isIpcError(e)) throw e;
        if (e.errno === EEXIST && n + 1 < tries) continue;
        throw new CreateFailed(e.errno, e.errno === EEXIST ? ` (key ${formatKey(key)} is taken)` : '');
      }
      if (!req.json) return out(`${label}: ${id}\n`);
      const rec: CreatedJson = {
        schemaVersion: 1,
        kind,
        id,
        key,
        keyHex: formatKey(key),
        mode,
        modeOctal,
        ...extra,
      };
      return out(`${JSON.stringify(rec)}\n`);
    }
  };

  /** `make` returns the mode the object got (the umask applies to POSIX objects, as to files). */
  const posix = (kind: PosixKind, label: string, make: () => number, size?: bigint) => {
    let made: number;
    try {
      made = make();
    } catch (e) {
      if (!isIpcError(e)) throw e;
      throw new CreateFailed(
        e.errno,
        e.errno === EEXIST ? ` (${name} exists: ipcmk makes new objects only)` : '',
      );
    }
    if (!req.json) return out(`${label}: ${name}\n`);
    const octal = `0${made.toString(8).padStart(3, '0')}`;
    const rec: Omit<CreatedPosixJson, 'size'> = {
      schemaVersion: 1,
      kind,
      name,
      mode: made,
      modeOctal: octal,
    };
    // A bigint size is written as its digits: JSON.stringify cannot.
    const text = JSON.stringify(rec);
    out(`${size === undefined ? text : `${text.slice(0, -1)},"size":${size}}`}\n`);
  };

  const steps: [boolean, string, () => void][] = [
    [
      req.shm !== undefined,
      'create share memory failed',
      () => {
        const size = req.shm ?? 0n;
        // Sizes past 2^53 cannot reach shmget through src/ipc: answer as the kernel does.
        if (size > BigInt(Number.MAX_SAFE_INTEGER))
          throw new CreateFailed(size > LLONG_MAX ? EINVAL : ENOMEM);
        const bytes = Number(size);
        const make = (key: number) =>
          SharedMemory.get(key, bytes, { create: true, exclusive: true, mode }).id;
        sysv('shm', 'Shared memory id', make, { size: bytes });
      },
    ],
    [
      req.pshm !== undefined,
      'create POSIX shared memory failed',
      () =>
        posix(
          'pshm',
          'POSIX shared memory name',
          () => createNamedSegment(name, req.pshm ?? 0n, mode),
          req.pshm,
        ),
    ],
    [
      req.msg,
      'create message queue failed',
      () =>
        sysv(
          'msg',
          'Message queue id',
          (key) => MessageQueue.get(key, { create: true, exclusive: true, mode }).id,
          {},
        ),
    ],
    [
      req.pmsg,
      'create POSIX message queue failed',
      () => posix('pmsg', 'POSIX message queue name', () => createNamedQueue(name, mode)),
    ],
    [
      req.sem !== undefined,
      'create semaphore failed',
      () => {
        const nsems = req.sem ?? 0;
        // semget refuses a negative count with EINVAL; src/ipc refuses to pass one.
        if (nsems < 0) throw new CreateFailed(EINVAL);
        const make = (key: number) =>
          SemaphoreSet.get(key, nsems, { create: true, exclusive: true, mode }).id;
        sysv('sem', 'Semaphore id', make, { nsems });
      },
    ],
    [
      req.psem,
      'create POSIX semaphore failed',
      () => posix('psem', 'POSIX semaphore name', () => createNamedSemaphore(name, mode)),
    ],
  ];
  for (const [asked, what, make] of steps) {
    if (!asked) continue;
    try {
      make();
    } catch (e) {
      if (!(e instanceof CreateFailed)) throw e;
      warn(`${what}: ${e.message}${e.hint}`);
      return 1;
    }
  }
  return 0;
}
