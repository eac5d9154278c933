// Decoding of struct ipc_perm, and how msgget/semget/shmget look an object up or make it:
// shared by the three mechanisms.
import { C } from './libc.js';
import { checked, getFlags, hexKey, type Traced } from './trace.js';
import type { IpcPerm, PermChange } from './types.js';
import { checkKey, checkMode } from './validate.js';

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

/**
 * A kind's struct *id_ds as svipc gives it: `perm` from `<prefix>perm`, then each of `fields`
 * from `<prefix><field>` (or the raw name in `renamed`), as a number.
 */
export function dsFromRaw<R, D extends { perm: IpcPerm }>(
  prefix: string,
  fields: readonly Exclude<keyof D & string, 'perm'>[],
  renamed: Partial<Record<keyof D, string>> = {},
): (raw: R) => D {
  return (raw) => {
    const r = raw as Record<string, unknown>;
    const ds: Record<string, unknown> = { perm: permFromRaw(r[`${prefix}perm`] as RawPerm) };
    for (const f of fields) ds[f] = num(r[renamed[f] ?? `${prefix}${f}`] as number | bigint);
    return ds as D;
  };
}

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
 * xxget(key, ..., flags) through `get` (given the checked key and the flags), traced as
 * `name(key=0x..., <more>, flags=...)`; its id (a failure throws).
 */
export function getId(
  name: string,
  key: number,
  opts: GetOptions & Traced,
  get: (key: number, flags: number) => number,
  more = '',
): number {
  const flags = flagsOf(opts);
  const args = () => `key=${hexKey(key)}${more}, flags=${getFlags(flags)}`;
  return checked(name, args, get(checkKey(key), flags), opts.trace);
}

/**
 * What each class's `create()` asks of msgget/semget/shmget: IPC_PRIVATE, or `key` created
 * exclusively (EEXIST when taken); mode 0600 unless given.
 */
export function creation(opts: { key?: number; mode?: number }): { key: number; get: GetOptions } {
  const key = opts.key ?? C.IPC_PRIVATE;
  return { key, get: { create: true, exclusive: key !== C.IPC_PRIVATE, mode: opts.mode ?? 0o600 } };
}
