// How renderers learn user and group names: passed in, so they stay pure (tests give a map;
// commands give src/ipc/users.ts, which asks the C library once per id).
export interface NameResolver {
  /** The user's name, or null when the uid has none. */
  user(uid: number): string | null;
  group(gid: number): string | null;
}

/** A resolver over fixed tables (tests, or ids known to have no name). */
export function tableNames(
  users: Record<number, string> = {},
  groups: Record<number, string> = {},
): NameResolver {
  return { user: (uid) => users[uid] ?? null, group: (gid) => groups[gid] ?? null };
}
