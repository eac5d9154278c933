// ftok(3): a key from a file's inode and device and the low 8 bits of proj.
import { ipcError } from './errors.js';
import { fn, lastErrno } from './libc.js';
import { hexKey, type Traced, trace, traceFail } from './trace.js';
import { checkInt } from './validate.js';

/**
 * ftok(path, proj). A path is text (sent as UTF-8) or the exact bytes of a name that is not
 * UTF-8 (a Buffer, sent unchanged with a NUL added).
 */
export function ftok(path: string | Buffer, proj: number, opts: Traced = {}): number {
  checkInt('proj', proj, -0x80000000, 0x7fffffff);
  const bytes = typeof path === 'string' ? Buffer.from(path) : path;
  const shown = typeof path === 'string' ? path : bytes.toString('latin1');
  if (bytes.length === 0 || bytes.includes(0)) throw ipcError('ftok', 2 /* ENOENT */, shown);
  const args = () => `${JSON.stringify(shown)}, ${proj}`;
  const key = fn.ftok(
    typeof path === 'string' ? path : Buffer.concat([bytes, Buffer.from([0])]),
    proj,
  ) as number;
  if (key === -1) {
    const errno = lastErrno();
    traceFail('ftok', args, errno, opts.trace);
    throw ipcError('ftok', errno, shown);
  }
  trace('ftok', args, hexKey(key), opts.trace);
  return key;
}

/** Keys print as 0x%08x of their 32-bit value, as util-linux does. */
export function formatKey(key: number): string {
  return `0x${(key >>> 0).toString(16).padStart(8, '0')}`;
}
