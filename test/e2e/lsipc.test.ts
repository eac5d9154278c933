// svipc lsipc against util-linux 2.38.1's /usr/bin/lsipc, byte for byte (stdout, stderr, exit
// code), on the same objects, inside a private IPC namespace (and mount namespace, where
// permitted, for the phase without /proc/sysvipc). The cases are generated from option lists:
// every resource option x every output format x the other options; -o with every column for
// every kind (alone and appended); -i on every object in every format; --time-format values;
// errors; a narrow $COLUMNS; POSIXLY_CORRECT; not root; no /proc/sysvipc; /dev/full. Each case runs /usr/bin/lsipc (named lsipc, as a
// PATH lookup names it) and commands/lsipc.js in-process (one node for all); a spread of cases
// also runs `$SVIPC lsipc` and an `lsipc` link as processes. LC_ALL=C, TZ=UTC.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LSIPC_COLUMNS } from '../../src/render/lsipc-columns.js';
import { buildPeer, canUnshare, hasCompiler, UNSHARE_SKIP_REASON } from '../helpers/run.js';
import { NEW_CASE, runCaseScript, useCaseFolders } from './case-folders.js';
import { OBJECTS_JS, sh, startObjects } from './ipcs-setup.js';
import { BATCH_JS, expectEveryCase, expectInprocAsRef, FORMATS, LISTING_EXTRAS } from './lsipc-harness.js';

const HAVE_LSIPC = existsSync('/usr/bin/lsipc');
const RUNNABLE = HAVE_LSIPC && canUnshare();
const SKIP_REASON = HAVE_LSIPC ? UNSHARE_SKIP_REASON : '/usr/bin/lsipc (util-linux) is not installed';
const MOUNTS =
  RUNNABLE &&
  spawnSync(
    'unshare',
    ['--ipc', '--mount', '--propagation', 'private', 'mount', '-t', 'tmpfs', 'none', '/proc/sysvipc'],
    {
      stdio: 'ignore',
    },
  ).status === 0;

/** case_run [--spawn] [--env K=V] ARGS...: ref.* from /usr/bin/lsipc, svipc.* and link.* when spawned. */
const CASE_FUNCTIONS = String.raw`${NEW_CASE}
case_run() {
  local spawn=0 e=SVIPC_CASE=1 has_env=0 d
  if [ "$#" -gt 0 ] && [ "$1" = --spawn ]; then spawn=1; shift; fi
  if [ "$#" -gt 0 ] && [ "$1" = --env ]; then e=$2; has_env=1; shift 2; fi
  new_case "$@"
  if [ $has_env = 1 ]; then printf '%s\0' "$e" > "$d/env"; fi
  echo "$PHASE" > "$d/phase"
  # Another user runs the world-readable copy (runas, test/helpers/runas.sh), and its link.
  local links="$W/links"; [ -n "$RUNAS" ] && links="$W/publinks"
  (cd / && $RUNAS env "$e" PATH=/usr/bin:/bin lsipc "$@" > "$d/ref.out" 2> "$d/ref.err"; echo $? > "$d/ref.rc")
  if [ $spawn = 1 ]; then
    $RUNAS env "$e" "$SVIPC" lsipc "$@" > "$d/svipc.out" 2> "$d/svipc.err"; echo $? > "$d/svipc.rc"
    ($RUNAS env "$e" PATH="$links:$PATH" lsipc "$@" > "$d/link.out" 2> "$d/link.err"; echo $? > "$d/link.rc")
  fi
}
# stdout on /dev/full: util-linux's "write error", exit 1 (spawned only)
case_full() {
  local d
  new_case "$@"
  touch "$d/inproc.rc" "$d/ref.out" "$d/svipc.out" "$d/link.out"
  (cd / && PATH=/usr/bin:/bin lsipc "$@" > /dev/full 2> "$d/ref.err"; echo $? > "$d/ref.rc")
  "$SVIPC" lsipc "$@" > /dev/full 2> "$d/svipc.err"; echo $? > "$d/svipc.rc"
  (PATH="$W/links:$PATH" lsipc "$@" > /dev/full 2> "$d/link.err"; echo $? > "$d/link.rc")
}
batch() { $RUNAS node "$W/batch.mjs" "$ROOT_DIR/dist" "$W/cases"; }
`;

