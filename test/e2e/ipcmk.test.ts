// svipc ipcmk against util-linux 2.38.1's /usr/bin/ipcmk: every case runs in a fresh private
// IPC namespace three ways (util-linux, `svipc ipcmk`, an `ipcmk` link first on PATH) and
// stdout, stderr, exit code and the objects left in /proc/sysvipc must be identical.
// Then svipc's own additions (-k/--key, --json), and util-linux's size syntax checked on
// many more inputs by reading back the sizes /usr/bin/ipcmk gave its segments.
import { describe, expect, test } from 'vitest';
import { ConversionError, parseSize } from '../../src/cli/size.js';
import { canUnshare, inNamespace, run, UNSHARE_SKIP_REASON } from '../helpers/run.js';
import { type Case, describeParity } from './multicall-harness.js';

const c = (name: string, cmd = `ipcmk ${name}`): Case => ({ name, cmd });

const CASES: Case[] = [
  // usage and getopt errors
  c('(no arguments)', 'ipcmk'),
  c('-x'),
  c('--bogus'),
  c('-M'),
  c('-S'),
  c('-p'),
  c('--shmem'),
  c('-p 600'),
  c('-Q -x'),
  c('-Q -M'),
  c('--s 1'),
  c('--=x'),
  c('--help=x'),
  c('--queue=1'),
  c('-Q extra'),
  c('-Q -- -S 1'),
  c('POSIXLY_CORRECT extra -Q', 'POSIXLY_CORRECT=1 ipcmk extra -Q'),
  c('POSIXLY_CORRECT -Q extra -S 2', 'POSIXLY_CORRECT=1 ipcmk -Q extra -S 2'),
  // sizes (the parser itself is compared on hundreds more inputs below, without svipc runs)
  ...[
    '1',
    '1K',
    '1.5K',
    '1KB',
    '1kib',
    '1.5MB',
    '0x1000',
    "' 1K'",
    '1.999999K',
    '0',
    '1.5',
    '1.0',
    '1iB',
    "'1K '",
    "''",
    '-1',
    '16E',
    '1ZB',
    '18446744073709551615',
    '8E',
    '1T',
    '1.99999999999999999999999K',
  ].map((s) => c(`-M ${s}`)),
  // semaphores
  ...[
    '1',
    '3',
    '0',
    '-1',
    'abc',
    "''",
    '0x5',
    "' 5'",
    '+5',
    '99999999999',
    '2147483648',
    '5x',
    '1000000',
  ].map((s) => c(`-S ${s}`)),
  // modes
  ...[
    '600 -Q',
    '0600 -M 4096',
    '640 -S 2',
    '0 -Q',
    '999 -Q',
    '8 -Q',
    'abc -Q',
    '0x1 -Q',
    '7777777777777777777777777 -Q',
    '-1 -Q',
    "' 644' -Q",
    '+644 -Q',
    '1644 -Q',
    '4644 -Q',
    '10644 -M 4096',
  ].map((s) => c(`-p ${s}`)),
  // combinations, in util-linux's order whatever the order given
  c('-M 1K -Q -S 3'),
  c('-S 2 -Q -M 100'),
  c('-QQ'),
  c('-M 1 -M 2'),
  c('-Q -p 600 -S 2'),
  c('-p 600 -Q -p 640'),
  c('-M 0 -Q'),
  c('-Q -S 0'),
  c('-M 1K -Q -S -1'),
  c('-M abc -x'),
  c('-x -M abc'),
  c('-QM4096'),
  c('--shmem=4096'),
  c('--sh 4096 --q'),
  c('--mode 600 --queue'),
  c('--semaphore=2 --shmem 1M --queue --mode=0640'),
  c('several runs', 'ipcmk -Q; ipcmk -M 100; ipcmk -S 1 -Q'),
  c('as nobody -Q -S 1 -M 4096', 'nobody ipcmk -Q -S 1 -M 4096 -p 600'),
  // close_stdout: a failed write of the ids is an error (exit 1); what was made stays
  c('-M 1K -Q >/dev/full', 'ipcmk -M 1K -Q >/dev/full'),
  c('-h >/dev/full', 'ipcmk -h >/dev/full'),
];

const RUN = canUnshare();

describeParity('ipcmk', CASES, (results) => {
  test('the cases ran (util-linux made objects)', () => {
    const i = CASES.findIndex((x) => x.name === '-M 1K -Q -S 3');
    expect(results()['util-linux'][i]!.stdout).toBe(
      'Shared memory id: 0\nMessage queue id: 0\nSemaphore id: 0\n',
    );
    expect(results()['util-linux'][i]!.state).toMatch(/^shm id=0 key=-?\d+ perms=644 size=1024 /);
  });
});

