// svipc ipcrm against util-linux 2.38.1's /usr/bin/ipcrm: every case runs in a fresh private
// IPC namespace three ways (util-linux, `svipc ipcrm`, an `ipcrm` link first on PATH), with
// the same objects made first (test/peers/mkipc.c, chosen keys), and stdout, stderr, exit
// code and the objects left in /proc/sysvipc must be identical. Never run ipcrm -a elsewhere.
import { describe, expect, test } from 'vitest';
import { svipcVersion } from '../../src/package.js';
import { hasCompiler, run } from '../helpers/run.js';
import { type Case, describeParity } from './multicall-harness.js';

// shm ids 0 (key 0x1000, 0600) and 1 (0x1001, 0644); queues 0 (0x2000, 0600) and 1 (0x2001, 0666);
// semaphore sets 0 (0x3000, 2 sems, 0600) and 1 (0x3001, 1 sem, 0640). All owned by root.
const OBJECTS =
  'mk shm:0x1000:4096:0600 shm:0x1001:100:0644 msg:0x2000:0600 msg:0x2001:0666 sem:0x3000:2:0600 sem:0x3001:1:0640';

const c = (args: string, setup = OBJECTS): Case => ({ name: args, setup, cmd: `ipcrm ${args}`, keys: true });
const sh = (name: string, cmd: string, setup = OBJECTS): Case => ({ name, setup, cmd, keys: true });

const CASES: Case[] = [
  sh('(the objects every case starts with)', 'state'),
  // usage and getopt errors
  sh('(no arguments)', 'ipcrm'),
  ...['-x', '-m', '--shmem-id', '--s', '--se 1', '--verbose=1', '--foo=bar', '-:', '--=x', '-vx -m 0'].map(
    (a) => c(a),
  ),
  // by id
  ...[
    '-m 0',
    '-m 1',
    '-q 0',
    '-s 1',
    '-m 5',
    '-m -1',
    '-m abc',
    '-m 0x0',
    "-m ' 0'",
    '-m +0',
    '-m 99999999999',
    "-m ''",
    '-q 2147483648',
    '-s -2147483649',
    '--shmem-id=0',
    '--queue-id 1',
    '--semaphore-id=0',
    '-vm0',
    '-v -q 1',
  ].map((a) => c(a)),
  // by key
  ...[
    '-M 0x1000',
    '-M 4096',
    '-Q 0x2001',
    '-S 0x3000',
    '-M 0x9999',
    '-M 0',
    '-M 0x100000000',
    '-M 0x100001000',
    '-M -1',
    '-M abc',
    "-M ''",
    '-M 0x',
    '-M 99999999999999999999',
    '--shmem-key=0x1001',
    '--queue-key 0x2000',
    '--semaphore-key=0x3001',
    '-M +4096',
    '-Q 0x1000',
    '-S 0x2000',
    '-v -M 0x1000',
  ].map((a) => c(a)),
  // several at once, in the order given
  ...[
    '-m 0 -q 0 -s 0',
    '-m 0 -m 0',
    '-m 0 -M 0x1001 -Q 0x2000 -s 1',
    '-v -m 0 -Q 0x2001 -S 0x3000',
    '-m 0 -v -m 1',
    '-m 5 -q 0 -M 0x77 -s 1',
    '-M 0 -m 1',
  ].map((a) => c(a)),
  // -a / --all: after every other option
  ...[
    '-a',
    '-v -a',
    '--all',
    '--all=shm',
    '--all=msg',
    '--all=sem',
    '-ashm',
    '-v --all=sem',
    '-a shm',
    '--all shm',
    '--all=foo',
    '--all=',
    '-afoo',
    '-a -ashm',
    '--all=shm -a',
    '-v -a -m 0',
    '-v -a -x',
    '-a extra',
    '-vasem',
    '--al=msg -v',
  ].map((a) => c(a)),
  sh(
    '-v -a (IPC_PRIVATE objects)',
    'ipcrm -v -a',
    'mk shm:0:100:0600 msg:0:0600 sem:0:1:0600 shm:0:100:0600',
  ),
  sh('-v -a (nothing to remove)', 'ipcrm -v -a', ':'),
  // the legacy form
  ...[
    'shm',
    'shm 0',
    'shm 0 1',
    'msg 0 1 5',
    'sem 1 x 0',
    "shm ''",
    "shm ' '",
    'shm -1',
    'shm 99999999999',
    'shm 0 -v',
    'msg 00',
    'sem 0x1',
    'foo 0',
    '-v shm 0',
  ].map((a) => c(a)),
  // errors after actions
  ...['-m 0 -x -q 0', '-m 0 extra -q 0', '-- -m 0', 'extra', '-m 0 -h', '-m 0 -s'].map((a) => c(a)),
  sh('POSIXLY_CORRECT -m 0 extra -q 0', 'POSIXLY_CORRECT=1 ipcrm -m 0 extra -q 0'),
  // close_stdout: a failed write is an error (exit 1), after the removals
  sh('-v -m 0 -q 5 >/dev/full', 'ipcrm -v -m 0 -q 5 >/dev/full'),
  sh('shm 0 >/dev/full', 'ipcrm shm 0 >/dev/full'),
  sh('-a >/dev/full (nothing written)', 'ipcrm -a >/dev/full'),
  sh('-h >/dev/full', 'ipcrm -h >/dev/full'),
  // permissions: root's objects seen by nobody (0644/0666 readable, 0600/0640 not)
  ...['-m 0', '-m 1', '-M 0x1000', '-M 0x1001', '-Q 0x2001', '-S 0x3001', '-a', '-v -a'].map((a) =>
    sh(`as nobody: ${a}`, `nobody ipcrm ${a}`),
  ),
  sh('as nobody: shm 0 1', 'nobody ipcrm shm 0 1'),
  sh(
    "as nobody: -v -a (nobody's own objects go, root's stay)",
    'nobody ipcrm -v -a',
    `${OBJECTS}; nobody mk shm:0x4000:100:0600 msg:0x4001:0600 sem:0x4002:1:0600`,
  ),
];