const KINDS = [[], ['-g'], ['-m'], ['-q'], ['-s'], ['-g', '-m'], ['-g', '-q'], ['-g', '-s']];
const EXTRAS = [...LISTING_EXTRAS, ['-c', '-t'], ['-b', '-P', '-y', '--noheadings']];
/** Objects as OBJECTS_JS makes them, plus the three made by mkipc with another group. */
const IDS: [string, number][] = [
  ['-q', 5],
  ['-m', 16],
  ['-s', 5],
];

interface Plan {
  lines: string[];
  /** Cases by kind, counted for the report. */
  counts: Record<string, number>;
}

function buildScript(mounts: boolean): Plan {
  const lines: string[] = [CASE_FUNCTIONS];
  const counts: Record<string, number> = {};
  let n = 0;
  const c = (group: string, args: string[], opts: { env?: string; spawn?: boolean } = {}) => {
    counts[group] = (counts[group] ?? 0) + 1;
    const spawn = opts.spawn ?? n++ % 23 === 0;
    const env = opts.env ? `--env ${sh([opts.env])} ` : '';
    lines.push(`case_run ${spawn ? '--spawn ' : ''}${env}${sh(args)}`);
  };

  lines.push('PHASE=a');
  for (const k of KINDS)
    for (const f of FORMATS) for (const e of EXTRAS) c('combinations', [...k, ...f, ...e]);

  // -o: every column with every kind, alone, appended, and all of a kind's at once per format
  for (const kind of ['-m', '-q', '-s', '-g']) {
    for (const col of LSIPC_COLUMNS) {
      c('columns', [kind, '-o', col.name]);
      c('columns', [kind, '-o', `+${col.name.toLowerCase()}`]);
    }
    const scope = { '-m': 'shm', '-q': 'msg', '-s': 'sem', '-g': 'global' }[kind];
    const all = LSIPC_COLUMNS.filter((x) => x.scope === 'generic' || x.scope === scope).map((x) => x.name);
    for (const f of FORMATS) c('columns', [kind, ...f, '-o', all.join(',')]);
    c('columns', [kind, '-i', '1', '-o', all.join(',')]);
  }

  // -i on every object, in every format and with the options that change it
  const idExtras = [
    [],
    ['-l'],
    ['-J'],
    ['-r'],
    ['-e'],
    ['-n'],
    ['-P'],
    ['-b'],
    ['-t'],
    ['-c'],
    ['-o', 'KEY'],
  ];
  for (const [kind, count] of IDS) {
    for (let id = 0; id < count; id++) for (const e of idExtras) c('ids', [kind, '-i', String(id), ...e]);
  }
  for (const kind of ['-m', '-q', '-s']) {
    for (const id of ['99', '-1', '-5', '+1', ' 2', '00']) {
      c('ids', [kind, '-i', id]);
      c('ids', [kind, '-i', id, '-J']);
    }
  }

  // --time-format
  for (const kind of ['-m', '-q', '-s']) {
    for (const t of ['short', 'full', 'iso']) {
      for (const f of [[], ['-J'], ['-r'], ['-i', '0']]) c('time', [kind, '-t', `--time-format=${t}`, ...f]);
    }
  }
  for (const t of ['', 'ISO', 'bogus', 'isox']) c('time', ['-m', `--time-format=${t}`]);
  c('time', ['-m', '--time-format']);
  c('time', ['-m', '--time-format', 'iso', '-t', '--time-format=full']);

  // errors and option forms
  const errors = [
    ['-x'],
    ['--bogus'],
    ['-m', '--no'],
    ['--t'],
    ['-m', '-o'],
    ['-mo'],
    ['--output'],
    ['-i'],
    ['-i', '1'],
    ['-t'],
    ['-c'],
    ['-g', '-i', '1'],
    ['-g', '-c'],
    ['-m', '-q'],
    ['-s', '-q', '-m'],
    ['-m', '-e', '-r'],
    ['-J', '-r', '-m'],
    ['-l', '-n', '-m'],
    ['-c', '-t', '-m'],
    ['-t', '-c', '-m', '-o', 'KEY'],
    ['-o', 'KEY', '-m', '-t'],
    ['-c', '-o', 'KEY', '-m'],
    ['-m', '-i', 'x'],
    ['-m', '-i', ''],
    ['-m', '-i', '1x'],
    ['-m', '-i', '99999999999'],
    ['-m', '-i', '2147483648'],
    ['-m', '-i', '-2147483648'],
    ['-m', '-o', 'KEY,FOO'],
    ['-m', '-o', 'KEY,FOO,ID'],
    ['-m', '-o', 'NSEMS'],
    ['-m', '-o', 'KEY,CUID,NSEMS,X'],
    ['-m', '-o', 'RESOURCE'],
    ['-g', '-o', 'SIZE'],
    ['-m', '-o', ''],
    ['-m', '-o', '+'],
    ['-m', '-o', ',KEY'],
    ['-m', '-o', 'KEY,,ID'],
    ['-m', '-o', 'KEY,'],
    ['-m', '-o', 'key,Id,sIzE'],
    ['-m', '-o', Array(70).fill('KEY').join(',')],
    ['-m', '-o', `+${Array(60).fill('ID').join(',')}`],
    ['-m', '-m', '-m', '-m', '-m', '-m'],
    ['-m', '-m', '-m', '-m', '-m', '-m', '-m'],
    ['-h'],
    ['--help'],
    ['-V'],
    ['--version'],
    ['-m', '-h', '-x'],
    ['-x', '-h'],
    ['-J', '-e', '-h'],
    ['-m', '--bytes=1'],
    ['--json', '--shm', '--ti'],
    ['--sem', '--cr', '--num'],
    ['--q', '-i', '1'],
    ['-qi1'],
    ['-mJb'],
    ['-mrbP'],
    ['--', '-m'],
    ['-m', '--', '-q'],
    ['foo', '-m'],
    ['-m', 'foo', '-q'],
    ['-r', '-r', '-m'],
  ];
  for (const args of errors) c('errors', args, { spawn: n++ % 4 === 0 });
  c('errors', ['extra', '-m'], { env: 'POSIXLY_CORRECT=1', spawn: true });
  c('errors', ['-m', 'extra', '-q'], { env: 'POSIXLY_CORRECT=1' });

  // a narrow terminal width: not a terminal, so nothing is truncated
  for (const args of [[], ['-m'], ['-m', '-t'], ['-q', '-c'], ['-s', '-i', '0'], ['-m', '--notruncate']]) {
    c('columns-env', args, { env: 'COLUMNS=20', spawn: args.length === 1 });
    c('columns-env', args, { env: 'COLUMNS=5' });
  }
  lines.push('batch');
  lines.push('case_full -m', 'case_full -s -i 0');
  counts['dev-full'] = 2;

  // not root: semaphore values it may not read (semctl(GETVAL) refused), objects of others
  lines.push('PHASE=f', 'RUNAS="runas 4242:4343"');
  const asUser = [[], ['-m'], ['-q', '-c'], ['-s', '-t'], ...[0, 1, 2].map((id) => ['-s', '-i', String(id)])];
  for (const [i, args] of [...asUser, ['-q', '-i', '2'], ['-m', '-i', '13', '-J']].entries()) {
    c('not-root', args, { spawn: i < 2 });
  }
  lines.push('batch', 'RUNAS=');

  if (mounts) {
    // no /proc/sysvipc: util-linux's *_STAT fallback (cgid = cuid for segments and semaphores)
    lines.push('PHASE=c', 'mount -t tmpfs none /proc/sysvipc');
    for (const k of [[], ['-m'], ['-q'], ['-s']]) {
      for (const e of [[], ['-c'], ['-t'], ['-J']]) c('no-proc', [...k, ...e]);
    }
    for (const [kind, count] of IDS)
      for (let id = 0; id < count; id++) c('no-proc', [kind, '-i', String(id)]);
    lines.push('batch', 'umount /proc/sysvipc');
  }
  return { lines, counts };
}

