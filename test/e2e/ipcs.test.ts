// svipc ipcs against util-linux 2.38.1's /usr/bin/ipcs, byte for byte (stdout, stderr, exit
// code), on the same objects, inside a private IPC + mount namespace:
//   phase a  objects from /proc/sysvipc: every listing combination, -i on every object in
//            every unit, long options, clusters, abbreviations, every error case;
//   phase b  limits: the kernel's values changed to small, zero and overflowing ones;
//   phase c  no /proc/sysvipc (a tmpfs over it): util-linux's syscall fallback, quirks included;
//   phase d  no /proc/sys/kernel: the IPC_INFO fallbacks of -l, and an unreadable limit file.
// Every case runs /usr/bin/ipcs once and commands/ipcs.js in-process (one node for all
// cases); a spread of cases also runs `$SVIPC ipcs` and the `ipcs` link as processes.
// The --json output of the real binary is validated against schema/ipcs.schema.json.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canUnshare, ROOT, UNSHARE_SKIP_REASON } from '../helpers/run.js';
import { SchemaValidator } from '../unit/ipcs-schema-validator.js';
import { runCaseScript, useCaseFolders } from './case-folders.js';
import { BATCH_JS, CASE_FUNCTIONS, listingCombinations, OBJECTS_JS, sh, startObjects } from './ipcs-setup.js';

const HAVE_IPCS = existsSync('/usr/bin/ipcs');
const RUNNABLE = HAVE_IPCS && canUnshare();
const SKIP_REASON = HAVE_IPCS ? UNSHARE_SKIP_REASON : '/usr/bin/ipcs (util-linux) is not installed';
/** Mount namespaces and mounts over /proc (some containers refuse them): the phases that need them. */
const MOUNTS =
  RUNNABLE &&
  !process.env.SVIPC_E2E_NO_MOUNTS && // to try the reduced run where mounts work
  spawnSync(
    'unshare',
    [
      '--ipc',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t tmpfs none /proc/sysvipc && mount --bind /dev/null /proc/sys/kernel/sem',
    ],
    { stdio: 'ignore' },
  ).status === 0;
const MOUNTS_SKIP_REASON =
  'mounts in a private mount namespace are not permitted here: the phases without /proc/sysvipc or /proc/sys/kernel, and the long user names, are skipped';

