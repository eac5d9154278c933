// svipc ftok PATH PROJ against the lecture's C program (test/peers/ftok.c, glibc's ftok):
// the same key=<decimal> line for files, directories, links and every kind of PROJ; --hex
// prints the same key as 0x%08x; a missing path or a bad PROJ is one line on stderr, exit 1.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { asNobody, buildPeer, CC_SKIP_REASON, hasCompiler, ROOT, run, SVIPC, svipc } from '../helpers/run.js';

const dir = mkdtempSync(join(tmpdir(), 'svipc-ftok-'));
const file = join(dir, 'keyfile');
writeFileSync(file, 'x');
symlinkSync(file, join(dir, 'keyfile-link'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PATHS = ['/', '/tmp', '/etc/passwd', ROOT, file, join(dir, 'keyfile-link'), dir, 'package.json'];
const PROJS = ['1', '0', '65', '255', '256', '257', '-1', '2147483647', '-2147483648'];

const CC = hasCompiler();
describe.skipIf(!CC)(CC ? 'ftok matches the C program' : `ftok vs C: ${CC_SKIP_REASON}`, () => {
  const peer = CC ? buildPeer('ftok') : '';
  const cases = [
    ...PATHS.map((p) => [p, '1'] as const),
    ...PROJS.map((j) => [file, j] as const),
    ['/etc/passwd', '120'] as const,
  ];
  test.each(cases)('ftok %s %s', async (path, proj) => {
    // --hex on the PROJ cases (the sign bit is where hex and decimal part ways).
    const withHex = path === file;
    const [ours, theirs, hex] = await Promise.all([
      svipc(['ftok', path, proj]),
      run(peer, [path, proj]),
      withHex ? svipc(['ftok', '--hex', path, proj]) : undefined,
    ]);
    expect(theirs.code).toBe(0);
    expect(ours).toMatchObject({ code: 0, stdout: theirs.stdout, stderr: '' });
    const key = Number(/^key=(-?\d+)\n$/.exec(theirs.stdout)![1]);
    if (hex)
      expect(hex).toMatchObject({
        code: 0,
        stderr: '',
        stdout: `key=0x${(key >>> 0).toString(16).padStart(8, '0')}\n`,
      });
  });

  test('only the low 8 bits of PROJ count', async () => {
    const [a, b] = await Promise.all([svipc(['ftok', file, '1']), svipc(['ftok', file, '257'])]);
    expect(a.stdout).toBe(b.stdout);
  });
});

describe('ftok failures: one line, exit 1', () => {
  test.each([
    ['/nonexistent/svipc-ftok', '1', '/nonexistent/svipc-ftok: No such file or directory'],
    ['', '1', ': No such file or directory'],
    [file, 'abc', "invalid project number: 'abc' (an integer expected)"],
    [file, '1.5', "invalid project number: '1.5' (an integer expected)"],
    [file, '', "invalid project number: '' (an integer expected)"],
    [file, '0x10', "invalid project number: '0x10' (an integer expected)"],
    [file, '99999999999', "invalid project number: '99999999999' (out of range for a 32-bit int)"],
  ])('ftok %j %j', async (path, proj, message) => {
    const r = await svipc(['ftok', path, proj]);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: `svipc ftok: ${message}\n` });
  });

  test('a file under a directory we may not search: EACCES, as nobody', async () => {
    const r = await asNobody(SVIPC, ['ftok', '/root/.svipc-ftok-probe', '1']);
    if (r.code === 127 || /setpriv: /.test(r.stderr)) return; // not root: nothing to show
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(
      /^svipc ftok: \/root\/\.svipc-ftok-probe: (Permission denied|No such file or directory)\n$/,
    );
  });

  test('usage errors: exit 2', async () => {
    const r = await svipc(['ftok', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});
