// User and group names as the C library resolves them (NSS: files, LDAP, sssd...),
// each id looked up once per process.
import { fn } from './libc.js';

const users = new Map<number, string | null>();
const groups = new Map<number, string | null>();
const BUF_SIZE = 16384;

function lookup(cache: Map<number, string | null>, id: number, call: () => string | null): string | null {
  let name = cache.get(id);
  if (name === undefined) {
    name = call();
    cache.set(id, name);
  }
  return name;
}

/** The user's name, or null when the id has none. */
export function userName(uid: number): string | null {
  return lookup(users, uid, () => {
    const out: Record<string, unknown> = {};
    const result = [null];
    const r = fn.getpwuid_r(uid, out, Buffer.alloc(BUF_SIZE), BUF_SIZE, result) as number;
    return r === 0 && result[0] !== null ? ((out as { pw_name?: string }).pw_name ?? null) : null;
  });
}

export function groupName(gid: number): string | null {
  return lookup(groups, gid, () => {
    const out: Record<string, unknown> = {};
    const result = [null];
    const r = fn.getgrgid_r(gid, out, Buffer.alloc(BUF_SIZE), BUF_SIZE, result) as number;
    return r === 0 && result[0] !== null ? ((out as { gr_name?: string }).gr_name ?? null) : null;
  });
}
