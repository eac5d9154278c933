// src/cli/getopt.ts against glibc's getopt_long itself: a tiny C program (test/peers/getopt_long.c)
// parses the same argument vectors; the options returned, their arguments, the operands in
// their final order and the diagnostic on stderr must be identical.
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { GetoptError, getoptLong, type LongOption } from '../../src/cli/getopt.js';
import { buildPeer, CC_SKIP_REASON, hasCompiler } from '../helpers/run.js';

interface Config {
  name: string;
  optstring: string;
  longopts: LongOption[];
}

const kinds = { n: 'none', r: 'required', o: 'optional' } as const;
function config(name: string, optstring: string, spec: string): Config & { spec: string } {
  const longopts = spec.split(',').map((s) => {
    const [n, k, key] = s.split('/') as [string, keyof typeof kinds, string];
    return { name: n, arg: kinds[k], key };
  });
  return { name, optstring, longopts, spec };
}

// util-linux 2.38.1's own tables, plus one built to exercise abbreviation rules.
const IPCRM = config(
  'ipcrm',
  'q:m:s:Q:M:S:a::vhV',
  'shmem-id/r/m,shmem-key/r/M,queue-id/r/q,queue-key/r/Q,semaphore-id/r/s,semaphore-key/r/S,all/o/a,verbose/n/v,version/n/V,help/n/h',
);
const IPCMK = config(
  'ipcmk',
  'hM:QS:p:Vh',
  'shmem/r/M,semaphore/r/S,queue/n/Q,mode/r/p,version/n/V,help/n/h',
);
// color and colour are one option under two names (not ambiguous with each other);
// col matches both them and column; verb is an exact match and a prefix of verbose.
const SYNTH = config(
  'synthetic',
  'c::C:vx',
  'color/o/c,colour/o/c,column/r/C,colon/n/k,verb/n/v,verbose/n/V,extra/n/x,extract/n/x',
);

/** Each argument vector, parsed with CONFIG. */
const parsedWith = (c: Config & { spec: string }, vectors: string[][]) =>
  vectors.map((args) => [c, args] as const);

const VECTORS = [
  ...parsedWith(IPCRM, [
    [],
    ['-m', '1'],
    ['-m1'],
    ['-vm1'],
    ['-vm', '1'],
    ['-v', '-m'],
    ['-m'],
    ['-x'],
    ['-vx', '-m', '1'],
    ['-m', '1', '-x'],
    ['-a'],
    ['-a', 'shm'],
    ['-ashm'],
    ['-va'],
    ['-vashm', 'x'],
    ['--all'],
    ['--all=shm'],
    ['--all', 'shm'],
    ['--all='],
    ['--al=msg'],
    ['--a'],
    ['--s'],
    ['--s=1'],
    ['--sh', '1'],
    ['--shmem-i', '1'],
    ['--shmem-id'],
    ['--shmem-id='],
    ['--shmem-id=7', 'x'],
    ['--shmem-id', '--'],
    ['--semaphore-k', '0x10'],
    ['--v'],
    ['--ve'],
    ['--verb'],
    ['--vers'],
    ['--verbose=1'],
    ['--version='],
    ['--help', 'x'],
    ['--foo'],
    ['--foo=bar'],
    ['--=x'],
    ['--'],
    ['--', '-m', '1'],
    ['-m', '1', '--', '-q', '2'],
    ['a', '-m', '1', 'b', '-q2', 'c'],
    ['-', '-m', '1'],
    ['shm', '1', '2'],
    ['-m', '-q'],
    ['-Q', '0x1234', '-M0x5', '-S', '077'],
    ['-:'],
    ['-vhV'],
    ['x', '--', 'y'],
    ['--all=shm', '--all', '-a', 'msg', '-amsg'],
  ]),
  ...parsedWith(IPCMK, [
    ['-M', '1K', '-Q', '-S', '2'],
    ['-QM1K'],
    ['-QM'],
    ['-QS'],
    ['-p'],
    ['-p0600', '-Q'],
    ['--s', '1'],
    ['--sh', '1'],
    ['--se=3'],
    ['--q'],
    ['--queue=1'],
    ['--m', '644', '--q'],
    ['--mode'],
    ['--v'],
    ['--h'],
    ['-h', '-x'],
    ['-Q', 'extra'],
    ['-Q', '-k', '5'],
    ['--shmem=1', '--semaphore', '2'],
  ]),
  // synthetic abbreviation rules
  ...parsedWith(SYNTH, [
    ['--col'],
    ['--colo'],
    ['--colo=red'],
    ['--colou=red'],
    ['--colum', 'x'],
    ['--co=5'],
    ['--verb'],
    ['--verbo'],
    ['--ver'],
    ['--ext'],
    ['--c'],
    ['-c', 'x'],
    ['-cx'],
    ['-xc'],
    ['-xC'],
    ['-xCv'],
    ['-vv', '-x', '--', '-v'],
  ]),
];

/** What the C program prints, produced by getopt.ts. */
function transcript(c: Config, args: string[]): { stdout: string; stderr: string } {
  const operands: string[] = [];
  let stdout = '';
  try {
    for (const o of getoptLong('prog', args, c.optstring, c.longopts, operands)) {
      stdout += o.value === undefined ? `opt ${o.key}\n` : `opt ${o.key}=${o.value}\n`;
    }
  } catch (e) {
    if (!(e instanceof GetoptError)) throw e;
    return { stdout: `${stdout}error\n`, stderr: `${e.diagnostic}\n` };
  }
  for (const o of operands) stdout += `operand ${o}\n`;
  return { stdout, stderr: '' };
}

const TITLE = hasCompiler() ? 'getopt.ts matches glibc getopt_long' : `getopt parity: ${CC_SKIP_REASON}`;

describe.skipIf(!hasCompiler())(TITLE, () => {
  const bin = hasCompiler() ? buildPeer('getopt_long') : '';
  const glibc = (c: { optstring: string; spec: string }, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(bin, [c.optstring, c.spec, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, LC_ALL: 'C', ...env },
    });
    return { stdout: r.stdout, stderr: r.stderr };
  };

  test.each(VECTORS.map(([c, args]) => [c.name, JSON.stringify(args), c, args] as const))(
    '%s %s',
    (_n, _a, c, args) => {
      expect(transcript(c, args)).toEqual(glibc(c, args));
    },
  );

  // POSIXLY_CORRECT in the environment makes glibc stop at the first operand; the drop-ins
  // ask for the same with a leading '+' in optstring.
  test.each([
    [IPCRM, ['extra', '-m', '1']],
    [IPCRM, ['-m', '1', 'extra', '-q', '2']],
    [IPCMK, ['-Q', 'x', '-x']],
  ] as const)('POSIXLY_CORRECT %s %j', (c, args) => {
    const plus = { ...c, optstring: `+${c.optstring}` };
    expect(transcript(plus, [...args])).toEqual(glibc(c, [...args], { POSIXLY_CORRECT: '1' }));
  });

  test('parity count', () => {
    console.log(`getopt parity: ${VECTORS.length + 3} argument vectors compared with glibc getopt_long`);
  });
});
