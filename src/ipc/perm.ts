// Decoding of struct ipc_perm, shared by the three mechanisms.
import { C } from './libc.js';
import type { IpcPerm, PermChange } from './types.js';
import { checkMode } from './validate.js';

export interface RawPerm {
  __key: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  mode: number;
  __seq: number;
}

export function permFromRaw(p: RawPerm): IpcPerm {
  return { key: p.__key, uid: p.uid, gid: p.gid, cuid: p.cuid, cgid: p.cgid, mode: p.mode, seq: p.__seq };
}

/** Apply an IPC_SET change to a raw perm in place; only uid, gid and the low 9 mode bits move. */
export function applyPermChange(p: RawPerm, change: PermChange): void {
  if (change.uid !== undefined) p.uid = change.uid;
  if (change.gid !== undefined) p.gid = change.gid;
  if (change.mode !== undefined) p.mode = (p.mode & ~0o777) | (change.mode & 0o777);
}

/** koffi decodes 64-bit fields as number or bigint; records hold numbers. */
export const num = (v: number | bigint): number => Number(v);

/** How an object is looked up or made by msgget/semget/shmget. */
export interface GetOptions {
  create?: boolean;
  exclusive?: boolean;
  mode?: number;
}

export function flagsOf(opts: GetOptions): number {
  return (opts.create ? C.IPC_CREAT : 0) | (opts.exclusive ? C.IPC_EXCL : 0) | checkMode(opts.mode ?? 0);
}

/**
 * What each class's `create()` asks of msgget/semget/shmget: IPC_PRIVATE, or `key` created
 * exclusively (EEXIST when taken); mode 0600 unless given.
 */
export function creation(opts: { key?: number; mode?: number }): { key: number; get: GetOptions } {
  const key = opts.key ?? C.IPC_PRIVATE;
  return { key, get: { create: true, exclusive: key !== C.IPC_PRIVATE, mode: opts.mode ?? 0o600 } };
}