function buildScript(mounts: boolean): string {
  const lines: string[] = [CASE_FUNCTIONS];
  const c = (args: string[], spawn = false): void => {
    lines.push(`case_run ${spawn ? '--spawn ' : ''}${sh(args)}`);
  };

  // ---------------------------------------------------------------- phase a: /proc/sysvipc
  lines.push('PHASE=a');
  for (const [i, args] of listingCombinations().entries()) c(args, i % 18 === 0);
  const longForms = [
    ['--queues'],
    ['--shmems', '--time'],
    ['--semaphores', '--creator'],
    ['--all', '--pid'],
    ['--limits', '--bytes'],
    ['--summary', '--human'],
    ['--sh', '--sem', '--ti'],
    ['--q', '--cr', '--hu'],
    ['--li', '--by'],
    ['-qmst'],
    ['-tpc'],
    ['-a', '-t', '-u'],
    ['-mb', '--human'],
    ['--human', '-b', '-m'],
    ['foo'],
    ['-m', 'bar', 'baz'],
    ['--', '-m'],
    ['-s', '--', '-x'],
  ];
  for (const [i, args] of longForms.entries()) c(args, i % 3 === 0);
  // -i on every object of every kind, in every unit (ids as the helper creates them)
  const ids: [string, number][] = [
    ['-q', 4],
    ['-m', 16],
    ['-s', 4],
  ];
  for (const [kind, count] of ids) {
    for (let id = 0; id < count; id++) {
      for (const unit of [[], ['-b'], ['--human']])
        c([kind, '-i', String(id), ...unit], id === 1 && unit.length === 0);
    }
  }
  const idForms = [
    ['--id=0', '--queues'],
    ['--id', '1', '-m'],
    ['-mi', '3'],
    ['-qi0'],
    ['-i0', '-s'],
    ['--i=2', '-s'],
    ['-i', '+1', '-m'],
    ['-i', ' 2', '-m'],
    ['-i', '00', '-q'],
    ['-i', '5', '-m', '-t', '-c'],
    ['-q', '-i', '99'],
    ['-m', '-i', '99'],
    ['-s', '-i', '99'],
    ['-i', '99', '-q', '--human'],
    ['-q', '-i', '-1'],
    ['-m', '-i', '-1'],
    ['-m', '-i', '-2147483648'],
  ];
  for (const [i, args] of idForms.entries()) c(args, i % 4 === 0);
  const errors = [
    ['-x'],
    ['-i'],
    ['--id'],
    ['--human=3'],
    ['--foo'],
    ['--h'],
    ['--s'],
    ['-mx'],
    ['-i', 'abc', '-m'],
    ['-i', '', '-m'],
    ['-i', '99999999999', '-m'],
    ['-i', '99999999999999999999', '-m'],
    ['-i', '2147483648', '-m'],
    ['-i', '1x', '-m'],
    ['-i0x', '-m'],
    ['-i', '0'],
    ['-i', '0', '-q', '-m'],
    ['-i', '0', '-a'],
    ['-h'],
    ['--help'],
    ['-V'],
    ['--version'],
    ['-h', '-x'],
    ['-x', '-h'],
    ['-V', '-x'],
    ['-m', '-h'],
    ['-i', 'abc', '-h'],
    ['-h', '-i', 'abc'],
  ];
  for (const [i, args] of errors.entries()) c(args, i % 3 === 0);
  for (const args of [[], ['-h'], ['-s', '-i', '0'], ['-m', '-i', '99']]) lines.push(`case_full ${sh(args)}`);
  lines.push('batch');

  // POSIXLY_CORRECT: glibc's getopt stops at the first operand
  lines.push('PHASE=p', 'export POSIXLY_CORRECT=1');
  for (const [i, args] of [['foo', '-m'], ['-m', 'foo', '-x'], ['-q', '--', '-s'], ['-y']].entries())
    c(args, i === 1);
  lines.push('batch', 'unset POSIXLY_CORRECT');

  // Local time: ctime(3) with the C library's zone data vs Node's (ICU), where both have it
  if (existsSync('/usr/share/zoneinfo/America/New_York')) {
    for (const tz of ['America/New_York', 'Asia/Kolkata']) {
      lines.push(`PHASE=z`, `export TZ=${tz}`);
      for (const [i, args] of [['-t'], ['-s', '-i', '0'], ['-m', '-i', '4'], ['-q', '-i', '1']].entries())
        c(args, i === 0);
      lines.push('batch', 'export TZ=UTC');
    }
  }

  // ---------------------------------------------------------------- phase b: limit values
  const limitSets: Record<string, string>[] = [
    { shmall: '1', shmmax: '1', shmmni: '1', msgmni: '1', msgmnb: '0', msgmax: '1', sem: '1 1 1 1' },
    { shmall: '0', shmmax: '0', shmmni: '0', msgmni: '0', msgmax: '0', sem: '0 0 0 0' },
    {
      shmall: '4611686018427387904',
      shmmax: '18446744073709551615',
      shmmni: '32768',
      msgmni: '32768',
      msgmnb: '2147483647',
      msgmax: '2147483647',
      sem: '32000 2147483647 1000 32768',
    },
    {
      shmall: '4503599627370497',
      shmmax: '9007199254740993',
      msgmnb: '16384',
      msgmax: '8192',
      sem: '250 32000 32 128',
    },
  ];
  limitSets.forEach((set, i) => {
    lines.push(`PHASE=b${i}`);
    for (const [file, value] of Object.entries(set)) {
      lines.push(`echo ${sh([value])} > /proc/sys/kernel/${file} 2>/dev/null || true`);
    }
    for (const unit of [[], ['-b'], ['--human']]) c(['-l', ...unit], i === 0 && unit.length === 0);
    c(['-l', '-m', '-q']);
    lines.push('batch');
  });

  // ---------------------------------------------------------------- phase f: not root
  // An unprivileged user: -i where IPC_STAT/GETVAL are refused.
  const asUser = [
    [],
    ['-c'],
    ['-u'],
    ['-q', '-i', '0'],
    ['-q', '-i', '1'],
    ['-q', '-i', '2'],
    ['-s', '-i', '0'],
    ['-s', '-i', '1'],
    ['-s', '-i', '2'],
    ['-m', '-i', '1'],
    ['-m', '-i', '14'],
  ];
  lines.push('PHASE=f', 'RUNAS="runas 4242:4343"');
  for (const [i, args] of asUser.entries()) c(args, i < 2);
  lines.push('batch', 'RUNAS=');
  if (!mounts) return lines.join('\n');

  // ---------------------------------------------------------------- phase c: no /proc/sysvipc
  lines.push('PHASE=c', 'mount -t tmpfs none /proc/sysvipc');
  const resources = [[], ['-q'], ['-m'], ['-s'], ['-a']];
  const formats = [[], ['-t'], ['-p'], ['-c'], ['-u'], ['--human']];
  let k = 0;
  for (const r of resources) for (const f of formats) c([...r, ...f], k++ % 5 === 0);
  for (const [kind, count] of ids) for (let id = 0; id < count; id++) c([kind, '-i', String(id)], id === 0);
  c(['-m', '-i', '99']);
  c(['-q', '-i', '-1']);
  lines.push('batch', 'umount /proc/sysvipc');

  // ---------------------------------------------------------------- phase d: limits fallbacks
  lines.push('PHASE=d', 'mount -t tmpfs none /proc/sys/kernel');
  for (const unit of [[], ['-b'], ['--human']]) c(['-l', ...unit], unit.length === 0);
  lines.push('batch', 'umount /proc/sys/kernel', 'PHASE=e');
  lines.push('mount --bind /dev/null /proc/sys/kernel/msgmni', 'mount --bind /dev/null /proc/sys/kernel/sem');
  c(['-l'], true);
  c(['-l', '-q', '-s', '--human']);
  lines.push('batch', 'umount /proc/sys/kernel/msgmni /proc/sys/kernel/sem');

  // ---------------------------------------------------------------- phase g: not root, no /proc/sysvipc
  // util-linux's fallback uses the permission-checked *_STAT, and so hides unreadable objects.
  lines.push('PHASE=g', 'RUNAS="runas 4242:4343"', 'mount -t tmpfs none /proc/sysvipc');
  for (const [i, args] of asUser.entries()) c(args, i === 0);
  lines.push('batch', 'umount /proc/sysvipc', 'RUNAS=');
  return lines.join('\n');
}

