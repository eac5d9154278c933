// The POSIX options of svipc ipcmk and ipcrm (util-linux 2.42.2's: ipcmk -m/-q/-s -n NAME,
// ipcrm --posix-shmem/--posix-mqueue/--posix-semaphore NAME, --all=pshm|pmsg|psem) against the
// reference build of 2.42.2 on the same objects. Every case runs in a fresh IPC + mount namespace
// with its own /dev/shm tmpfs and mqueue filesystem (inside the private /dev of
// test/helpers/posix-ns.ts): nothing reaches the host's /dev/shm or /dev/mqueue. stdout, stderr,
// exit status and the objects left (name, mode, size) must be identical, except in the cases
// where svipc differs on purpose (svipc-ipcmk(1), svipc-ipcrm(1)): those state both sides.
// Without the reference build, svipc's side of every decided case still runs.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { canPosixNamespace, inPosixNamespace, POSIX_NS_SKIP_REASON } from '../helpers/posix-ns.js';
import { publicEnv, RUNAS_FUNCTIONS } from '../helpers/run.js';
import { caseFunctions, caseLoop, caseOutputs, nobodyFunction, sysvStateLines } from './multicall-harness.js';

const REF = '/work/shared/reference/util-linux-2.42.2';
const HAVE_REF = existsSync(join(REF, 'ipcmk')) && existsSync(join(REF, 'ipcrm'));
const REF_SKIP_REASON = `the util-linux 2.42.2 reference build is not at ${REF}: parity skipped`;
const USABLE = canPosixNamespace();

type Variant = 'ref' | 'svipc';
interface Case {
  name: string;
  /** bash run first (output dropped): `pshm NAME SIZE`, `pmsg NAME`, `psem NAME`, System V objects. */
  setup?: string;
  cmd: string;
}
interface Outcome {
  out: string;
  err: string;
  rc: number;
  state: string;
}

// Objects made without either tool: a file in /dev/shm is a POSIX segment, 32 zero bytes at
// /dev/shm/sem.NAME a glibc semaphore of value 0, a file made in the mqueue filesystem a queue.
const MAKERS = `pshm() { head -c "$2" /dev/zero >"/dev/shm/$1"; }
psem() { head -c 32 /dev/zero >"/dev/shm/sem.$1"; }
pmsg() { : >"/dev/mqueue/$1"; }
state() {
  for f in /dev/shm/* /dev/mqueue/*; do [ -e "$f" ] && stat -c '%n %a %s' "$f"; done
${sysvStateLines({ shm: ['perms', 'size'], msg: ['perms'], sem: ['perms', 'nsems'] })}
}`;

function tools(v: Variant): string {
  return ['ipcmk', 'ipcrm']
    .map((t) =>
      v === 'ref' ? `${t}() { (exec -a ${t} "${REF}/${t}" "$@"); }` : `${t}() { "$SVIPC" ${t} "$@"; }`,
    )
    .join('\n');
}

