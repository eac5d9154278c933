// Argument checks made in JS before a native call, so a bad value never reaches libc.

export class IpcArgumentError extends RangeError {
  readonly code = 'ERR_IPC_ARGUMENT';
}

export function checkInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new IpcArgumentError(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

export const INT_MAX = 0x7fffffff;
export const checkId = (name: string, id: number): number => checkInt(name, id, 0, INT_MAX);
/** key_t is a signed 32-bit int; accept the unsigned spelling too (0xffffffff) and fold it. */
export function checkKey(key: number): number {
  checkInt('key', key, -0x80000000, 0xffffffff);
  return key | 0;
}
export const checkMode = (mode: number): number => checkInt('mode', mode, 0, 0o777);
