// Plain, typed records of the kernel's IPC data structures: what src/ipc/ hands out.
// Times are seconds since the epoch (0 = never); keys are signed 32-bit key_t values.

export interface IpcPerm {
  key: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  /** Permission bits plus the kernel's status bits (SHM_DEST, SHM_LOCKED). */
  mode: number;
  seq: number;
}

export interface MsqidDs {
  perm: IpcPerm;
  stime: number;
  rtime: number;
  ctime: number;
  cbytes: number;
  qnum: number;
  qbytes: number;
  lspid: number;
  lrpid: number;
}

export interface SemidDs {
  perm: IpcPerm;
  otime: number;
  ctime: number;
  nsems: number;
}

export interface ShmidDs {
  perm: IpcPerm;
  segsz: number;
  atime: number;
  dtime: number;
  ctime: number;
  cpid: number;
  lpid: number;
  nattch: number;
}

/** What IPC_SET may change. */
export interface PermChange {
  uid?: number;
  gid?: number;
  mode?: number;
}

/** MSG_INFO (usage) or IPC_INFO (limits) of message queues: struct msginfo. */
export interface MsgInfo {
  msgpool: number;
  msgmap: number;
  msgmax: number;
  msgmnb: number;
  msgmni: number;
  msgssz: number;
  msgtql: number;
  msgseg: number;
  /** The highest index in use, the call's return value. */
  maxIndex: number;
}

/** SHM_INFO: struct shm_info. */
export interface ShmInfo {
  usedIds: number;
  shmTot: number;
  shmRss: number;
  shmSwp: number;
  swapAttempts: number;
  swapSuccesses: number;
  maxIndex: number;
}

/** IPC_INFO of shared memory: struct shminfo. 64-bit values stay exact (bigint). */
export interface ShmLimitsInfo {
  shmmax: bigint;
  shmmin: bigint;
  shmmni: bigint;
  shmseg: bigint;
  shmall: bigint;
  maxIndex: number;
}

/** SEM_INFO (usage) or IPC_INFO (limits) of semaphores: struct seminfo. */
export interface SemInfo {
  semmap: number;
  semmni: number;
  semmns: number;
  semmnu: number;
  semmsl: number;
  semopm: number;
  semume: number;
  semusz: number;
  semvmx: number;
  semaem: number;
  maxIndex: number;
}

/** Options of the blocking calls. */
export interface WaitOptions {
  /** Fail with EAGAIN/ENOMSG at once instead of waiting (IPC_NOWAIT). */
  nowait?: boolean;
  /** Give up after this many milliseconds (as Node's own APIs count): throws WaitTimeoutError. */
  timeout?: number;
  /** Abort the wait (the object is left as it was). */
  signal?: AbortSignal;
}
