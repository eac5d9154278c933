// svipc as a library: `import { MessageQueue, SemaphoreSet, SharedMemory, ftok } from 'svipc'`.
// This is the whole public surface (semver applies to it, see CHANGELOG.md); everything else
// under dist/ is private. Importing it prints nothing, starts no CLI and loads no native code:
// koffi and libc are loaded on the first call that needs them.

export { WaitAbortedError, WaitTimeoutError } from './ipc/blocking.js';
// Errors: every failed call is an IpcError {code, errno, syscall}; the three subclasses name
// the cases a program handles (sysv_ipc's ExistentialError, PermissionsError, BusyError).
export {
  BusyError,
  ExistentialError,
  IpcError,
  isIpcError,
  PermissionsError,
  strerror,
} from './ipc/errors.js';
export { formatKey, ftok } from './ipc/ftok.js';
// The inventory: every object as the typed records `svipc ipcs --json` prints.
export {
  getQueue,
  getSegment,
  getSemaphore,
  type InventoryOptions,
  type InventorySource,
  type IpcKind,
  type IpcRecord,
  type LimitsOptions,
  type LimitsSource,
  listAll,
  listQueues,
  listSegments,
  listSemaphores,
  type QueueLimits,
  type QueueRecord,
  queueLimits,
  queueUsage,
  type SegmentLimits,
  type SegmentRecord,
  type SemaphoreLimits,
  type SemaphoreRecord,
  type SemElement,
  segmentLimits,
  segmentUsage,
  semaphoreLimits,
  semaphoreUsage,
} from './ipc/inventory.js';
export {
  type DescribeMessage,
  type Message,
  MessageQueue,
  type QueueTraceOptions,
  type ReceiveOptions,
} from './ipc/msg.js';
export type { GetOptions } from './ipc/perm.js';
// POSIX IPC beside System V: named queues, semaphores and shared memory, and their listing.
export type { PosixOpenOptions, PosixWaitOptions } from './ipc/posix-common.js';
export {
  listPosix,
  listPosixQueues,
  listPosixSegments,
  listPosixSemaphores,
  mqueueMounted,
  type PosixInventoryOptions,
  type PosixKind,
  type PosixQueueLimits,
  type PosixQueueRecord,
  type PosixRecord,
  type PosixRecordBase,
  type PosixSegmentRecord,
  type PosixSemaphoreRecord,
  posixQueueLimits,
} from './ipc/posix-inventory.js';
export {
  type PosixMessage,
  PosixMessageQueue,
  type PosixQueueAttributes,
  type PosixQueueOptions,
  type PosixSendOptions,
} from './ipc/posix-mq.js';
export { PosixSemaphore } from './ipc/posix-sem.js';
export { PosixMapping, PosixSharedMemory, PosixViewTooLargeError } from './ipc/posix-shm.js';
export { PreparedSemOp, SEMVMX, SemaphoreSet, type SemOp } from './ipc/sem.js';
export { Attachment, SharedMemory } from './ipc/shm.js';
// Tracing, per object or per call: `MessageQueue.create({ trace: new Tracer(console.error) })`.
export { type Traced, Tracer, type TracerOptions } from './ipc/trace.js';
export type {
  IpcPerm,
  MsgInfo,
  MsqidDs,
  PermChange,
  SemInfo,
  SemidDs,
  ShmInfo,
  ShmidDs,
  ShmLimitsInfo,
  WaitOptions,
} from './ipc/types.js';
export { IpcArgumentError } from './ipc/validate.js';

/** IPC_PRIVATE: the key that always makes a new object (what `create()` uses without a key). */
export const IPC_PRIVATE = 0;
