// ftok(3): a key from a file's inode and device and the low 8 bits of proj.
import { ipcError } from './errors.js';
import { fn, lastErrno } from './libc.js';
import { hexKey, trace, traceFail } from './trace.js';
import { checkInt } from './validate.js';

export function ftok(path: string, proj: number): number {
  checkInt('proj', proj, -0x80000000, 0x7fffffff);
  if (path.length === 0 || path.includes('\0')) throw ipcError('ftok', 2 /* ENOENT */, path);
  const args = () => `${JSON.stringify(path)}, ${proj}`;
  const key = fn.ftok(path, proj) as number;
  if (key === -1) {
    const errno = lastErrno();
    traceFail('ftok', args, errno);
    throw ipcError('ftok', errno, path);
  }
  trace('ftok', args, hexKey(key));
  return key;
}

/** Keys print as 0x%08x of their 32-bit value, as util-linux does. */
export function formatKey(key: number): string {
  return `0x${(key >>> 0).toString(16).padStart(8, '0')}`;
}