describe.skipIf(!RUNNABLE)('lsipc parity with util-linux 2.38.1 (private IPC namespace)', () => {
  let plan: Plan;
  const folders = useCaseFolders(
    'svipc-lsipc-e2e-',
    { 'objects.mjs': OBJECTS_JS, 'batch.mjs': BATCH_JS },
    (work) => {
      const mkipc = hasCompiler() ? buildPeer('mkipc') : null;
      plan = buildScript(MOUNTS);
      const script = [
        'mkdir "$W/links" "$W/publinks" && ln -s "$SVIPC" "$W/links/lsipc"',
        'ln -s "$SVIPC_PUBLIC_ROOT/bin/svipc" "$W/publinks/lsipc"',
        // The creator stays alive (COMMAND), with argv bytes every format escapes its own way.
        ...startObjects(` 'q"d$v\`b\\x5c é\tt'`),
        // objects whose creator group differs from its user (util-linux's CGID quirk)
        mkipc
          ? `setpriv --regid=4343 --clear-groups ${mkipc} shm:0x7777:100:0640 sem:0x7778:1:0600 msg:0x7779:0600`
          : 'setpriv --regid=4343 --clear-groups "$SVIPC" ipcmk -M 100 -Q -S 1 > /dev/null',
        ...plan.lines,
      ];
      return runCaseScript(work, script, MOUNTS, 280_000);
    },
    300_000,
  );

  it('ran every case', () => {
    const total = expectEveryCase(folders.result, folders.cases, plan.counts);
    // the count the issue asks for, by group
    console.log(`lsipc parity cases: ${total} ${JSON.stringify(plan.counts)}`);
    expect(total).toBeGreaterThan(1000);
  });

  it('the objects are there and the output is not trivial', () => {
    const m = folders.cases.find((c) => c.args.join(' ') === '-m')!;
    expect(m.ref.out.split('\n').length).toBeGreaterThan(16);
    expect(m.ref.out).toContain('dest,locked');
    const raw = folders.cases.find((c) => c.args.join(' ') === '-m -r')!;
    expect(raw.ref.out).toContain('\\x20q"d$v`b\\x5cx5c\\x20\\xc3\\xa9\\x09t');
  });

  it('commands/lsipc.js in-process: stdout, stderr and exit code equal /usr/bin/lsipc for every case', () => {
    const compared = folders.cases.filter((c) => c.phase !== undefined);
    expect(compared.filter((c) => c.ref.err.includes('semctl(GETVAL) failed')).length).toBeGreaterThan(0);
    expect(compared.filter((c) => !c.inproc).map((c) => c.args.join(' '))).toEqual([]);
    expectInprocAsRef(compared);
  });

  it('`svipc lsipc` and an `lsipc` link as processes: the same, the link name in messages', () => {
    const spawned = folders.cases.filter((c) => c.svipc);
    expect(spawned.length).toBeGreaterThan(40);
    for (const c of spawned) {
      const label = `lsipc ${c.args.join(' ')}`;
      expect(c.svipc, label).toEqual(c.ref);
      expect(c.link, label).toEqual(c.ref);
    }
    const withMessage = spawned.filter((c) => c.ref.err.startsWith('lsipc: '));
    expect(withMessage.length).toBeGreaterThan(3);
  });

  it('a full disk is a write error, exit 1', () => {
    const full = folders.cases.filter((c) => c.phase === undefined);
    expect(full.length).toBe(2);
    for (const c of full) {
      expect(c.ref.err).toBe('lsipc: write error: No space left on device\n');
      expect(c.svipc).toEqual(c.ref);
      expect(c.link).toEqual(c.ref);
    }
  });
});

describe.skipIf(RUNNABLE)('lsipc parity with util-linux 2.38.1', () => {
  it.skip(`skipped: ${SKIP_REASON}`, () => {});
});
