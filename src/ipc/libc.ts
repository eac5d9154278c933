// The ONLY module that imports koffi: libc's System V IPC functions and their structs,
// declared once for the whole program. Everything here is raw: callers in src/ipc/ check
// arguments before a call and turn -1 + errno into an IpcError.
//
// koffi is loaded on the first native call, not on import: a command that only reads /proc
// (ipcs, snapshot) or a library user who never calls libc pays nothing for it. Structs are
// plain descriptions here and become koffi types when koffi loads.
//
// Layouts are glibc's on 64-bit Linux (x86_64, aarch64); test/unit/layout.test.ts compiles
// a C program that prints sizeof/offsetof and compares them with koffi's view of these types.

import { createRequire } from 'node:module';
import type * as KoffiModule from 'koffi';

export { C } from './constants.js';

type Koffi = typeof KoffiModule;
type KoffiCType = ReturnType<Koffi['struct']>;
type KoffiFunction = ReturnType<ReturnType<Koffi['load']>['func']>;

/** A C struct: its name and fields (a field's type is a koffi type name or another struct). */
export interface StructType {
  readonly name: string;
  readonly fields: Readonly<Record<string, string | StructType>>;
}

const declared: StructType[] = [];

function defineStruct(name: string, fields: Record<string, string | StructType>): StructType {
  const t = { name, fields };
  declared.push(t);
  return t;
}

// ---- structs (field names are the C names, so the layout test can compare them 1:1) ----

export const ipc_perm = defineStruct('ipc_perm', {
  __key: 'int32',
  uid: 'uint32',
  gid: 'uint32',
  cuid: 'uint32',
  cgid: 'uint32',
  mode: 'uint32',
  __seq: 'uint16',
  __pad2: 'uint16',
  __glibc_reserved1: 'uint64',
  __glibc_reserved2: 'uint64',
});

export const msqid_ds = defineStruct('msqid_ds', {
  msg_perm: ipc_perm,
  msg_stime: 'int64',
  msg_rtime: 'int64',
  msg_ctime: 'int64',
  __msg_cbytes: 'uint64',
  msg_qnum: 'uint64',
  msg_qbytes: 'uint64',
  msg_lspid: 'int32',
  msg_lrpid: 'int32',
  __glibc_reserved4: 'uint64',
  __glibc_reserved5: 'uint64',
});

export const semid_ds = defineStruct('semid_ds', {
  sem_perm: ipc_perm,
  sem_otime: 'int64',
  __sem_otime_high: 'uint64',
  sem_ctime: 'int64',
  __sem_ctime_high: 'uint64',
  sem_nsems: 'uint64',
  __glibc_reserved3: 'uint64',
  __glibc_reserved4: 'uint64',
});

export const shmid_ds = defineStruct('shmid_ds', {
  shm_perm: ipc_perm,
  shm_segsz: 'uint64',
  shm_atime: 'int64',
  shm_dtime: 'int64',
  shm_ctime: 'int64',
  shm_cpid: 'int32',
  shm_lpid: 'int32',
  shm_nattch: 'uint64',
  __glibc_reserved5: 'uint64',
  __glibc_reserved6: 'uint64',
});

export const sembuf = defineStruct('sembuf', {
  sem_num: 'uint16',
  sem_op: 'int16',
  sem_flg: 'int16',
});

export const timespec = defineStruct('timespec', {
  tv_sec: 'int64',
  tv_nsec: 'int64',
});

export const msginfo = defineStruct('msginfo', {
  msgpool: 'int32',
  msgmap: 'int32',
  msgmax: 'int32',
  msgmnb: 'int32',
  msgmni: 'int32',
  msgssz: 'int32',
  msgtql: 'int32',
  msgseg: 'uint16',
});

export const shm_info = defineStruct('shm_info', {
  used_ids: 'int32',
  shm_tot: 'uint64',
  shm_rss: 'uint64',
  shm_swp: 'uint64',
  swap_attempts: 'uint64',
  swap_successes: 'uint64',
});

export const shminfo = defineStruct('shminfo', {
  shmmax: 'uint64',
  shmmin: 'uint64',
  shmmni: 'uint64',
  shmseg: 'uint64',
  shmall: 'uint64',
  __glibc_reserved1: 'uint64',
  __glibc_reserved2: 'uint64',
  __glibc_reserved3: 'uint64',
  __glibc_reserved4: 'uint64',
});

