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

type GetEntry = (out: Record<string, unknown>, buf: Buffer, size: number, result: unknown[]) => number;

/** getpwuid_r/getgrgid_r with a scratch buffer: the entry's `field`, or null when there is none. */
function entryName(get: GetEntry, field: 'pw_name' | 'gr_name'): string | null {
  const out: Record<string, unknown> = {};
  const result = [null];
  const r = get(out, Buffer.alloc(BUF_SIZE), BUF_SIZE, result);
  return r === 0 && result[0] !== null ? ((out as Record<string, string | undefined>)[field] ?? null) : null;
}

/** The user's name, or null when the id has none. */
export function userName(uid: number): string | null {
  return lookup(users, uid, () =>
    entryName((out, buf, size, result) => fn.getpwuid_r(uid, out, buf, size, result) as number, 'pw_name'),
  );
}

export function groupName(gid: number): string | null {
  return lookup(groups, gid, () =>
    entryName((out, buf, size, result) => fn.getgrgid_r(gid, out, buf, size, result) as number, 'gr_name'),
  );
}