/** svipc ipcs --json runs whose output must validate (name -> args), per setup. */
const JSON_RUNS: Record<string, string[]> = {
  list: [],
  queues: ['-q'],
  'segments-semaphores': ['-m', '-s', '-t'],
  limits: ['-l'],
  summary: ['-u'],
  'id-sem': ['-s', '-i', '0'],
  'id-shm': ['-m', '-i', '5'],
  'id-msg': ['-q', '-i', '0'],
  'id-missing': ['-m', '-i', '99'],
};

function jsonScript(mounts: boolean): string {
  const out: string[] = [];
  for (const [name, args] of Object.entries(JSON_RUNS)) {
    out.push(`"$SVIPC" ipcs --json ${sh(args)} > "$W/json-${name}.json" 2> "$W/json-${name}.err"`);
  }
  if (!mounts) return out.join('\n');
  // the same without /proc/sysvipc and without /proc/sys/kernel
  out.push('mount -t tmpfs none /proc/sysvipc', 'mount -t tmpfs none /proc/sys/kernel');
  out.push(`"$SVIPC" ipcs --json > "$W/json-fallback-list.json"`);
  out.push(`"$SVIPC" ipcs --json -l > "$W/json-fallback-limits.json"`);
  out.push(`"$SVIPC" ipcs --json -s -i 0 > "$W/json-fallback-id-sem.json"`);
  out.push('umount /proc/sysvipc /proc/sys/kernel');
  return out.join('\n');
}

