// svipc lsipc's POSIX options (-M/-Q/-S/-N, the POSIX rows of -g) against util-linux 2.42.2's
// lsipc (the reference build), byte for byte (stdout, stderr, exit code), on the same objects:
// made by the C peer (test/peers/posix-peer.c), by svipc's library, and by another user. All of
// it in a private IPC + mount namespace with its own /dev/shm and /dev/mqueue
// (test/helpers/posix-ns.ts), nothing in the host's. The cases are generated from option
// lists; commands/lsipc.js runs them in-process (one node for all), a spread also as
// `svipc lsipc` processes. Where 2.42.2 is plainly wrong svipc differs on purpose
// (svipc-lsipc(1), DECIDED DIFFERENCES): those cases are checked for svipc's answer instead.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LSIPC_COLUMNS_POSIX } from '../../src/render/lsipc-columns.js';
import { canPosixNamespace, inPosixNamespace, POSIX_NS_SKIP_REASON } from '../helpers/posix-ns.js';
import { buildPeer, CC_SKIP_REASON, hasCompiler, publicRoot, ROOT } from '../helpers/run.js';
import { type Case, NEW_CASE, useCaseFolders } from './case-folders.js';
import { sh } from './ipcs-setup.js';
import { BATCH_JS, expectEveryCase, expectInprocAsRef, FORMATS, LISTING_EXTRAS } from './lsipc-harness.js';

const REF_DIR = '/work/shared/reference/util-linux-2.42.2';
const HAVE_REF = existsSync(join(REF_DIR, 'lsipc'));
const RUNNABLE = HAVE_REF && hasCompiler() && canPosixNamespace();
const SKIP_REASON = !HAVE_REF
  ? `the util-linux 2.42.2 reference build is not in ${REF_DIR}`
  : !hasCompiler()
    ? CC_SKIP_REASON
    : POSIX_NS_SKIP_REASON;

/** Objects of every POSIX kind, by the C peer, svipc's library and uid 4242; mtimes fixed. */
const OBJECTS = String.raw`
set -e
"$PEER" mq-create /q1 5 100; "$PEER" mq-send /q1 3 hello; "$PEER" mq-send /q1 1 hi
"$PEER" sem-create /s1 2
"$PEER" shm-create /m1 8192 x
"$PEER" shm-create '/sp ace"$q\xé' 3 y
"$NODE" --input-type=module -e "
  import * as s from '$ROOT_DIR/dist/src/index.js';
  const q = s.PosixMessageQueue.create('/q2', { mode: 0o644, maxMessages: 4, messageSize: 2048 });
  q.send(Buffer.alloc(1500, 1)); q.close();
  s.PosixSemaphore.create('/s2', { value: 7, mode: 0o640 }).close();
  s.PosixSharedMemory.open('/m2', { create: true, exclusive: true, mode: 0o604, size: 3 << 20 }).close();
"
setpriv --reuid=4242 --regid=4343 --clear-groups "$PEER" shm-create /other 100 o
setpriv --reuid=4242 --regid=4343 --clear-groups "$PEER" sem-create /sother 1
setpriv --reuid=4242 --regid=4343 --clear-groups "$PEER" mq-create /qother 2 8
touch -m -d '2026-01-02 03:04:05' /dev/shm/* /dev/mqueue/*
touch -m -d '2019-12-31 23:59:59' /dev/shm/m1 /dev/mqueue/q1
set +e
`;

/** case_run [--spawn] ARGS...: ref.* from 2.42.2's lsipc (named lsipc), svipc.* when spawned. */
const CASE_FUNCTIONS = `${NEW_CASE}
case_run() {
  local spawn=0 d
  if [ "$1" = --spawn ]; then spawn=1; shift; fi
  new_case "$@"
  echo "$PHASE" > "$d/phase"
  (cd / && PATH="$REF_DIR:/usr/bin:/bin" lsipc "$@" > "$d/ref.out" 2> "$d/ref.err"; echo $? > "$d/ref.rc")
  if [ $spawn = 1 ]; then
    "$SVIPC" lsipc "$@" > "$d/svipc.out" 2> "$d/svipc.err"; echo $? > "$d/svipc.rc"
  fi
}
batch() { "$NODE" "$W/batch.mjs" "$ROOT_DIR/dist" "$W/cases"; }
`;

