// The typed System V IPC layer: what commands and protocols import.
export {
  clearLongTimeout,
  LongTimer,
  longTimeout,
  sleep,
  WaitAbortedError,
  WaitTimeoutError,
} from './blocking.js';
export { errnoName, IpcError, isIpcError, strerror } from './errors.js';
export { formatKey, ftok } from './ftok.js';
export { C as IPC } from './libc.js';
export {
  type DescribeMessage,
  describeMessage,
  type Message,
  MessageQueue,
  type QueueTraceOptions,
  type ReceiveOptions,
} from './msg.js';
export { PreparedSemOp, SEMVMX, SemaphoreSet, type SemOp } from './sem.js';
export { Attachment, MAX_VIEW, SharedMemory, ViewTooLargeError } from './shm.js';
export { type Traced, Tracer, type TracerOptions } from './trace.js';
export type * from './types.js';
export { groupName, userName } from './users.js';
export { IpcArgumentError } from './validate.js';
