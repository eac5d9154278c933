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
// Every lookup and open is made as the client (stat-identity.ts: its fsuid, fsgid and groups
// on this thread, synchronously), so a client gets the size or the bytes of a file only when
// it could have stat()ed or opened it itself. A server that cannot take another user's
// identity (not root) serves other users only what every user may reach (mayServe).
//
// Paths are latin1 strings (one char per byte, see protocols/stat.ts), so non-UTF-8 names
// survive; fs calls get the bytes back as a Buffer.

import {
  type BigIntStats,
  close as closeFd,
  closeSync,
  constants as fsc,
  fstatSync,
  openSync,
  read as readFd,
  readlinkSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { posix } from 'node:path';
import { ERRNO } from '../ipc/errno.js';
import { pathBytes } from '../protocols/stat.js';
import type { ActAs, Creds } from './stat-identity.js';

/** Who a path is looked up for: the client's credentials and the means to act as it. */
export interface Client {
  creds: Creds;
  act: ActAs;
}

/** An open file being streamed: positional reads on the pool, one close. */
export interface OpenFile {
  read(buf: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

function openFile(fd: number): OpenFile {
  let closed = false;
  return {
    read: (buf, offset, length, position) =>
      new Promise((resolve, reject) =>
        readFd(fd, buf, offset, length, position, (e, bytesRead) => (e ? reject(e) : resolve({ bytesRead }))),
      ),
    close: () =>
      new Promise((resolve) => {
        if (closed) return resolve();
        closed = true;
        closeFd(fd, () => resolve());
      }),
  };
}

/** Run `f` as the client: its own identity when possible, else this server's (then `public` is true). */
function asClient<T>(client: Client, f: (pub: boolean) => T): T {
  if (client.act.isSelf(client.creds)) return f(false);
  if (client.act.able) return client.act.run(client.creds, () => f(false));
  return f(true);
}

/** open(2)'s O_PATH on Linux (x86_64, aarch64 and the generic ABI); Node does not export it. */
const O_PATH = 0o10000000;
const E = ERRNO;

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

  /** stat(2) of a requested path, as `client` (synchronous: local metadata). Throws PathError. */
  stat(path: string, client: Client): BigIntStats {
    try {
      return asClient(client, (pub) => {
        const target = this.locate(path);
        if (this.root === null && !pub) return statSync(target, { bigint: true });
        // Confined (or judged for everyone): stat what an O_PATH open reaches, after check 3
        // (O_PATH needs search permission on the directories only, as stat(2) does).
        const fd = openSync(target, O_PATH);
        try {
          const real = this.opened(fd);
          if (pub && !reachable(real)) throw new PathError(E.EACCES);
          return fstatSync(fd, { bigint: true });
        } finally {
          closeSync(fd);
        }
      });
    } catch (e) {
      if (e instanceof PathError) throw e;
      throw new PathError(errnoOf(e));
    }
  }

  /**
   * The size stat(2) gives for a requested path, as `client`: what a stat request answers.
   * Unconfined and acting as the client, a plain stat (no BigInt for every field), again in
   * BigInt when the size is past 2^53 (a sparse file): the same value as stat().size.
   */
  size(path: string, client: Client): number | bigint {
    if (this.root !== null || !(client.act.isSelf(client.creds) || client.act.able))
      return this.stat(path, client).size;
    try {
      const size = asClient(client, () => statSync(this.locate(path)).size);
      return Number.isSafeInteger(size) ? size : this.stat(path, client).size;
    } catch (e) {
      throw new PathError(errnoOf(e));
    }
  }

  /**
   * Open a regular file for content serving, as `client` (the open itself is synchronous, on
   * this thread, with the client's identity). Throws PathError.
   */
  openForContent(path: string, client: Client): { file: OpenFile; size: bigint } {
    let fd: number;
    let pub: boolean;
    try {
      // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below).
      [fd, pub] = asClient(client, (p) => [
        openSync(this.locate(path), fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY),
        p,
      ]);
    } catch (e) {
      if (e instanceof PathError) throw e;
      throw new PathError(errnoOf(e));
    }
    try {
      const st = fstatSync(fd, { bigint: true });
      if (st.isDirectory()) throw new PathError(E.EISDIR);
      if (!st.isFile()) throw new PathError(E.ENOTSUP);
      const real = this.opened(fd);
      if (pub && !mayServe(st, real)) throw new PathError(E.EACCES);
      return { file: openFile(fd), size: st.size };
    } catch (e) {
      closeSync(fd);
      if (e instanceof PathError) throw e;
      throw new PathError(errnoOf(e));
    }
  }
}

/** Whether every directory above `real` is searchable by others. */
function reachable(real: string): boolean {
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

/**
 * For a server that cannot act as its client (not root): a file is served to another user
 * only when any user could read it: readable by others, in directories searchable by others
 * (a conservative stand-in for "could have opened it themselves").
 */
export function mayServe(st: BigIntStats, real: string): boolean {
  return (Number(st.mode) & 0o004) !== 0 && reachable(real);
}