const KINDS = [['-M'], ['-Q'], ['-S'], ['-g', '-Q'], ['-g', '-M'], ['-g', '-S'], ['-Q', '-g']];
const EXTRAS = [
  ...LISTING_EXTRAS,
  ['--time-format=iso'],
  ['--time-format=full'],
  ['-b', '-y', '--noheadings', '-c'],
];
const NAMES: Record<string, string[]> = {
  '-M': ['m1', 'm2', 'other', 'sp ace"$q\\xé', 'nope', ''],
  '-Q': ['/q1', '/q2', '/qother', '/nope', 'q1', '/'],
  '-S': ['s1', 's2', 'sother', 'nope'],
};
const ERRORS = [
  ['-N', 'x'],
  ['-g', '-N', 'x'],
  ['-N', 'x', '-g', '-M'],
  ['-M', '-c', '-t'],
  ['-t', '-c', '-S'],
  ['-o', 'NAME', '-c', '-M'],
  ['-J', '-e', '-M'],
  ['-M', '-r', '-l'],
  ['-i', '1', '-N', 'x', '-Q'],
  ['-N', 'x', '-i', '1', '-Q'],
  ['-M', '-o', ''],
  ['-M', '-o', '+'],
  ['-M', '-o', 'NAME,'],
  ['-M', '-o', ',NAME'],
  ['-M', '-o', 'NAME,,PERMS'],
  ['-M', '-o', 'FOO'],
  ['-M', '-o', 'name,Perms,mTiMe'],
  ['-S', '-o', 'NSEMS'],
  ['-Q', '-o', 'RESOURCE'],
  ['-Q', '-g', '-o', 'NAME'],
  ['-Q', '-g', '-o', 'USED,LIMIT'],
  ['-M', '-o', Array(80).fill('NAME').join(',')],
  ['-M', '--time-format=bogus'],
  ['-M', '-N'],
  ['-MJ'],
  ['-SrN', 's1'],
  ['-Ns1', '-S'],
  ['--posix-shmems'],
  ['--posix-sh', '--json'],
  ['--posix-mq', '--name=/q1'],
  ['--posix-semaphores', '--name', 's2', '--list'],
  ['-Q', 'extra'],
  ['-Q', '--', '-x'],
  ['-M', '-x'],
  ['-M', '--bogus'],
  ['-M', '-M'],
  ['-Q', '-i', 'x'],
];

interface Plan {
  lines: string[];
  counts: Record<string, number>;
}

function buildScript(): Plan {
  const lines: string[] = [CASE_FUNCTIONS];
  const counts: Record<string, number> = {};
  let n = 0;
  const c = (group: string, args: string[]) => {
    counts[group] = (counts[group] ?? 0) + 1;
    lines.push(`case_run ${n++ % 19 === 0 ? '--spawn ' : ''}${sh(args)}`);
  };
  lines.push('PHASE=a');
  for (const k of KINDS)
    for (const f of FORMATS) for (const e of EXTRAS) c('combinations', [...k, ...f, ...e]);
  for (const kind of ['-M', '-Q', '-S', '-g -Q']) {
    for (const col of LSIPC_COLUMNS_POSIX) {
      c('columns', [...kind.split(' '), '-o', col.name]);
      c('columns', [...kind.split(' '), '-o', `+${col.name.toLowerCase()}`]);
    }
  }
  for (const [kind, names] of Object.entries(NAMES)) {
    for (const name of names) {
      for (const f of [[], ['-l'], ['-J'], ['-r'], ['-e'], ['-n'], ['-c'], ['-t'], ['-b', '-P']]) {
        c('names', [kind, '-N', name, ...f]);
      }
    }
  }
  for (const args of ERRORS) c('errors', args);
  lines.push('batch');
  // /dev/mqueue not mounted (and not there): 2.42.2's warning
  lines.push('PHASE=b', 'umount /dev/mqueue && rmdir /dev/mqueue');
  for (const args of [['-Q'], ['-Q', '-J'], ['-g', '-Q'], ['-Q', '-N', '/q1'], ['-Q', '-N', 'q1'], ['-M']]) {
    c('not-mounted', args);
  }
  lines.push('batch');
  return { lines, counts };
}