export const seminfo = defineStruct('seminfo', {
  semmap: 'int32',
  semmni: 'int32',
  semmns: 'int32',
  semmnu: 'int32',
  semmsl: 'int32',
  semopm: 'int32',
  semume: 'int32',
  semusz: 'int32',
  semvmx: 'int32',
  semaem: 'int32',
});

export const passwd = defineStruct('passwd', {
  pw_name: 'char *',
  pw_passwd: 'char *',
  pw_uid: 'uint32',
  pw_gid: 'uint32',
  pw_gecos: 'char *',
  pw_dir: 'char *',
  pw_shell: 'char *',
});

export const group = defineStruct('group', {
  gr_name: 'char *',
  gr_passwd: 'char *',
  gr_gid: 'uint32',
  gr_mem: 'void *',
});

// <mqueue.h>: a POSIX message queue's attributes (mq_getattr/mq_setattr, mq_open's 4th argument).
export const mq_attr = defineStruct('mq_attr', {
  mq_flags: 'int64',
  mq_maxmsg: 'int64',
  mq_msgsize: 'int64',
  mq_curmsgs: 'int64',
  __pad0: 'int64',
  __pad1: 'int64',
  __pad2: 'int64',
  __pad3: 'int64',
});

/** Every struct above by its C name: what the layout test walks. */
export const STRUCTS = {
  ipc_perm,
  msqid_ds,
  semid_ds,
  shmid_ds,
  sembuf,
  timespec,
  msginfo,
  shm_info,
  shminfo,
  seminfo,
  mq_attr,
} as const;

// ---- functions ----
// Control calls take a raw Buffer (void *) that callers fill or read with encode()/decode():
// one declaration serves IPC_STAT, IPC_SET and the *_INFO commands alike.

const SIGNATURES = {
  ftok: 'int ftok(const char *path, int proj_id)',

  msgget: 'int msgget(int key, int msgflg)',
  msgsnd: 'int msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg)',
  msgrcv: 'intptr_t msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp, int msgflg)',
  msgctl: 'int msgctl(int msqid, int cmd, void *buf)',

  semget: 'int semget(int key, int nsems, int semflg)',
  semop: 'int semop(int semid, void *sops, size_t nsops)',
  semtimedop: 'int semtimedop(int semid, void *sops, size_t nsops, void *timeout)',
  // semctl is variadic in C: the fourth argument's type changes with cmd. It is declared once
  // per argument type instead: on x86_64 and aarch64 Linux a variadic callee takes integer and
  // pointer arguments where a fixed prototype puts them, and koffi's variadic calls cost ~40%
  // more per call (types are read at every call). semctl(GETVAL) is a hot loop's call.
  semctl: 'int semctl(int semid, int semnum, int cmd)',
  semctlInt: 'int semctl(int semid, int semnum, int cmd, int arg)',
  semctlPtr: 'int semctl(int semid, int semnum, int cmd, void *arg)',

  shmget: 'int shmget(int key, size_t size, int shmflg)',
  shmat: 'void *shmat(int shmid, void *shmaddr, int shmflg)',
  shmdt: 'int shmdt(void *shmaddr)',
  shmctl: 'int shmctl(int shmid, int cmd, void *buf)',

  getpwuid_r: 'int getpwuid_r(uint32 uid, _Out_ passwd *pwd, void *buf, size_t buflen, _Out_ void **result)',
  getgrgid_r: 'int getgrgid_r(uint32 gid, _Out_ group *grp, void *buf, size_t buflen, _Out_ void **result)',
  strerror: 'const char *strerror(int errnum)',
  getpagesize: 'int getpagesize(void)',

  // <sys/prctl.h>, <unistd.h>: a child that dies with its parent (src/ipc/process.ts).
  prctl:
    'int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)',
  getppid: 'int getppid(void)',

  // Per-thread filesystem credentials: the stat server opens files as its client would
  // (src/server/stat-identity.ts). glibc's setgroups() changes every thread, so the
  // supplementary groups go through the raw syscall, which changes only the caller's.
  setfsuid: 'int setfsuid(uint32_t fsuid)',
  setfsgid: 'int setfsgid(uint32_t fsgid)',
  syscall: 'long syscall(long number, ...)',

  // POSIX IPC (src/ipc/posix-*.ts). In glibc >= 2.34 these are in libc.so.6; older glibc has
  // the mq_* and shm_* calls in librt.so.1 (load() falls back to it per function). mq_open and
  // sem_open are variadic in C; like semctl they are declared with their O_CREAT arguments
  // (integer and pointer arguments go where a fixed prototype puts them on x86_64/aarch64).
  mq_open: 'int mq_open(const char *name, int oflag, uint32_t mode, void *attr)',
  mq_close: 'int mq_close(int mqdes)',
  mq_unlink: 'int mq_unlink(const char *name)',
  mq_getattr: 'int mq_getattr(int mqdes, void *attr)',
  mq_setattr: 'int mq_setattr(int mqdes, void *newattr, void *oldattr)',
  mq_send: 'int mq_send(int mqdes, const void *msg, size_t len, uint32_t prio)',
  mq_timedsend: 'int mq_timedsend(int mqdes, const void *msg, size_t len, uint32_t prio, void *abs_timeout)',
  mq_receive: 'intptr_t mq_receive(int mqdes, void *msg, size_t len, void *prio)',
  mq_timedreceive:
    'intptr_t mq_timedreceive(int mqdes, void *msg, size_t len, void *prio, void *abs_timeout)',
  sem_open: 'void *sem_open(const char *name, int oflag, uint32_t mode, uint32_t value)',
  sem_close: 'int sem_close(void *sem)',
  sem_unlink: 'int sem_unlink(const char *name)',
  sem_post: 'int sem_post(void *sem)',
  sem_trywait: 'int sem_trywait(void *sem)',
  sem_timedwait: 'int sem_timedwait(void *sem, void *abs_timeout)',
  sem_getvalue: 'int sem_getvalue(void *sem, void *sval)',
  shm_open: 'int shm_open(const char *name, int oflag, uint32_t mode)',
  shm_unlink: 'int shm_unlink(const char *name)',
  ftruncate: 'int ftruncate(int fd, int64_t length)',
  close: 'int close(int fd)',
  mmap: 'void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)',
  munmap: 'int munmap(void *addr, size_t length)',
};