describe.skipIf(!RUNNABLE)('ipcs parity with util-linux 2.38.1 (private IPC namespace)', () => {
  // (-V: readCases words the reference's line as svipc does, case-folders.ts asSvipcVersion)
  const folders = useCaseFolders(
    'svipc-ipcs-e2e-',
    { 'objects.mjs': OBJECTS_JS, 'batch.mjs': BATCH_JS },
    (work) =>
      runCaseScript(
        work,
        [
          // user and group names longer than 10 characters, visible to both tools through NSS files
          ...(MOUNTS
            ? [
                'cp /etc/passwd "$W/passwd"; cp /etc/group "$W/group"',
                'echo "averyveryverylongusername:x:4545:4646::/:/bin/false" >> "$W/passwd"',
                'echo "averyveryverylonggroupname:x:4646:" >> "$W/group"',
                'mount --bind "$W/passwd" /etc/passwd && mount --bind "$W/group" /etc/group',
              ]
            : []),
          // cgid differs from cuid: util-linux's syscall fallback shows cuid there (phase c)
          'setpriv --regid 4646 --clear-groups ipcmk -M 4096 > /dev/null',
          ...startObjects(),
          jsonScript(MOUNTS),
          buildScript(MOUNTS),
        ],
        MOUNTS,
        280_000,
      ),
    300_000,
  );

  it('the namespace script ran to the end', () => {
    expect(folders.result.stderr).toBe('');
    expect(folders.result.code).toBe(0);
    expect(folders.cases.length).toBeGreaterThan(MOUNTS ? 300 : 250);
  });

  if (!MOUNTS) it.skip(`partly skipped: ${MOUNTS_SKIP_REASON}`, () => {});

  it('every case matches /usr/bin/ipcs: stdout, stderr, exit code (in-process, spawned, and through the link)', () => {
    let comparisons = 0;
    const mismatches: string[] = [];
    for (const c of folders.cases) {
      for (const who of ['inproc', 'svipc', 'link'] as const) {
        const got = c[who];
        if (!got) continue;
        comparisons++;
        if (got.out !== c.ref.out || got.err !== c.ref.err || got.rc !== c.ref.rc) {
          mismatches.push(`${c.name} [${who}] ipcs ${c.args.join(' ')}`);
          expect.soft({ who, args: c.args, ...got }).toEqual({ who, args: c.args, ...c.ref });
        }
      }
    }
    const spawned = folders.cases.filter((c) => c.svipc).length;
    const inproc = folders.cases.filter((c) => c.inproc).length;
    console.log(
      `ipcs parity: ${comparisons} comparisons with /usr/bin/ipcs over ${folders.cases.length} cases ` +
        `(${inproc} in-process, ${spawned} as \`svipc ipcs\` and ${spawned} through the ipcs link), ` +
        `${mismatches.length} mismatches, namespace script ${Math.round(folders.result.ms)} ms`,
    );
    expect(mismatches).toEqual([]);
    expect(comparisons).toBeGreaterThan(MOUNTS ? 400 : 300);
  });

  it('the interesting states are really there (dest, locked, long names, waiters, fallbacks)', () => {
    const find = (phase: string, args: string[]) =>
      folders.cases.find((c) => c.phase === phase && c.args.join(' ') === args.join(' '))!.ref.out;
    const list = find('a', []);
    expect(list).toContain(' dest   locked\n');
    expect(list).toContain(' dest         \n');
    expect(list).toContain('0                 locked\n');
    expect(list).toContain(' 4242 ');
    expect(find('a', ['-s', '-i', '0'])).toMatch(/^0 +0 +1 +0 +\d+ *\n1 +5 +0 +1 /m);
    expect(find('a', ['-q', '-t'])).toContain('Not set');
    expect(folders.cases.find((c) => c.phase === 'f' && c.args.join(' ') === '-s -i 0')!.ref.err).toBe(
      'ipcs: semctl(GETVAL) failed: Permission denied\n',
    );
    expect(find('f', ['-q', '-i', '1'])).toContain('qbytes=0\t');
    if (!MOUNTS) return;
    expect(list).toContain(' averyveryv ');
    expect(find('a', ['-c'])).toContain('averyveryverylongusername averyveryverylonggroupname');
    expect(find('d', ['-l'])).toContain('max seg size (kbytes)');
    expect(find('e', ['-l'])).toContain('unable to fetch message limits');
    expect(find('g', [])).toContain('0x00001234'); // queue 0644: readable, listed
    expect(find('g', [])).toContain('0x00001111'); // segment 0644: listed
    expect(find('g', [])).not.toContain('0x00005678'); // semaphores 0660 root:root: hidden
  });

  it('--json output of every mode validates against schema/ipcs.schema.json', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schema/ipcs.schema.json'), 'utf8'));
    const validator = new SchemaValidator(schema);
    const files = readdirSync(folders.work).filter((f) => f.startsWith('json-') && f.endsWith('.json'));
    expect(files.length).toBe(Object.keys(JSON_RUNS).length + (MOUNTS ? 3 : 0));
    for (const f of files) {
      const doc = JSON.parse(readFileSync(join(folders.work, f), 'utf8'));
      expect([f, validator.validate(doc)]).toEqual([f, []]);
    }
    const list = JSON.parse(readFileSync(join(folders.work, 'json-list.json'), 'utf8'));
    const refLines = (args: string[]) =>
      folders.cases
        .find((c) => c.phase === 'a' && c.args.join(' ') === args.join(' '))!
        .ref.out.split('\n')
        .filter((l) => l.startsWith('0x')).length;
    expect(list.queues).toHaveLength(refLines(['-q']));
    expect(list.segments).toHaveLength(refLines(['-m']));
    expect(list.semaphores).toHaveLength(refLines(['-s']));
    expect(list.segments.filter((s: { dest: boolean }) => s.dest)).toHaveLength(2);
    const sem = JSON.parse(readFileSync(join(folders.work, 'json-id-sem.json'), 'utf8'));
    expect(sem.object.elements.map((e: { value: number }) => e.value)).toEqual([0, 5, 0]);
    expect(sem.object.elements[0].ncount).toBe(1);
    const missing = JSON.parse(readFileSync(join(folders.work, 'json-id-missing.json'), 'utf8'));
    expect(missing.object).toBeNull();
    expect(readFileSync(join(folders.work, 'json-id-missing.err'), 'utf8')).toBe('ipcs: id 99 not found\n');
    if (!MOUNTS) return;
    const fallback = JSON.parse(readFileSync(join(folders.work, 'json-fallback-list.json'), 'utf8'));
    expect(fallback.segments[0].rss).toBeNull();
    expect(fallback.segments[0].cgid).toBe(4646); // the true value, not util-linux's quirk
    const limits = JSON.parse(readFileSync(join(folders.work, 'json-fallback-limits.json'), 'utf8'));
    expect(limits.queues.source).toBe('ipc_info');
  });
});

if (!RUNNABLE) {
  describe('ipcs parity with util-linux 2.38.1', () => {
    it.skip(`skipped: ${SKIP_REASON}`, () => {});
  });
}