describe.skipIf(!RUN)(RUN ? 'ipcmk: help and version' : `ipcmk help: ${UNSHARE_SKIP_REASON}`, () => {
  test('-h is util-linux help plus the -k and --json lines', async () => {
    const [ours, theirs] = await Promise.all([
      run('bin/svipc', ['ipcmk', '-h']),
      run('bash', ['-c', 'exec -a ipcmk /usr/bin/ipcmk -h']),
    ]);
    expect(ours.code).toBe(0);
    const extra = ours.stdout.split('\n').filter((l) => !theirs.stdout.split('\n').includes(l));
    expect(extra).toEqual([
      ' -k, --key <key>          create with this key (decimal, 0x hex, 0 octal), not a',
      '                            random one; fails if an object of that kind has it',
      '     --json               print each created resource as a JSON object, one a line',
    ]);
    expect(
      ours.stdout
        .split('\n')
        .filter((l) => !extra.includes(l))
        .join('\n'),
    ).toBe(theirs.stdout);
  });

  test('-V names svipc and the util-linux version it follows', async () => {
    const r = await run('bin/svipc', ['ipcmk', '-V']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^ipcmk from svipc \d+\.\d+\.\d+ \(util-linux 2\.38\.1 compatible\)\n$/);
  });
});

describe.skipIf(!RUN)(RUN ? 'ipcmk: -k/--key and --json' : `ipcmk -k: ${UNSHARE_SKIP_REASON}`, () => {
  test('creates with the chosen key, one JSON object per resource', async () => {
    const r = await inNamespace(
      `"$SVIPC" ipcmk -k 0x1234 -M 1.5K -Q -S 2 -p 640 --json; echo "rc=$?"
       awk 'FNR>1 {print $1, $2, $3, $4}' /proc/sysvipc/shm /proc/sysvipc/msg /proc/sysvipc/sem`,
    );
    const lines = r.stdout.trim().split('\n');
    const objs = lines.slice(0, 3).map((l) => JSON.parse(l));
    const common = {
      schemaVersion: 1,
      id: 0,
      key: 0x1234,
      keyHex: '0x00001234',
      mode: 0o640,
      modeOctal: '0640',
    };
    expect(objs).toEqual([
      { ...common, kind: 'shm', size: 1536 },
      { ...common, kind: 'msg' },
      { ...common, kind: 'sem', nsems: 2 },
    ]);
    expect(lines.slice(3)).toEqual(['rc=0', '4660 0 640 1536', '4660 0 640 0', '4660 0 640 2']);
    expect(r.stderr).toBe('');
  });

  test('a taken key fails clearly, exit 1, after what was made', async () => {
    const r = await inNamespace(
      `"$SVIPC" ipcmk --key 4660 -Q >/dev/null
       "$SVIPC" ipcmk -k 0x1234 -M 4096 -Q; echo "rc=$?"`,
    );
    expect(r.stdout).toBe('Shared memory id: 0\nrc=1\n');
    expect(r.stderr).toBe('ipcmk: create message queue failed: File exists (key 0x00001234 is taken)\n');
  });

  test('keys: decimal, 0x hex, 0 octal, negative; 0 is IPC_PRIVATE; junk is refused', async () => {
    const r = await inNamespace(
      `for k in 10 0x10 010 -1 0xffffffff 0 0; do "$SVIPC" ipcmk -Q -k "$k" --json; done
       for k in abc 0x1g 4294967296 ''; do "$SVIPC" ipcmk -Q -k "$k"; echo "rc=$?"; done`,
    );
    const keys = r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { key: number; keyHex: string });
    expect(keys.map((k) => k.key)).toEqual([10, 16, 8, -1, 0, 0]);
    expect(keys.map((k) => k.keyHex)).toEqual([
      '0x0000000a',
      '0x00000010',
      '0x00000008',
      '0xffffffff',
      '0x00000000',
      '0x00000000',
    ]);
    expect(r.stderr).toBe(
      'ipcmk: create message queue failed: File exists (key 0xffffffff is taken)\n' +
        ['abc', '0x1g', '4294967296', ''].map((k) => `ipcmk: failed to parse key: '${k}'\n`).join(''),
    );
    expect(r.stdout.match(/rc=1/g)).toHaveLength(4);
  });

  test('--json without -k: a random key, and the text output is unchanged otherwise', async () => {
    const r = await inNamespace(`"$SVIPC" ipcmk -S 3 --json; "$SVIPC" ipcmk -S 1`);
    const [json, text] = r.stdout.trim().split('\n');
    const o = JSON.parse(json!) as Record<string, unknown>;
    expect(o).toMatchObject({
      schemaVersion: 1,
      kind: 'sem',
      id: 0,
      nsems: 3,
      mode: 0o644,
      modeOctal: '0644',
    });
    expect(o.key).not.toBe(0);
    expect(o.keyHex).toBe(`0x${((o.key as number) >>> 0).toString(16).padStart(8, '0')}`);
    expect(text).toBe('Semaphore id: 1');
  });
});