/** Every case with one variant: one private /dev, a fresh IPC + mount namespace per case. */
async function runCases(cases: readonly Case[], v: Variant, mqueue = true): Promise<Outcome[]> {
  const dir = mkdtempSync(join(tmpdir(), `svipc-posix-mkrm-${v}-`));
  try {
    // `nobody CMD...`: the tools and makers go along (the world-readable copy of svipc: $SVIPC there)
    const lib = [RUNAS_FUNCTIONS, tools(v), MAKERS, nobodyFunction('ipcmk ipcrm pshm psem pmsg')];
    writeFileSync(join(dir, 'lib.sh'), `${[...lib, ...caseFunctions(cases)].join('\n')}\n`);
    const fresh = mqueue
      ? 'mount -t tmpfs -o mode=1777 tmpfs /dev/shm && mount -t mqueue mqueue /dev/mqueue'
      : 'mount -t tmpfs -o mode=1777 tmpfs /dev/shm';
    const script = `${mqueue ? '' : 'umount /dev/mqueue && rmdir /dev/mqueue'}
${caseLoop(
  dir,
  cases.length,
  `unshare --ipc --mount --propagation private bash -c "${fresh} && umask 022 && . $D/lib.sh && { case_$i >$D/out 2>$D/err; echo \\$? >$D/rc; state >$D/state; }"`,
)}`;
    const r = await inPosixNamespace('bash', ['-c', script], { timeoutMs: 300_000, env: publicEnv() });
    if (r.code !== 0) throw new Error(`POSIX case script (${v}) failed: ${r.code}\n${r.stderr}`);
    return caseOutputs(r.stdout, cases.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LONG = `/${'a'.repeat(300)}`;
const mk = (args: string, setup?: string): Case => ({ name: `ipcmk ${args}`, cmd: `ipcmk ${args}`, setup });
const ABC = 'pshm a 100; psem a; pmsg a';
const rm = (args: string, setup = ABC): Case => ({ name: `ipcrm ${args}`, cmd: `ipcrm ${args}`, setup });

/** Cases where svipc does what util-linux 2.42.2 does, byte for byte. */
const PARITY: Case[] = [
  mk('-m 100 -n /a'),
  mk('-q -n /q'),
  mk('-s -n /s'),
  mk('-m 1K -q -s -n /x -p 600'),
  mk('--posix-shmem=2K --posix-mqueue --posix-semaphore --name /y --mode 640'),
  mk('-M 1K -Q -q -S 2 -s -m 1K -n /z'),
  mk('-m 0 -n /zero'),
  mk('-m 4E -n /sparse'),
  mk('-m 100'),
  mk('-q -s'),
  mk('-n /x'),
  mk('-p 600 -n /x'),
  mk('-m abc -n /x'),
  mk('-m 1 -n /m -x'),
  mk('-m 1 -q -n /a -n /b'),
  mk('-m 1 -n noslash'),
  mk('-s -n noslash'),
  mk('-q -n noslash'),
  mk('-m 1 -n /a/b'),
  mk('-q -n /a/b'),
  mk('-s -n /a/b'),
  mk("-m 1 -n ''"),
  mk("-q -n ''"),
  mk("-s -n ''"),
  mk('-q -n /'),
  mk(`-m 1 -n ${LONG}`),
  mk(`-q -n ${LONG}`),
  mk(`-s -n ${LONG}`),
  mk('-q -n /q -p 0'),
  mk('--p'),
  mk('--posix-s'),
  mk('--n /x -s'),
  mk('--s 1'),
  { name: 'ipcmk under umask 077', cmd: 'umask 077; ipcmk -m 1 -q -s -n /u -p 666' },
  { name: 'ipcmk -m 1 -n /m >/dev/full', cmd: 'ipcmk -m 1 -n /m >/dev/full' },
  rm('--posix-shmem /a'),
  rm('--posix-mqueue /a'),
  rm('--posix-semaphore /a'),
  rm('-v --posix-shmem /a --posix-mqueue /a --posix-semaphore /a'),
  rm('--posix-shmem /a -v'),
  rm('--posix-shmem /nope --posix-mqueue /a'),
  rm('-v --posix-semaphore /nope'),
  rm('--posix-shmem a'),
  rm('--posix-semaphore a'),
  rm('--posix-mqueue a'),
  rm("--posix-shmem ''"),
  rm("--posix-mqueue '' --posix-shmem /a"),
  rm('--posix-mqueue /a/b'),
  rm(`--posix-shmem ${LONG}`),
  rm(`--posix-mqueue ${LONG}`),
  rm(`--posix-semaphore ${LONG}`),
  rm('--posix-semaphore /'),
  rm('--posix-shmem'),
  rm('--posix /a'),
  rm('--posix-s /a'),
  rm('--posix-m=/a'),
  rm('--posix-shmem=/a -m 99'),
  rm('--posix-mqueue /a -x'),
  rm('--posix-mqueue /a extra'),
  rm('--all=pshm'),
  rm('--all=psem'),
  rm('--all=pmsg'),
  rm('-apmsg -m 5'),
  rm('--all=bogus'),
  rm('--all=pshm', 'pshm a 1; pshm b 2; psem c; ipcmk -M 1'),
  rm('-v --posix-shmem /a >/dev/full'),
  // root's objects in sticky directories, seen by nobody; nobody's own go
  ...['--posix-shmem /a', '--posix-mqueue /a', '--posix-semaphore /a'].map((a) => ({
    name: `as nobody: ipcrm ${a}`,
    cmd: `nobody ipcrm ${a}`,
    setup: `${ABC}; nobody pshm b 1`,
  })),
  { name: 'as nobody: ipcmk -m 1 -q -s -n /n -p 600', cmd: 'nobody ipcmk -m 1 -q -s -n /n -p 600' },
];

describe.skipIf(!USABLE || !HAVE_REF)(
  !USABLE
    ? `ipcmk/ipcrm POSIX parity: ${POSIX_NS_SKIP_REASON}`
    : !HAVE_REF
      ? `ipcmk/ipcrm POSIX parity: ${REF_SKIP_REASON}`
      : 'ipcmk/ipcrm POSIX options: parity with util-linux 2.42.2',
  () => {
    let ref: Outcome[];
    let ours: Outcome[];
    beforeAll(async () => {
      [ref, ours] = await Promise.all([runCases(PARITY, 'ref'), runCases(PARITY, 'svipc')]);
    }, 180_000);
    afterAll(() =>
      console.log(`ipcmk/ipcrm POSIX parity: ${PARITY.length} cases compared with util-linux 2.42.2`),
    );

    test('the reference made what it was asked to', () => {
      const i = PARITY.findIndex((c) => c.name === 'ipcmk -m 1K -q -s -n /x -p 600');
      expect(ref[i]).toEqual({
        out: 'POSIX shared memory name: /x\nPOSIX message queue name: /x\nPOSIX semaphore name: /x\n',
        err: '',
        rc: 0,
        state: '/dev/shm/sem.x 600 32\n/dev/shm/x 600 1024\n/dev/mqueue/x 600 80\n',
      });
      // ...and the nobody cases ran as nobody: root's objects stayed, nobody's own went.
      const j = PARITY.findIndex((c) => c.name === 'as nobody: ipcrm --posix-shmem /a');
      expect(ref[j]).toMatchObject({ err: "ipcrm: permission denied for name `/a'\n", rc: 1 });
      expect(ref[j]!.state).toContain('/dev/shm/a 644 100\n/dev/shm/b 644 1\n');
    });

    test.each(PARITY.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
      expect(ours[i]).toEqual(ref[i]);
    });
  },
);

/** Where svipc differs on purpose: what svipc does (always checked) and what 2.42.2 does. */
interface Decided {
  c: Case;
  svipc: Partial<Outcome>;
  ref: Partial<Outcome>;
}
const DECIDED: Decided[] = [
  {
    // 2.42.2 opens the existing segment and truncates it to the new size: data lost.
    c: mk('-m 10 -n /a', 'pshm a 100'),
    svipc: {
      out: '',
      err: 'ipcmk: create POSIX shared memory failed: File exists (/a exists: ipcmk makes new objects only)\n',
      rc: 1,
      state: '/dev/shm/a 644 100\n',
    },
    ref: { out: 'POSIX shared memory name: /a\n', rc: 0, state: '/dev/shm/a 644 10\n' },
  },
  {
    // ...and says it made a queue or a semaphore that was there already.
    c: mk('-q -s -n /a', 'pmsg a; psem a'),
    svipc: {
      out: '',
      err: 'ipcmk: create POSIX message queue failed: File exists (/a exists: ipcmk makes new objects only)\n',
      rc: 1,
    },
    ref: { out: 'POSIX message queue name: /a\nPOSIX semaphore name: /a\n', rc: 0 },
  },
  {
    // 2.42.2 keeps one size for -M and -m: the last one given.
    c: mk('-M 1K -m 2K -n /s'),
    svipc: { rc: 0, state: '/dev/shm/s 644 2048\nshm perms=644 size=1024\n' },
    ref: { rc: 0, state: '/dev/shm/s 644 2048\nshm perms=644 size=2048\n' },
  },
  {
    // A size ftruncate refuses: 2.42.2 leaves the empty object it made.
    c: mk('-m 8E -n /big'),
    svipc: { err: 'ipcmk: create POSIX shared memory failed: Invalid argument\n', rc: 1, state: '' },
    ref: {
      err: 'ipcmk: create POSIX shared memory failed: Invalid argument\n',
      rc: 1,
      state: '/dev/shm/big 644 0\n',
    },
  },
  {
    // Mode bits above 0777 (setuid, setgid, sticky) are not passed on, as for System V objects.
    c: mk('-p 4644 -m 1 -n /m'),
    svipc: { rc: 0, state: '/dev/shm/m 644 1\n' },
    ref: { rc: 0, state: '/dev/shm/m 4644 1\n' },
  },
  {
    // 2.42.2 prints each -v line of --all twice, and pshm/psem names without their slash.
    c: rm('-v --all=pshm', 'pshm a 1; pshm b 1'),
    svipc: {
      out: "removing POSIX shared memory `/a'\nremoving POSIX shared memory `/b'\n",
      rc: 0,
      state: '',
    },
    ref: {
      out: "removing POSIX shared memory `b'\nremoving POSIX shared memory `b'\nremoving POSIX shared memory `a'\nremoving POSIX shared memory `a'\n",
      rc: 0,
      state: '',
    },
  },
  {
    c: rm('-v --all=pmsg', 'pmsg q'),
    svipc: { out: "removing POSIX message queue `/q'\n", rc: 0, state: '' },
    ref: { out: "removing POSIX message queue `/q'\nremoving POSIX message queue `/q'\n", rc: 0, state: '' },
  },
  {
    // A bare -a is 2.38.1's: System V objects only (2.42.2 removes every POSIX object too).
    c: rm('-v -a', `${ABC}; ipcmk -M 1 -Q`),
    svipc: {
      out: "removing shared memory segment id `0'\nremoving message queue id `0'\n",
      err: '',
      rc: 0,
      state: '/dev/shm/a 644 100\n/dev/shm/sem.a 644 32\n/dev/mqueue/a 644 80\n',
    },
    ref: { rc: 0, state: '' },
  },
  {
    // The warning names the object as --posix-shmem takes it (2.42.2: as /dev/shm lists it).
    c: {
      name: 'as nobody: ipcrm --all=pshm',
      cmd: 'nobody ipcrm --all=pshm',
      setup: `${ABC}; nobody pshm b 1`,
    },
    svipc: {
      out: '',
      err: "ipcrm: permission denied for name `/a'\n",
      rc: 1,
      state: '/dev/shm/a 644 100\n/dev/shm/sem.a 644 32\n/dev/mqueue/a 644 80\n',
    },
    ref: {
      err: "ipcrm: permission denied for name `a'\n",
      rc: 1,
      state: '/dev/shm/a 644 100\n/dev/shm/sem.a 644 32\n/dev/mqueue/a 644 80\n',
    },
  },
  {
    // No argument: 2.38.1 does nothing and succeeds; 2.42.2 says "bad usage".
    c: { name: 'ipcrm', cmd: 'ipcrm' },
    svipc: { out: '', err: '', rc: 0 },
    ref: { err: "ipcrm: bad usage\nTry 'ipcrm --help' for more information.\n", rc: 1 },
  },
];

describe.skipIf(!USABLE)(
  USABLE ? 'ipcmk/ipcrm POSIX options: where svipc differs from 2.42.2, on purpose' : POSIX_NS_SKIP_REASON,
  () => {
    const cases = DECIDED.map((d) => d.c);
    let ours: Outcome[];
    let ref: Outcome[] | undefined;
    beforeAll(async () => {
      [ours, ref] = await Promise.all([
        runCases(cases, 'svipc'),
        HAVE_REF ? runCases(cases, 'ref') : Promise.resolve(undefined),
      ]);
    }, 120_000);

    test.each(DECIDED.map((d, i) => [d.c.name, i] as const))('svipc: %s', (_name, i) => {
      expect(ours[i]).toMatchObject(DECIDED[i]!.svipc);
    });
    test.skipIf(!HAVE_REF).each(DECIDED.map((d, i) => [d.c.name, i] as const))(
      `util-linux 2.42.2 (as svipc-ipcmk(1)/svipc-ipcrm(1) say): %s${HAVE_REF ? '' : ` (${REF_SKIP_REASON})`}`,
      (_name, i) => {
        expect(ref![i]).toMatchObject(DECIDED[i]!.ref);
      },
    );
  },
);

describe.skipIf(!USABLE)(
  USABLE ? 'ipcmk/ipcrm POSIX options: svipc on its own' : POSIX_NS_SKIP_REASON,
  () => {
    test('ipcmk --json: name, the mode the object got (umask applied), the size of a segment', async () => {
      const [r] = await runCases(
        [{ name: 'json', cmd: 'umask 027; ipcmk -m 4E -q -s -n /j -p 666 --json; ipcmk -Q -k 0x10 --json' }],
        'svipc',
      );
      const docs = r!.out.trim().split('\n');
      const common = { schemaVersion: 1, name: '/j', mode: 0o640, modeOctal: '0640' };
      expect(docs.slice(0, 3).map((l) => JSON.parse(l))).toEqual([
        { ...common, kind: 'pshm', size: 2 ** 62 },
        { ...common, kind: 'pmsg' },
        { ...common, kind: 'psem' },
      ]);
      // The exact digits of a size past 2^53, not a rounded double.
      expect(docs[0]).toContain('"size":4611686018427387904}');
      expect(JSON.parse(docs[3]!)).toMatchObject({ kind: 'msg', key: 16, mode: 0o644 });
      expect(r!.state).toBe(
        '/dev/shm/j 640 4611686018427387904\n/dev/shm/sem.j 640 32\n/dev/mqueue/j 640 80\nmsg perms=644\n',
      );
    });

    test('without /dev/mqueue: ipcrm --all=pmsg warns as 2.42.2 does; a bare -a says nothing of it', async () => {
      const cases: Case[] = [rm('--all=pmsg', 'pshm a 1'), rm('-a', 'pshm a 1; ipcmk -Q')];
      const [ours, ref] = await Promise.all([
        runCases(cases, 'svipc', false),
        HAVE_REF ? runCases(cases, 'ref', false) : Promise.resolve(undefined),
      ]);
      const warning =
        "ipcrm: /dev/mqueue does not seem to be mounted. Use 'mount -t mqueue none /dev/mqueue' to mount it.\n";
      expect(ours[0]).toEqual({ out: '', err: warning, rc: 0, state: '/dev/shm/a 644 1\n' });
      expect(ours[1]).toEqual({ out: '', err: '', rc: 0, state: '/dev/shm/a 644 1\n' });
      if (ref) expect(ref[0]).toEqual(ours[0]);
    });
  },
);