// Attached segments need the C helper (a process holding the attachment).
const ATTACHED: Case[] = [
  sh('attached: -m 0 (marked, stays while attached)', 'ipcrm -m 0', `${OBJECTS}; mk attach:0:5`),
  sh('attached: -m 0 twice', 'ipcrm -m 0 -m 0', `${OBJECTS}; mk attach:0:5`),
  sh('attached: -m 0 then -M 0x1000', 'ipcrm -m 0 -M 0x1000', `${OBJECTS}; mk attach:0:5`),
  sh('attached: -v -a', 'ipcrm -v -a', `${OBJECTS}; mk attach:0:5 attach:1:5`),
];
if (hasCompiler()) CASES.push(...ATTACHED);

const note = hasCompiler() ? '' : ` (${ATTACHED.length} attached-segment cases skipped: no cc)`;
describeParity(
  'ipcrm',
  CASES,
  (results) => {
    test('every case starts with the same six objects', () => {
      expect(results()['util-linux'][0]!.stdout).toBe(
        [
          'shm id=0 key=4096 perms=600 size=4096 nattch=0 uid=0',
          'shm id=1 key=4097 perms=644 size=100 nattch=0 uid=0',
          'msg id=0 key=8192 perms=600 qnum=0 uid=0',
          'msg id=1 key=8193 perms=666 qnum=0 uid=0',
          'sem id=0 key=12288 perms=600 nsems=2 uid=0',
          'sem id=1 key=12289 perms=640 nsems=1 uid=0',
          '',
        ].join('\n'),
      );
    });

    test('the nobody cases did run as nobody', () => {
      const i = CASES.findIndex((x) => x.name === 'as nobody: -m 0');
      expect(results()['util-linux'][i]!.stderr).toBe('ipcrm: permission denied for id (0)\n');
    });
  },
  note,
);

describe('ipcrm: help and version', () => {
  test('-h is util-linux help, byte for byte', async () => {
    const [ours, theirs] = await Promise.all([
      run('bin/svipc', ['ipcrm', '-h']),
      run('bash', ['-c', 'exec -a ipcrm /usr/bin/ipcrm -h']),
    ]);
    expect(ours).toMatchObject({ code: theirs.code, stdout: theirs.stdout, stderr: theirs.stderr });
  });

  test('-V names svipc and the util-linux version it follows', async () => {
    const r = await run('bin/svipc', ['ipcrm', '--version']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^ipcrm from svipc \d+\.\d+\.\d+ \(util-linux 2\.38\.1 compatible\)\n$/);
  });

  test('ipcs, ipcmk, ipcrm and lsipc answer -V and --version with the same line, naming themselves', async () => {
    const tools = ['ipcs', 'ipcmk', 'ipcrm', 'lsipc'];
    const runs = await Promise.all(
      tools.flatMap((t) => ['-V', '--version'].map((flag) => run('bin/svipc', [t, flag]))),
    );
    expect(runs.map((r) => [r.code, r.stderr, r.stdout])).toEqual(
      tools.flatMap((t) => {
        const line = `${t} from svipc ${svipcVersion()} (util-linux 2.38.1 compatible)\n`;
        return [
          [0, '', line],
          [0, '', line],
        ];
      }),
    );
  });
});
