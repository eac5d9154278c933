// svipc completion bash|zsh|fish: the scripts load in their shells and complete commands,
// subcommands, options and option values. bash runs everywhere; zsh and fish are checked where
// they are installed (skipped, visibly, elsewhere).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { COMMANDS } from '../../src/cli/registry.js';
import { run, svipc } from '../helpers/run.js';

const has = (shell: string) => spawnSync(shell, ['-c', 'exit 0'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'svipc-completion-'));
const scripts: Record<string, string> = {};

beforeAll(async () => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = await svipc(['completion', shell]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    scripts[shell] = join(dir, `svipc.${shell}`);
    writeFileSync(scripts[shell]!, r.stdout);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('svipc completion', () => {
  test('an unknown shell is a usage error', async () => {
    const r = await svipc(['completion', 'tcsh']);
    expect(r.stderr).toBe("svipc completion: unknown shell: 'tcsh' (bash, zsh or fish)\n");
    expect(r.code).toBe(2);
  });

  test('bash: commands, subcommands, options (from commander and from util-linux --help), values', async () => {
    const cases: [string[], string][] = [
      [['svipc', 'ms'], 'msg'],
      [
        ['svipc', 's'],
        COMMANDS.map((c) => c.name)
          .filter((n) => n.startsWith('s'))
          .join(' '),
      ],
      [['svipc', 'msg', ''], 'create send recv peek stat set rm --help'],
      [['svipc', 'sem', 'op', '--n'], '--nowait'],
      [['svipc', 'msg', 'recv', '--t'], '--type --timeout'],
      [
        ['svipc', 'shm', 'read', '-'],
        '-k --key --path --proj -o --offset -l --length --json --hex -h --help',
      ],
      [['svipc', 'ipcs', '--sh'], '--shmems'],
      [['svipc', 'ipcmk', '--s'], '--shmem --semaphore'],
      [['svipc', 'run', '--'], '--isolate --cleanup --json --report --help'],
      [['svipc', 'completion', ''], 'bash zsh fish'],
      [['svipc', 'msg', 'send', '--key', ''], ''],
    ];
    const script = cases
      .map(
        ([words]) =>
          `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _svipc; echo "\${COMPREPLY[*]}"`,
      )
      .join('\n');
    const r = await run('bash', ['-c', `source '${scripts.bash}'\n${script}`]);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').slice(0, -1)).toEqual(cases.map(([, want]) => want));
  });

  test('ids come from the live objects: a queue this test made is offered as TARGET (bash, fish, zsh)', async () => {
    const made = await svipc(['msg', 'create']);
    const id = made.stdout.trim();
    try {
      const words = (w: string[]) =>
        `COMP_WORDS=(${w.map((x) => `'${x}'`).join(' ')}); COMP_CWORD=${w.length - 1}; COMPREPLY=(); _svipc; echo "\${COMPREPLY[*]}"`;
      const r = await run('bash', [
        '-c',
        `source '${scripts.bash}'\n${words(['svipc', 'msg', 'stat', ''])}\n${words(['svipc', 'msg', 'rm', id])}`,
      ]);
      expect(r.stderr).toBe('');
      const [stat, rm] = r.stdout.split('\n');
      expect(stat!.split(' ')).toContain(id);
      expect(rm!.split(' ')).toContain(id);
      if (has('fish')) {
        const f = await run('fish', ['-c', `source '${scripts.fish}'; complete -C 'svipc msg peek '`]);
        expect(f.stderr).toBe('');
        expect(f.stdout.split('\n')).toContain(id);
      }
      if (has('zsh')) {
        const z = await run('zsh', ['-c', `zsh -n '${scripts.zsh}' && echo parsed`]);
        expect(z.stdout).toBe('parsed\n');
      }
    } finally {
      await svipc(['msg', 'rm', id]);
    }
  });

  test('bash: every registered command is offered', async () => {
    const r = await run('bash', [
      '-c',
      `source '${scripts.bash}'; COMP_WORDS=(svipc ''); COMP_CWORD=1; _svipc; echo "\${COMPREPLY[*]}"`,
    ]);
    expect(r.stdout.trim().split(' ')).toEqual([...COMMANDS.map((c) => c.name), '--help', '--version']);
  });

  test.skipIf(!has('fish'))('fish: commands, subcommands, options, values (fish is installed)', async () => {
    const r = await run('fish', [
      '-c',
      `source '${scripts.fish}'
complete -C 'svipc ms'; echo ==
complete -C 'svipc sem '; echo ==
complete -C 'svipc sem op --ti'; echo ==
complete -C 'svipc completion '; echo ==
complete -C 'svipc ipcrm --all'`,
    ]);
    expect(r.stderr).toBe('');
    const [ms, sem, op, shells, all] = r.stdout.split('==\n');
    expect(ms).toBe('msg\tmessage queues from the shell: send, recv, peek, stat, set\n');
    expect(sem!.split('\n').map((l) => l.split('\t')[0])).toEqual([
      'create',
      'get',
      'op',
      'rm',
      'set',
      'stat',
      '',
    ]);
    expect(op).toBe('--timeout\tgive up after this long (semtimedop; exit 124)\n');
    expect(shells).toBe('bash\nfish\nzsh\n');
    expect(all).toMatch(/^--all\t/);
  });
  test.skipIf(has('fish'))('fish: not installed here, its script is not run', () => {});

  test.skipIf(!has('zsh'))('zsh: the script parses and loads under compinit (zsh is installed)', async () => {
    const r = await run('zsh', [
      '-c',
      `zsh -n '${scripts.zsh}' || exit 9
autoload -U compinit; compinit -u -d '${dir}/zcompdump'
source '${scripts.zsh}'
whence -w _svipc; print -r -- \${_comps[svipc]}`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('_svipc: function\n_svipc\n');
  });
  test.skipIf(has('zsh'))('zsh: not installed here, its script is not run', () => {});
});