/** <sys/mman.h> and <mqueue.h> constants of the POSIX classes (checked by the layout test). */
export const PX = {
  PROT_READ: 1,
  PROT_WRITE: 2,
  MAP_SHARED: 1,
  MQ_PRIO_MAX: 32768,
  SEM_VALUE_MAX: 0x7fffffff,
} as const;

/** Functions looked up in librt.so.1 when libc.so.6 lacks them (glibc < 2.34). */
const LIBRT_FALLBACK = new Set<string>([
  'mq_open',
  'mq_close',
  'mq_unlink',
  'mq_getattr',
  'mq_setattr',
  'mq_send',
  'mq_timedsend',
  'mq_receive',
  'mq_timedreceive',
  'shm_open',
  'shm_unlink',
]);

/** prctl(2) options (<linux/prctl.h>). */
export const PR = {
  SET_PDEATHSIG: 1,
  SET_CHILD_SUBREAPER: 36,
} as const;

type Fn = keyof typeof SIGNATURES;

interface Native {
  koffi: Koffi;
  types: Map<StructType, KoffiCType>;
  fns: Record<Fn, KoffiFunction>;
}

let native: Native | undefined;

/**
 * koffi's prebuilt module for this platform, loaded directly: koffi's index.js first loads
 * https, crypto and zlib (its installer's download tools), which cost more start-up than the
 * rest of `svipc ftok` or `msg send`. Anything unusual (no such build, another version, a
 * module that will not load): koffi's own loader, which knows every platform.
 */
function requireKoffi(): Koffi {
  const require = createRequire(import.meta.url);
  try {
    const direct = require(`koffi/build/koffi/${process.platform}_${process.arch}/koffi.node`);
    if (direct.version === require('koffi/package.json').version) return direct as Koffi;
  } catch {}
  return require('koffi') as Koffi;
}