/**
 * svipc's decided differences from 2.42.2 (svipc-lsipc(1)): the cases where they show, and
 * what svipc prints instead. Checked here, left out of the byte comparison.
 */
const DIFFERENT: { why: string; match: (c: Case) => boolean; check: (c: Case) => void }[] = [
  {
    why: '-Q -P: 2.42.2 leaves PERMS empty; svipc prints it in octal',
    match: (c) => c.args.includes('-Q') && c.args.includes('-P') && !c.args.includes('-g'),
    check: (c) => {
      expect(c.inproc!.rc).toBe('0');
      if (!c.args.includes('-N') && c.args.length === 2) expect(c.inproc!.out).toMatch(/\/q1 +0600 /);
    },
  },
  {
    why: '-o SIZE/USEDBYTES/MSGS/SVAL with their POSIX kind: 2.42.2 says the column does not apply',
    match: (c) => c.ref.err.includes('does not apply') && !c.inproc!.err.includes('does not apply'),
    check: (c) => {
      expect(c.inproc!.rc).toBe('0');
      const col = c.args[c.args.indexOf('-o') + 1]!.replace('+', '').toUpperCase();
      expect(['SIZE', 'USEDBYTES', 'MSGS', 'SVAL']).toContain(col);
      expect(c.inproc!.out.split('\n')[0]).toContain(col);
    },
  },
  {
    why: '-S -N: 2.42.2 calls a semaphore it does not find a "message queue"',
    match: (c) => c.args.includes('-S') && c.ref.err.includes('message queue'),
    check: (c) => expect(c.inproc!.err).toBe(c.ref.err.replace('message queue', 'semaphore')),
  },
  {
    why: 'an empty POSIX listing in JSON is named for its kind, not ""',
    match: (c) => c.ref.out.includes('"": ['),
    check: (c) =>
      expect(c.inproc!.out).toMatch(
        /^\{\n {3}"posix-(sharedmemory|messages|semaphores)": \[\n\n {3}\]\n\}\n$/,
      ),
  },
];

describe.skipIf(!RUNNABLE)('lsipc POSIX options: parity with util-linux 2.42.2 (private namespace)', () => {
  let plan: Plan;
  const folders = useCaseFolders(
    'svipc-lsipc-posix-',
    { 'batch.mjs': BATCH_JS },
    (work) => {
      plan = buildScript();
      writeFileSync(join(work, 'script.sh'), ['set -u', 'cd /', OBJECTS, ...plan.lines].join('\n'));
      return inPosixNamespace('bash', [join(work, 'script.sh')], {
        env: {
          W: work,
          ROOT_DIR: ROOT,
          REF_DIR,
          SVIPC: join(ROOT, 'bin/svipc'),
          NODE: process.execPath,
          PEER: buildPeer('posix-peer'),
          LC_ALL: 'C',
          TZ: 'UTC',
        },
        timeoutMs: 280_000,
      });
    },
    300_000,
  );
  it('ran every case, on objects 2.42.2 sees', () => {
    expectEveryCase(folders.result, folders.cases, plan.counts);
    const byArgs = (a: string) => folders.cases.find((c) => c.args.join(' ') === a)!;
    expect(byArgs('-M -r').ref.out).toContain('sp\\x20ace"$q\\x5cx\\xc3\\xa9 ');
    expect(byArgs('-Q').ref.out).toMatch(/\/q1 .* 2019-Dec31 +7B 2\n/);
    expect(byArgs('-S').ref.out).toMatch(/s2 +rw-r----- +root Jan02 +7\n/);
    expect(byArgs('-M').ref.out).toMatch(/other +rw------- +4242 /);
    expect(byArgs('-g -Q').ref.out).toContain('MQUMNI');
    expect(byArgs('-Q').ref.err + byArgs('-M').ref.err).toBe('');
    const compared =
      folders.cases.length - folders.cases.filter((c) => DIFFERENT.some((d) => d.match(c))).length;
    console.log(
      `lsipc POSIX parity cases: ${compared} compared byte for byte ${JSON.stringify(plan.counts)}`,
    );
    expect(compared).toBeGreaterThan(700);
  });

  it('commands/lsipc.js in-process: stdout, stderr and exit code equal 2.42.2 for every case', () => {
    expect(folders.cases.filter((c) => !c.inproc).map((c) => c.args.join(' '))).toEqual([]);
    expectInprocAsRef(folders.cases.filter((c) => !DIFFERENT.some((d) => d.match(c))));
  });

  it('`svipc lsipc` as a process: the same as in-process', () => {
    const spawned = folders.cases.filter((c) => c.svipc);
    expect(spawned.length).toBeGreaterThan(30);
    for (const c of spawned) expect(c.svipc, `lsipc ${c.args.join(' ')}`).toEqual(c.inproc);
  });

  it('the decided differences: each met, and svipc answers as svipc-lsipc(1) says', () => {
    for (const d of DIFFERENT) {
      const met = folders.cases.filter((c) => d.match(c));
      expect(met.length, d.why).toBeGreaterThan(0);
      for (const c of met) d.check(c);
    }
  });

  it('/dev/mqueue not mounted: 2.42.2 warning', () => {
    const q = folders.cases.find((c) => c.name.startsWith('b-') && c.args.join(' ') === '-Q')!;
    expect(q.inproc!.err).toBe(
      "lsipc: /dev/mqueue does not seem to be mounted. Use 'mount -t mqueue none /dev/mqueue' to mount it.\n",
    );
  });
});