// util-linux's strtosize on many inputs: /usr/bin/ipcmk -M makes the segment (or fails), and
// the size the kernel recorded is read back; parseSize must give the same size or failure.
const SIZE_INPUTS: string[] = (() => {
  const out = new Set<string>();
  for (const n of [
    '0',
    '1',
    '2',
    '3',
    '0.5',
    '1.5',
    '1.25',
    '0.001',
    '1.0001',
    '2.05',
    '1.999999',
    '0.1',
    '00.5',
    '1.00',
  ]) {
    for (const unit of ['K', 'k', 'M', 'm']) {
      for (const tail of ['', 'iB', 'ib', 'B', 'b', 'IB', 'i', 'Bi']) out.add(`${n}${unit}${tail}`);
    }
    out.add(n);
  }
  for (const s of [
    '0x10',
    '0X10',
    '0x1K',
    '010',
    '010K',
    '0x',
    '08',
    '09K',
    ' 7',
    '\t7',
    '+7',
    '+0x7',
    '- 7',
    '7-',
  ])
    out.add(s);
  for (const s of [
    '1.2.3K',
    '1..5K',
    '1.5.K',
    '1.K',
    '1.KiB',
    '1.KB',
    '.5K',
    'K',
    'KiB',
    '1 K',
    '1K ',
    '1KK',
  ])
    out.add(s);
  for (const s of [
    '1G',
    '2.5G',
    '1GiB',
    '1GB',
    '1T',
    '16E',
    '15.5E',
    '1Z',
    '0.5Z',
    '1Y',
    '0.5Y',
    '1ZB',
    '1EB',
  ])
    out.add(s);
  for (const s of [
    '4096.999999999999999999K',
    '1.99999999999999999999999K',
    '3.14159265358979K',
    '1.000000000000000000001K',
  ])
    out.add(s);
  return [...out];
})();

describe.skipIf(!RUN)(
  RUN ? 'size parsing matches util-linux strtosize' : `size parsing: ${UNSHARE_SKIP_REASON}`,
  () => {
    test(`${SIZE_INPUTS.length} inputs read back through /usr/bin/ipcmk -M`, async () => {
      const script = SIZE_INPUTS.map(
        (s, i) =>
          `unshare --ipc bash -c 'r=$(/usr/bin/ipcmk -M "$1" 2>&1); echo "@${i} rc=$? $(awk "NR==2 {print \\$4}" /proc/sysvipc/shm) $r"' x ${shellQuote(s)}`,
      ).join('\n');
      const r = await inNamespace(script, { timeoutMs: 60_000 });
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(SIZE_INPUTS.length);
      const mismatches: string[] = [];
      SIZE_INPUTS.forEach((s, i) => {
        const m = /^@(\d+) rc=(\d+) (\d*) (.*)$/.exec(lines[i]!);
        if (!m || Number(m[1]) !== i) throw new Error(`bad line ${lines[i]}`);
        const [, , rc, size, message] = m;
        let ours: string;
        try {
          ours = `size ${parseSize(s)}`;
        } catch (e) {
          if (!(e instanceof ConversionError)) throw e;
          ours = `error ${e.code}`;
        }
        let theirs: string;
        if (rc === '0') theirs = `size ${size}`;
        else if (message!.endsWith(': Invalid argument') && message!.includes('failed to parse size'))
          theirs = 'error EINVAL';
        else if (message!.endsWith(': Numerical result out of range')) theirs = 'error ERANGE';
        else if (message!.includes('create share memory failed'))
          theirs = ours.startsWith('size') ? ours : `shmget: ${message}`;
        else theirs = `? ${message}`;
        if (ours !== theirs) mismatches.push(`${JSON.stringify(s)}: svipc ${ours}, util-linux ${theirs}`);
      });
      console.log(
        `size parser: ${SIZE_INPUTS.length} inputs compared with util-linux's strtosize (via /usr/bin/ipcmk -M)`,
      );
      expect(mismatches).toEqual([]);
    }, 90_000);
  },
);

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
