// The ONLY module that imports koffi: libc's System V IPC functions, their structs and
// constants, declared once for the whole program. Everything here is raw: callers in
// src/ipc/ check arguments before a call and turn -1 + errno into an IpcError.
//
// Layouts are glibc's on 64-bit Linux (x86_64, aarch64); test/unit/layout.test.ts compiles
// a C program that prints sizeof/offsetof and compares them with koffi's view of these types.

import koffi from 'koffi';

const lib = koffi.load('libc.so.6');

// ---- structs (field names are the C names, so the layout test can compare them 1:1) ----

export const ipc_perm = koffi.struct('ipc_perm', {
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

export const msqid_ds = koffi.struct('msqid_ds', {
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

export const semid_ds = koffi.struct('semid_ds', {
  sem_perm: ipc_perm,
  sem_otime: 'int64',
  __sem_otime_high: 'uint64',
  sem_ctime: 'int64',
  __sem_ctime_high: 'uint64',
  sem_nsems: 'uint64',
  __glibc_reserved3: 'uint64',
  __glibc_reserved4: 'uint64',
});

export const shmid_ds = koffi.struct('shmid_ds', {
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

export const sembuf = koffi.struct('sembuf', {
  sem_num: 'uint16',
  sem_op: 'int16',
  sem_flg: 'int16',
});

export const timespec = koffi.struct('timespec', {
  tv_sec: 'int64',
  tv_nsec: 'int64',
});

export const msginfo = koffi.struct('msginfo', {
  msgpool: 'int32',
  msgmap: 'int32',
  msgmax: 'int32',
  msgmnb: 'int32',
  msgmni: 'int32',
  msgssz: 'int32',
  msgtql: 'int32',
  msgseg: 'uint16',
});

export const shm_info = koffi.struct('shm_info', {
  used_ids: 'int32',
  shm_tot: 'uint64',
  shm_rss: 'uint64',
  shm_swp: 'uint64',
  swap_attempts: 'uint64',
  swap_successes: 'uint64',
});

export const shminfo = koffi.struct('shminfo', {
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

export const seminfo = koffi.struct('seminfo', {
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

export const passwd = koffi.struct('passwd', {
  pw_name: 'char *',
  pw_passwd: 'char *',
  pw_uid: 'uint32',
  pw_gid: 'uint32',
  pw_gecos: 'char *',
  pw_dir: 'char *',
  pw_shell: 'char *',
});

export const group = koffi.struct('group', {
  gr_name: 'char *',
  gr_passwd: 'char *',
  gr_gid: 'uint32',
  gr_mem: 'void *',
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
} as const;

// ---- constants (<sys/ipc.h>, <sys/msg.h>, <sys/sem.h>, <sys/shm.h>; checked by the layout test) ----

export const C = {
  IPC_PRIVATE: 0,
  IPC_CREAT: 0o1000,
  IPC_EXCL: 0o2000,
  IPC_NOWAIT: 0o4000,
  IPC_RMID: 0,
  IPC_SET: 1,
  IPC_STAT: 2,
  IPC_INFO: 3,
  MSG_STAT: 11,
  MSG_INFO: 12,
  MSG_STAT_ANY: 13,
  MSG_NOERROR: 0o10000,
  MSG_EXCEPT: 0o20000,
  GETPID: 11,
  GETVAL: 12,
  GETALL: 13,
  GETNCNT: 14,
  GETZCNT: 15,
  SETVAL: 16,
  SETALL: 17,
  SEM_STAT: 18,
  SEM_INFO: 19,
  SEM_STAT_ANY: 20,
  SEM_UNDO: 0x1000,
  SHM_LOCK: 11,
  SHM_UNLOCK: 12,
  SHM_STAT: 13,
  SHM_INFO: 14,
  SHM_STAT_ANY: 15,
  SHM_RDONLY: 0o10000,
  SHM_RND: 0o20000,
  SHM_REMAP: 0o40000,
  SHM_EXEC: 0o100000,
  SHM_DEST: 0o1000,
  SHM_LOCKED: 0o2000,
} as const;

// ---- functions ----
// Control calls take a raw Buffer (void *) that callers fill or read with encode()/decode():
// one declaration serves IPC_STAT, IPC_SET and the *_INFO commands alike.

export const fn = {
  ftok: lib.func('int ftok(const char *path, int proj_id)'),

  msgget: lib.func('int msgget(int key, int msgflg)'),
  msgsnd: lib.func('int msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg)'),
  msgrcv: lib.func('intptr_t msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp, int msgflg)'),
  msgctl: lib.func('int msgctl(int msqid, int cmd, void *buf)'),

  semget: lib.func('int semget(int key, int nsems, int semflg)'),
  semop: lib.func('int semop(int semid, void *sops, size_t nsops)'),
  semtimedop: lib.func('int semtimedop(int semid, void *sops, size_t nsops, void *timeout)'),
  // semctl is variadic in C: the fourth argument's type changes with cmd.
  semctl: lib.func('int semctl(int semid, int semnum, int cmd, ...)'),

  shmget: lib.func('int shmget(int key, size_t size, int shmflg)'),
  shmat: lib.func('void *shmat(int shmid, void *shmaddr, int shmflg)'),
  shmdt: lib.func('int shmdt(void *shmaddr)'),
  shmctl: lib.func('int shmctl(int shmid, int cmd, void *buf)'),

  getpwuid_r: lib.func(
    'int getpwuid_r(uint32 uid, _Out_ passwd *pwd, void *buf, size_t buflen, _Out_ void **result)',
  ),
  getgrgid_r: lib.func(
    'int getgrgid_r(uint32 gid, _Out_ group *grp, void *buf, size_t buflen, _Out_ void **result)',
  ),
  strerror: lib.func('const char *strerror(int errnum)'),
  getpagesize: lib.func('int getpagesize(void)'),

  // Per-thread filesystem credentials: the stat server opens files as its client would
  // (src/server/stat-identity.ts). glibc's setgroups() changes every thread, so the
  // supplementary groups go through the raw syscall, which changes only the caller's.
  setfsuid: lib.func('int setfsuid(uint32_t fsuid)'),
  setfsgid: lib.func('int setfsgid(uint32_t fsgid)'),
  syscall: lib.func('long syscall(long number, ...)'),
};

/** errno of the last synchronous call on this thread. Async calls lose it (another thread). */
export function lastErrno(): number {
  return koffi.errno();
}

export type KoffiType = ReturnType<typeof koffi.struct>;

export function sizeOf(type: KoffiType): number {
  return koffi.sizeof(type);
}

export function offsetOf(type: KoffiType, field: string): number {
  return koffi.offsetof(type, field);
}

export function decode<T>(buf: Buffer, type: KoffiType, offset = 0): T {
  return koffi.decode(buf, offset, type) as T;
}

export function encode(buf: Buffer, type: KoffiType, value: object, offset = 0): void {
  koffi.encode(buf, offset, type, value);
}

/** An opaque address returned by shmat. */
export type Address = unknown;

export function addressOf(ptr: Address): bigint {
  return koffi.address(ptr) as bigint;
}

/** A Buffer over `length` bytes at `ptr`, no copy. Never touch it after shmdt. */
export function viewOf(ptr: Address, length: number): Buffer {
  const ab = koffi.view(ptr, length);
  return Buffer.from(ab);
}

/** Call a variadic semctl with a typed fourth argument. */
export function semctlVariadic(
  semid: number,
  semnum: number,
  cmd: number,
  arg?: { type: 'int'; value: number } | { type: 'void *'; value: Buffer | null },
): number {
  if (arg === undefined) return fn.semctl(semid, semnum, cmd) as number;
  return fn.semctl(semid, semnum, cmd, arg.type, arg.value) as number;
}

type Fn = keyof typeof fn;

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

/** The declared field names of a struct type, in order (for the layout test). */
export function fieldNames(type: KoffiType): string[] {
  const info = koffi.introspect(type) as { members?: Record<string, unknown> };
  return Object.keys(info.members ?? {});
}
