// Names without libc where glibc would read the same file: the same answers as NSS gives.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { groupName, nssSources, parseIdFile, userName } from '../../src/ipc/users.js';

describe('nssSources', () => {
  it('lists the sources of a database, without actions or comments', () => {
    const conf = '# comment\npasswd:   files systemd # trailing\ngroup: sss [NOTFOUND=return] files\n';
    expect(nssSources(conf, 'passwd')).toEqual(['files', 'systemd']);
    expect(nssSources(conf, 'group')).toEqual(['sss', 'files']);
    expect(nssSources('hosts: files dns\n', 'passwd')).toBeNull();
  });
});

describe('parseIdFile', () => {
  it('maps ids to names, the first entry of an id wins, NIS and broken lines are skipped', () => {
    const text =
      'root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/:/bin/sh\n+nis::::::\nbad:x:zz:0\n\nme:x:1000:1000::/home/me:/bin/sh';
    expect([...parseIdFile(text)]).toEqual([
      [0, 'root'],
      [1000, 'me'],
    ]);
  });

  it('reads /etc/group lines (name:password:gid:members)', () => {
    expect(parseIdFile('wheel:x:10:root,me\nusers:x:100:')).toEqual(
      new Map([
        [10, 'wheel'],
        [100, 'users'],
      ]),
    );
  });
});

/** What the C library answers, through getent. */
function getent(db: 'passwd' | 'group', id: number): string | null {
  const r = spawnSync('getent', [db, String(id)], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split(':')[0]! : null;
}

describe('userName / groupName agree with the C library', () => {
  const ids = (file: string) => [...parseIdFile(readFileSync(file, 'utf8')).keys()];
  it('for every uid of /etc/passwd and one that has no entry', () => {
    for (const uid of [...ids('/etc/passwd'), 4_000_000_001])
      expect(userName(uid)).toBe(getent('passwd', uid));
  });
  it('for every gid of /etc/group and one that has no entry', () => {
    for (const gid of [...ids('/etc/group'), 4_000_000_001])
      expect(groupName(gid)).toBe(getent('group', gid));
  });
});
