// One error class for every failed libc call: code ('EINVAL'), errno (22), syscall ('shmget').
// The message names the call, like Node's own system errors: "shmget EACCES (Permission denied)".

import { ERRNO } from './errno.js';
import { fn } from './libc.js';

/** Names by number, made when first asked (most runs never fail a call). */
let errnoNames: Map<number, string> | undefined;

export function errnoName(errno: number): string {
  if (!errnoNames) {
    errnoNames = new Map();
    for (const [name, value] of Object.entries(ERRNO)) {
      // Prefer the canonical name where two share a number (EAGAIN/EWOULDBLOCK, EDEADLK/EDEADLOCK).
      if (!errnoNames.has(value)) errnoNames.set(value, name);
    }
  }
  return errnoNames.get(errno) ?? `E${errno}`;
}

export function errnoNumber(name: string): number {
  const n = (ERRNO as Record<string, number>)[name];
  if (n === undefined) throw new Error(`unknown errno name ${name}`);
  return n;
}

/** The C library's text for an errno, as perror() and util-linux print it. */
export function strerror(errno: number): string {
  return (fn.strerror(errno) as string) ?? `Unknown error ${errno}`;
}

export class IpcError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;

  constructor(syscall: string, errno: number, detail?: string) {
    const code = errnoName(errno);
    super(`${syscall} ${code} (${strerror(errno)})${detail ? `: ${detail}` : ''}`);
    this.name = 'IpcError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

/** The object is not there (ENOENT, EIDRM) or is there already (EEXIST): sysv_ipc's ExistentialError. */
export class ExistentialError extends IpcError {
  override readonly name = 'ExistentialError';
}

/** The caller may not do this to the object (EACCES, EPERM): sysv_ipc's PermissionsError. */
export class PermissionsError extends IpcError {
  override readonly name = 'PermissionsError';
}

/** `nowait` and the call would have waited (EAGAIN, ENOMSG): sysv_ipc's BusyError. */
export class BusyError extends IpcError {
  override readonly name = 'BusyError';
}

const CLASS_OF: Record<string, typeof IpcError> = {
  ENOENT: ExistentialError,
  EEXIST: ExistentialError,
  EIDRM: ExistentialError,
  EACCES: PermissionsError,
  EPERM: PermissionsError,
  EAGAIN: BusyError,
  ENOMSG: BusyError,
};

/** The IpcError of a failed call, as the subclass its errno belongs to. */
export function ipcError(syscall: string, errno: number, detail?: string): IpcError {
  const Class = CLASS_OF[errnoName(errno)] ?? IpcError;
  return new Class(syscall, errno, detail);
}

export function isIpcError(e: unknown, ...codes: string[]): e is IpcError {
  return e instanceof IpcError && (codes.length === 0 || codes.includes(e.code));
}
