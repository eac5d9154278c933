import { existsSync, mkdtempSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { COMMANDS } from '../../src/cli/registry.js';
import {
  canUnshare,
  inNamespace,
  linksDir,
  ROOT,
  run,
  SVIPC,
  svipc,
  UNSHARE_SKIP_REASON,
} from '../helpers/run.js';

const links = linksDir();

/** Run CMD ARGS in a private IPC namespace when possible (an ipcrm bug must not reach the host). */
function isolated(cmd: string, args: readonly string[]) {
  if (!canUnshare()) return run(cmd, args);
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return inNamespace(`exec ${[cmd, ...args].map(q).join(' ')}`);
}

describe('links', () => {
  test('ipcs, ipcmk and ipcrm are the multi-call names, and linksDir() has each', () => {
    expect(COMMANDS.filter((c) => c.multiCall).map((c) => c.name)).toEqual([
      'ipcs',
      'ipcmk',
      'ipcrm',
      'lsipc',
    ]);
    for (const n of ['ipcs', 'ipcmk', 'ipcrm']) expect(readlinkSync(join(links, n))).toBe(SVIPC);
  });

  test.each([
    ['ipcmk', ['-x']],
    ['ipcmk', ['--bogus=1']],
    ['ipcmk', []],
    ['ipcrm', ['-x']],
    ['ipcrm', ['--s']],
    ['ipcrm', ['-m']],
    ['ipcrm', ['--all=foo']],
  ] as const)('%s %j: the same messages as `svipc %s`, naming the tool', async (tool, args) => {
    const [viaLink, viaSvipc] = await Promise.all([
      isolated(join(links, tool), args),
      isolated(SVIPC, [tool, ...args]),
    ]);
    expect(viaLink).toMatchObject({ code: 1, stdout: viaSvipc.stdout, stderr: viaSvipc.stderr });
    expect(viaLink.stderr).toMatch(new RegExp(`^${tool}: `));
    expect(viaLink.stderr).not.toMatch(/svipc/);
  });

  test('-h through a link is the tool help, as `svipc ipcrm -h`', async () => {
    const [viaLink, viaSvipc] = await Promise.all([
      run(join(links, 'ipcrm'), ['-h']),
      svipc(['ipcrm', '-h']),
    ]);
    expect(viaLink).toMatchObject({ code: 0, stdout: viaSvipc.stdout, stderr: '' });
    expect(viaLink.stdout).toMatch(/^\nUsage:\n ipcrm \[options\]\n ipcrm shm\|msg\|sem <id>\.\.\.\n/);
  });

  describe('a link with any other name is svipc itself', () => {
    const dir = mkdtempSync(join(tmpdir(), 'svipc-links-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    test.each(['svipc', 'my-svipc', 'ftok', 'msg'])('%s --help lists the commands', async (name) => {
      const link = join(dir, name);
      if (!existsSync(link)) symlinkSync(SVIPC, link);
      const r = await run(link, ['--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: svipc <command>/);
    });
    test('ftok through a link named ftok is not multi-call: svipc ftok PATH PROJ is', async () => {
      const link = join(dir, 'ftok');
      if (!existsSync(link)) symlinkSync(SVIPC, link);
      const r = await run(link, ['ftok', ROOT, '1']);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(/^key=-?\d+\n$/);
    });
  });
});

const NS = canUnshare();
describe.skipIf(!NS)(
  NS ? 'a script with svipc first on PATH' : `multi-call scripts: ${UNSHARE_SKIP_REASON}`,
  () => {
    // The same script, once with util-linux's tools and once with the links first on PATH.
    const SCRIPT = `
    ipcmk -Q; ipcmk -M 1K -S 2 -p 600
    ipcrm -v -q 0 -m 0; echo "rc=$?"
    ipcrm sem 0; echo "rc=$?"
    ipcrm -q 0; echo "rc=$?"
    ipcmk -Q -Q -S 1 >/dev/null
    ipcrm -v -a; echo "rc=$?"
    ipcmk -x; echo "rc=$?"
    ipcrm -a sem; echo "rc=$?"
    awk 'FNR>1' /proc/sysvipc/shm /proc/sysvipc/msg /proc/sysvipc/sem | wc -l
  `;
    test('cannot tell util-linux from svipc', async () => {
      const [theirs, ours] = await Promise.all([
        inNamespace(`PATH=/usr/bin:$PATH\n${SCRIPT}`),
        inNamespace(`PATH=$SVIPC_LINKS:$PATH\ntype -P ipcmk ipcrm >&2\n${SCRIPT}`),
      ]);
      expect(ours.stderr.startsWith(`${links}/ipcmk\n${links}/ipcrm\n`)).toBe(true);
      expect(ours.stdout).toBe(theirs.stdout);
      expect(ours.stderr.split('\n').slice(2).join('\n')).toBe(theirs.stderr);
      expect(theirs.stdout).toContain("removing message queue id `0'");
    });
  },
);
