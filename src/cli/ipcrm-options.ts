// `svipc ipcrm`'s command line: util-linux 2.38.1's getopt table and --help (its spec, kept byte
// for byte), with util-linux 2.42.2's long-only POSIX options (--posix-shmem, --posix-mqueue,
// --posix-semaphore NAME) in 2.42.2's places; `--all` also takes 2.42.2's pshm, pmsg, psem.
import type { IpcKind } from '../ipc/kinds.js';
import type { PosixKind } from '../ipc/posix-inventory.js';
import type { LongOption } from './getopt.js';

export const IPCRM_OPTSTRING = 'q:m:s:Q:M:S:a::vhV';

// 2.42.2's order (abbreviations and ambiguity messages depend on it). Its POSIX names are
// `later`: an abbreviation 2.38.1 knows (`--s`, even `--=x`) is resolved as 2.38.1 does.
export const IPCRM_LONGOPTS: LongOption[] = [
  { name: 'shmem-id', arg: 'required', key: 'm' },
  { name: 'shmem-key', arg: 'required', key: 'M' },
  { name: 'posix-shmem', arg: 'required', key: 'pshm', later: true },
  { name: 'queue-id', arg: 'required', key: 'q' },
  { name: 'queue-key', arg: 'required', key: 'Q' },
  { name: 'posix-mqueue', arg: 'required', key: 'pmsg', later: true },
  { name: 'semaphore-id', arg: 'required', key: 's' },
  { name: 'semaphore-key', arg: 'required', key: 'S' },
  { name: 'posix-semaphore', arg: 'required', key: 'psem', later: true },
  { name: 'all', arg: 'optional', key: 'a' },
  { name: 'verbose', arg: 'none', key: 'v' },
  { name: 'version', arg: 'none', key: 'V' },
  { name: 'help', arg: 'none', key: 'h' },
];

export const KIND_OF_OPTION: Record<string, IpcKind> = {
  m: 'shm',
  M: 'shm',
  q: 'msg',
  Q: 'msg',
  s: 'sem',
  S: 'sem',
};

/** What `--all=WHAT` names: a System V kind, a POSIX kind, or (bare -a) every System V kind. */
export type AllWhat = IpcKind | PosixKind | 'all';
const ALL_WHAT: readonly string[] = ['shm', 'msg', 'sem', 'pshm', 'pmsg', 'psem'];
export const isAllWhat = (s: string): s is IpcKind | PosixKind => ALL_WHAT.includes(s);

/** -v's words for each kind ("removing shared memory segment id `3'"). */
export const VERBOSE_NAME: Record<IpcKind | PosixKind, string> = {
  shm: 'shared memory segment',
  msg: 'message queue',
  sem: 'semaphore',
  pshm: 'POSIX shared memory',
  pmsg: 'POSIX message queue',
  psem: 'POSIX semaphore',
};

export const NOT_CONFIGURED: Record<IpcKind, string> = {
  shm: 'shared memory',
  msg: 'message queues',
  sem: 'semaphores',
};

/** util-linux 2.38.1's help (the POSIX options are documented in svipc-ipcrm(1)). */
export function ipcrmUsage(prog: string): string {
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
