// User and group names as the C library resolves them, each id looked up once per process.
//
// Where /etc/nsswitch.conf has the C library read /etc/passwd (/etc/group) first, svipc reads
// that file itself: the same first entry for an id that glibc's `files` source returns, without
// loading libc through koffi (most of a listing's start-up). An id the file does not name goes
// to getpwuid_r/getgrgid_r, which asks the sources that follow (systemd, LDAP, sssd...); so
// does every id where `files` is not the first source or nsswitch.conf cannot be read.
import { readFileSync } from 'node:fs';
import { fn } from './libc.js';

type Database = 'passwd' | 'group';

const FILES: Record<Database, string> = { passwd: '/etc/passwd', group: '/etc/group' };
const BUF_SIZE = 16384;

/** The sources nsswitch.conf lists for `db` (`files`, `systemd`...); null when it cannot be read. */
export function nssSources(conf: string, db: Database): string[] | null {
  for (const raw of conf.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^(\w+)\s*:\s*(.*)$/.exec(line);
    if (m?.[1] === db) return m[2]!.split(/\s+/).filter((w) => w && !w.startsWith('['));
  }
  return null;
}

/** id -> name from the text of /etc/passwd or /etc/group: the first line for an id wins. */
export function parseIdFile(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    // name:password:id:...  (a +/- NIS line of the compat format is not an entry)
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a <= 0 || b < 0 || line[0] === '+' || line[0] === '-') continue;
    const c = line.indexOf(':', b + 1);
    const idText = line.slice(b + 1, c < 0 ? undefined : c);
    if (!/^[0-9]+$/.test(idText)) continue;
    const id = Number(idText);
    if (!names.has(id)) names.set(id, line.slice(0, a));
  }
  return names;
}

let nsswitch: string | null | undefined;
const fileNames: Partial<Record<Database, Map<number, string> | null>> = {};

/** The names of db's file when glibc reads that file first, else null (ask libc). */
function namesFromFile(db: Database): Map<number, string> | null {
  if (fileNames[db] !== undefined) return fileNames[db]!;
  let names: Map<number, string> | null = null;
  try {
    if (nsswitch === undefined) nsswitch = readFileSync('/etc/nsswitch.conf', 'utf8');
    if (nsswitch !== null && nssSources(nsswitch, db)?.[0] === 'files')
      names = parseIdFile(readFileSync(FILES[db], 'utf8'));
  } catch {
    nsswitch ??= null;
  }
  fileNames[db] = names;
  return names;
}

type GetEntry = (out: Record<string, unknown>, buf: Buffer, size: number, result: unknown[]) => number;

/** getpwuid_r/getgrgid_r with a scratch buffer: the entry's `field`, or null when there is none. */
function entryName(get: GetEntry, field: 'pw_name' | 'gr_name'): string | null {
  const out: Record<string, unknown> = {};
  const result = [null];
  const r = get(out, Buffer.alloc(BUF_SIZE), BUF_SIZE, result);
  return r === 0 && result[0] !== null ? ((out as Record<string, string | undefined>)[field] ?? null) : null;
}

const cache: Record<Database, Map<number, string | null>> = { passwd: new Map(), group: new Map() };

function lookup(db: Database, id: number, fromLibc: () => string | null): string | null {
  let name = cache[db].get(id);
  if (name === undefined) {
    name = namesFromFile(db)?.get(id) ?? fromLibc();
    cache[db].set(id, name);
  }
  return name;
}

/** The user's name, or null when the id has none. */
export function userName(uid: number): string | null {
  return lookup('passwd', uid, () =>
    entryName((out, buf, size, result) => fn.getpwuid_r(uid, out, buf, size, result) as number, 'pw_name'),
  );
}

export function groupName(gid: number): string | null {
  return lookup('group', gid, () =>
    entryName((out, buf, size, result) => fn.getgrgid_r(gid, out, buf, size, result) as number, 'gr_name'),
  );
}
