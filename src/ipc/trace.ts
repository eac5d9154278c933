// --trace: every IPC call, its arguments and its result, one line each, for teaching:
//   semop(semid=3, [{num:0, op:-1, flg:0}]) -> 0
//   msgget(key=0x00001234, flags=IPC_CREAT|0600) -> -1 EEXIST
// Off by default; formatting is skipped entirely unless a tracer is set.
import { errnoAfterWait } from './blocking.js';
import { errnoName, ipcError } from './errors.js';
import { lastErrno } from './libc.js';

export type Tracer = (line: string) => void;

let tracer: Tracer | null = null;

export function setTracer(t: Tracer | null): void {
  tracer = t;
}

export function tracing(): boolean {
  return tracer !== null;
}

/** Report one call. `args` is built only when tracing. */
export function trace(syscall: string, args: () => string, result: string | number): void {
  if (tracer !== null) tracer(`${syscall}(${args()}) -> ${result}`);
}

/** Report a failed call: -1 and the errno's name. */
export function traceFail(syscall: string, args: () => string, errno: number): void {
  if (tracer !== null) trace(syscall, args, `-1 ${errnoName(errno)}`);
}

/**
 * A call that returned -1: its IpcError, with the errno read now (and EINVAL after a wait
 * taken as the kernel's EIDRM), reported as -1 ERRNO first when tracing.
 */
export function fail(syscall: string, args?: () => string, waited = false): never {
  const errno = errnoAfterWait(lastErrno(), waited);
  if (args) traceFail(syscall, args, errno);
  throw ipcError(syscall, errno);
}

/** An int-returning call's result: reported, or the IpcError of its -1 (see fail). */
export function checked(syscall: string, args: () => string, ret: number): number {
  if (ret < 0) fail(syscall, args);
  trace(syscall, args, ret);
  return ret;
}

const FLAG_NAMES: [number, string][] = [
  [0o1000, 'IPC_CREAT'],
  [0o2000, 'IPC_EXCL'],
  [0o4000, 'IPC_NOWAIT'],
];

/** flags of the *get calls: IPC_CREAT|IPC_EXCL|0600. */
export function getFlags(flags: number): string {
  const parts = FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n);
  const perms = flags & 0o777;
  parts.push(perms === 0 ? '0' : `0${perms.toString(8)}`);
  return parts.join('|');
}

export function hexKey(key: number): string {
  return key === 0 ? 'IPC_PRIVATE' : `0x${(key >>> 0).toString(16).padStart(8, '0')}`;
}