/** svipc's own rules, where 2.42.2 has none; no reference needed, the namespace is. */
describe.skipIf(!(hasCompiler() && canPosixNamespace()))('lsipc POSIX options: svipc rules', () => {
  it('kinds exclude each other; -N wants a POSIX kind, -i a System V one; -N finds /NAME too', async () => {
    const svipc = join(ROOT, 'bin/svipc');
    const r = await inPosixNamespace(
      'sh',
      [
        '-c',
        `"$0" shm-create /m1 10 x; "$0" sem-create /s1 0
         for a in "-M -q" "-Q -S" "-s -M" "-m -N x" "-M -i 1" "-M -N /m1 -o NAME -r" "-S -N /s1 -o NAME -r"; do
           "$1" lsipc $a; echo "rc=$?"
         done 2>&1`,
        buildPeer('posix-peer'),
        svipc,
      ],
      { env: { LC_ALL: 'C' } },
    );
    expect(r.stdout).toBe(
      [
        'lsipc: options --posix-shmems and --queues cannot be combined',
        'rc=1',
        'lsipc: options --posix-mqueues and --posix-semaphores cannot be combined',
        'rc=1',
        'lsipc: options --semaphores and --posix-shmems cannot be combined',
        'rc=1',
        'lsipc: --name selects POSIX objects: use --id with -m, -q or -s',
        'rc=1',
        'lsipc: --id selects System V objects: use --name with -M, -Q or -S',
        'rc=1',
        'NAME',
        'm1',
        'rc=0',
        'NAME',
        's1',
        'rc=0',
        '',
      ].join('\n'),
    );
  });
});

describe.skipIf(!RUNNABLE)('lsipc POSIX options: what another user may not open', () => {
  it('is listed with its values empty (2.42.2 leaves it out)', async () => {
    const r = await inPosixNamespace(
      'sh',
      [
        '-c',
        `"$0" sem-create /s1 3; "$0" mq-create /q1 2 8; "$0" mq-send /q1 1 hi
         as() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@" 2>&1 | tr -d ' \\n'; echo; }
         as $1 lsipc -S -J -o NAME,SVAL; as $1 lsipc -Q -J -o NAME,USEDBYTES,MSGS
         as $2/lsipc -S -J; as $2/lsipc -Q -J`,
        buildPeer('posix-peer'),
        join(publicRoot(), 'bin/svipc'),
        REF_DIR,
      ],
      { env: { LC_ALL: 'C' } },
    );
    expect(r.stdout.split('\n')).toEqual([
      '{"posix-semaphores":[{"name":"s1","sval":null}]}',
      '{"posix-messages":[{"name":"/q1","usedbytes":null,"msgs":null}]}',
      '{"":[]}',
      '{"":[]}',
      '',
    ]);
  });
});

describe.skipIf(RUNNABLE)('lsipc POSIX options: parity with util-linux 2.42.2', () => {
  it.skip(`skipped: ${SKIP_REASON}`, () => {});
});