/** koffi, libc and every declaration, made once, on first use. */
function load(): Native {
  if (native) return native;
  const koffi = requireKoffi();
  const lib = koffi.load('libc.so.6');
  const types = new Map<StructType, KoffiCType>();
  for (const s of declared) {
    const fields = Object.fromEntries(
      Object.entries(s.fields).map(([k, v]) => [k, typeof v === 'string' ? v : types.get(v)!]),
    );
    types.set(s, koffi.struct(s.name, fields));
  }
  let rt: ReturnType<Koffi['load']> | undefined;
  const declare = (name: string, sig: string): KoffiFunction => {
    try {
      return lib.func(sig);
    } catch (e) {
      if (!LIBRT_FALLBACK.has(name)) throw e;
      rt ??= koffi.load('librt.so.1');
      return rt.func(sig);
    }
  };
  const fns = Object.fromEntries(
    Object.entries(SIGNATURES).map(([name, sig]) => [name, declare(name, sig)]),
  ) as Record<Fn, KoffiFunction>;
  native = { koffi, types, fns };
  fn = fns;
  return native;
}

/**
 * libc's functions: `fn.msgget(key, flags)`. Until the first call it is a stand-in whose first
 * property read loads koffi; load() then makes `fn` the plain object of koffi functions (an ES
 * module's export is a live binding: every importer sees the new one), so no getter or proxy
 * stands between a hot loop and koffi. (A getter per function, defined at load, cost every
 * command ~0.7M instructions of start-up, native calls or none.)
 */
export let fn: Record<Fn, KoffiFunction> = new Proxy({} as Record<Fn, KoffiFunction>, {
  get: (_, name) => load().fns[name as Fn],
});

function ctype(t: StructType): KoffiCType {
  return load().types.get(t)!;
}

/** Whether koffi has been loaded (for the test that importing svipc loads no native code). */
export function nativeLoaded(): boolean {
  return native !== undefined;
}

/** errno of the last synchronous call on this thread. Async calls lose it (another thread). */
export function lastErrno(): number {
  return load().koffi.errno();
}

export function sizeOf(type: StructType): number {
  return load().koffi.sizeof(ctype(type));
}

export function offsetOf(type: StructType, field: string): number {
  return load().koffi.offsetof(ctype(type), field);
}

export function decode<T>(buf: Buffer, type: StructType, offset = 0): T {
  return load().koffi.decode(buf, offset, ctype(type)) as T;
}

export function encode(buf: Buffer, type: StructType, value: object, offset = 0): void {
  load().koffi.encode(buf, offset, ctype(type), value);
}

/** An opaque address returned by shmat. */
export type Address = unknown;

export function addressOf(ptr: Address): bigint {
  return load().koffi.address(ptr) as bigint;
}

/**
 * A Buffer over `length` bytes at `ptr` + `offset`, no copy. Never touch it after shmdt.
 * `length` must not exceed buffer.constants.MAX_LENGTH (koffi aborts the process past it).
 */
export function viewOf(ptr: Address, length: number, offset = 0): Buffer {
  let at = ptr;
  if (offset > 0) {
    const raw = Buffer.alloc(8);
    raw.writeBigUInt64LE(addressOf(ptr) + BigInt(offset));
    at = load().koffi.decode(raw, 'void *');
  }
  const ab = load().koffi.view(at, length);
  return Buffer.from(ab);
}

/** semctl with the fourth argument its cmd takes: none, an int (SETVAL), or a buffer. */
export function semctlVariadic(
  semid: number,
  semnum: number,
  cmd: number,
  arg?: { type: 'int'; value: number } | { type: 'void *'; value: Buffer | null },
): number {
  if (arg === undefined) return fn.semctl(semid, semnum, cmd) as number;
  if (arg.type === 'int') return fn.semctlInt(semid, semnum, cmd, arg.value) as number;
  return fn.semctlPtr(semid, semnum, cmd, arg.value) as number;
}

/** Call `fn[name]` on libuv's thread pool; resolves to its raw return value. errno is lost. */
export function callAsync(name: Fn, ...args: unknown[]): Promise<number> {
  const f = fn[name] as unknown as { async: (...a: unknown[]) => void };
  return new Promise((resolve, reject) => {
    f.async(...args, (err: unknown, res: unknown) => {
      if (err) reject(err);
      else resolve(Number(res));
    });
  });
}

/** The declared field names of a struct, in order (for the layout test). */
export function fieldNames(type: StructType): string[] {
  return Object.keys(type.fields);
}
