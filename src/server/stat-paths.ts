// Which files the stat server may look at, and how it opens them.
//
// --root DIR confines every request to DIR: relative paths are taken from DIR, absolute
// ones must lie under it. Three checks, so neither `..` nor a symlink gets out:
//   1. lexical: the normalized path must be DIR or under it (paths outside never reach
//      the filesystem, so their existence is not revealed);
//   2. realpath: every symlink resolved, the result must still be under DIR;
//   3. after opening: /proc/self/fd/N names what was actually opened, which must be under
//      DIR (a symlink swapped in between 2 and the open is caught here).
// Refusals answer EACCES.
//
// Paths are latin1 strings (one char per byte, see protocols/stat.ts), so non-UTF-8 names
// survive; fs calls get the bytes back as a Buffer.
import {
  type BigIntStats,
  closeSync,
  constants as fsc,
  fstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { constants as osc } from 'node:os';
import { posix } from 'node:path';
import { pathBytes } from '../protocols/stat.js';

/** open(2)'s O_PATH on Linux (x86_64, aarch64 and the generic ABI); Node does not export it. */
const O_PATH = 0o10000000;
const E = osc.errno;

/** An fs error's errno (positive), EIO when it has none. */
export function errnoOf(err: unknown): number {
  const code = (err as { code?: string } | null)?.code;
  const n = code ? (E as Record<string, number>)[code] : undefined;
  return n ?? E.EIO;
}

export class PathError extends Error {
  constructor(readonly errno: number) {
    super(`errno ${errno}`);
  }
}

function inside(root: string, p: string): boolean {
  return root === '/' ? p.startsWith('/') : p === root || p.startsWith(`${root}/`);
}

export class PathPolicy {
  /** The resolved root (latin1), or null when not confined. */
  readonly root: string | null;

  constructor(root?: string) {
    this.root = root === undefined ? null : realpathSync(pathBytes(root), { encoding: 'latin1' });
    if (this.root !== null && !statSync(pathBytes(this.root)).isDirectory()) {
      throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    }
  }

  /** The bytes to hand to fs for a requested path, after checks 1 and 2. Throws PathError. */
  private locate(path: string): Buffer {
    if (this.root === null) return pathBytes(path);
    const lexical = posix.resolve(this.root, path);
    if (!inside(this.root, lexical)) throw new PathError(E.EACCES);
    let real: string;
    try {
      real = realpathSync(pathBytes(lexical), { encoding: 'latin1' });
    } catch (e) {
      throw new PathError(errnoOf(e));
    }
    if (!inside(this.root, real)) throw new PathError(E.EACCES);
    return pathBytes(real);
  }

  /** Check 3 on an open descriptor; returns the real path (latin1). */
  private opened(fd: number): string {
    const real = readlinkSync(`/proc/self/fd/${fd}`, { encoding: 'latin1' });
    if (this.root !== null && !inside(this.root, real.replace(/ \(deleted\)$/, '')))
      throw new PathError(E.EACCES);
    return real;
  }

  /** stat(2) of a requested path (synchronous: local metadata, microseconds). Throws PathError. */
  stat(path: string): BigIntStats {
    const target = this.locate(path);
    try {
      if (this.root === null) return statSync(target, { bigint: true });
      // Confined: stat what an O_PATH open reaches, after check 3.
      const fd = openSync(target, O_PATH);
      try {
        this.opened(fd);
        return fstatSync(fd, { bigint: true });
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      if (e instanceof PathError) throw e;
      throw new PathError(errnoOf(e));
    }
  }

  /**
   * Open a regular file for content serving. `clientUid` is the creator of the reply queue
   * (null when the server could not IPC_STAT it): unless it is the server's own user or root,
   * the file must be one any user could read (see mayServe). Throws PathError.
   */
  async openForContent(path: string, clientUid: number | null): Promise<{ fh: FileHandle; size: bigint }> {
    const target = this.locate(path);
    let fh: FileHandle;
    try {
      // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below).
      fh = await open(target, fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY);
    } catch (e) {
      throw new PathError(errnoOf(e));
    }
    try {
      const st = await fh.stat({ bigint: true });
      if (st.isDirectory()) throw new PathError(E.EISDIR);
      if (!st.isFile()) throw new PathError(E.ENOTSUP);
      const real = this.opened(fh.fd);
      if (!mayServe(st, real, clientUid)) throw new PathError(E.EACCES);
      return { fh, size: st.size };
    } catch (e) {
      await fh.close().catch(() => {});
      if (e instanceof PathError) throw e;
      throw new PathError(errnoOf(e));
    }
  }
}

/**
 * Content is data, not just a size: a server running as root must not hand /etc/shadow to
 * any user. The reply queue's creator uid (cuid, set by the kernel, cannot be changed) is
 * the client's effective uid. The server's own user and root get any file the server can
 * read; anyone else only a file that is readable by others in a directory chain searchable
 * by others (a conservative stand-in for "could have opened it themselves").
 */
export function mayServe(st: BigIntStats, real: string, clientUid: number | null): boolean {
  const euid = process.geteuid?.() ?? -1;
  if (clientUid !== null && (clientUid === euid || clientUid === 0)) return true;
  if ((Number(st.mode) & 0o004) === 0) return false;
  let dir = posix.dirname(real);
  for (;;) {
    try {
      if ((Number(statSync(pathBytes(dir), { bigint: true }).mode) & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (dir === '/') return true;
    dir = posix.dirname(dir);
  }
}
