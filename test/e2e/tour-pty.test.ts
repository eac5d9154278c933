// svipc tour --step on a real terminal: a detached tmux session (its own server socket) runs
// the tour in a private IPC namespace; the test reads the screen (capture-pane) and presses
// keys (send-keys): Enter runs the step, q stops (exit 0), Ctrl-C stops (exit 130); nothing is
// left either way.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canUnshare, reportSkipped, run, SVIPC } from '../helpers/run.js';

const hasTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
const SOCKET = `svipc-tour-test-${process.pid}`;
const COUNT = `awk 'FNR>1' /proc/sysvipc/shm /proc/sysvipc/sem /proc/sysvipc/msg | wc -l`;

const tmux = (...args: string[]) => run('tmux', ['-L', SOCKET, ...args], { timeoutMs: 10_000 });

/** Poll the pane until `re` matches its text (30 s at most, the machine is loaded). */
async function screenUntil(session: string, re: RegExp): Promise<string> {
  let text = '';
  for (let i = 0; i < 300; i++) {
    text = (await tmux('capture-pane', '-p', '-J', '-t', session, '-S', '-3000')).stdout;
    if (re.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the screen never showed ${re}:\n${text}`);
}

/** The scratch folders of the sessions started (removed after all). */
const dirs: string[] = [];

/** Start `svipc tour ARGS` in a new detached session; returns the file its exit status goes to. */
async function startTour(session: string, args: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'svipc-tour-pty-'));
  dirs.push(dir);
  const result = join(dir, 'result');
  // The tour in a private IPC namespace; then its exit status and the objects left there.
  const inner = `NO_COLOR=1 "${SVIPC}" tour ${args}; echo "rc=$? left=$(${COUNT})" > "${result}"; sleep 60`;
  const r = await tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '150',
    '-y',
    '50',
    'unshare',
    '--ipc',
    'bash',
    '-c',
    inner,
  );
  expect(r.code, r.stderr).toBe(0);
  return result;
}

async function resultOf(file: string): Promise<string> {
  for (let i = 0; i < 300; i++) {
    try {
      const text = readFileSync(file, 'utf8');
      if (text.endsWith('\n')) return text.trim();
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the tour did not finish');
}

/** `svipc tour ARGS` in a new session: wait for its screen to show something, press a key, its result. */
async function tourIn(session: string, args: string) {
  const result = await startTour(session, args);
  return {
    until: (re: RegExp) => screenUntil(session, re),
    press: (key: string) => tmux('send-keys', '-t', session, key),
    result: () => resultOf(result),
  };
}

describe.skipIf(!hasTmux || !canUnshare())('svipc tour --step in a terminal (tmux)', () => {
  afterAll(async () => {
    const socket = (await tmux('list-sessions', '-F', '#{socket_path}')).stdout.split('\n')[0] ?? '';
    await tmux('kill-server');
    if (socket.includes(SOCKET)) rmSync(socket, { force: true });
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('Enter runs the step; q at the next pause stops: cleaned up, exit 0', async () => {
    const tour = await tourIn('q', '--step');
    let screen = await tour.until(/\[1\/8\] [\s\S]*Enter: run this step, q: stop the tour/);
    // Nothing of step 1 ran before Enter.
    expect(screen).not.toContain('$ svipc ipcmk');
    await tour.press('Enter');
    screen = await tour.until(/\[2\/8\] [\s\S]*Enter: run this step/);
    expect(screen).toMatch(/ok {3}ipcmk created a queue/);
    await tour.press('q');
    expect(await tour.result()).toBe('rc=0 left=0');
    screen = await tour.until(/Stopped \(q\)/);
    expect(screen).not.toContain('$ svipc ftok');
    expect(screen).toMatch(/Stopped \(q\): \d+ checks passed, 0 failed; every object the tour made is gone/);
  }, 90_000);

  it('Ctrl-C at a pause: stops as SIGINT does, cleaned up, exit 130', async () => {
    const tour = await tourIn('int', '--step');
    await tour.until(/\[1\/8\] [\s\S]*Enter: run this step/);
    await tour.press('Enter');
    await tour.until(/\[2\/8\] [\s\S]*Enter: run this step/);
    await tour.press('C-c');
    expect(await tour.result()).toBe('rc=130 left=0');
    const screen = await tour.until(/interrupted/);
    expect(screen).toContain('svipc tour: interrupted; the tour removed what it had made');
  }, 90_000);

  it('--step --only 3: one pause, that step, exit 0', async () => {
    const tour = await tourIn('only', '--step --only 3 --trace');
    await tour.until(/\[3\/8\] [\s\S]*Enter: run this step/);
    await tour.press('Enter');
    expect(await tour.result()).toBe('rc=0 left=0');
    const screen = await tour.until(/checks passed/);
    expect(screen.match(/^\[\d\/8\] /gm)).toEqual(['[3/8] ']);
    expect(screen).toMatch(/\n\d+ checks passed, 0 failed/);
  }, 90_000);
});

reportSkipped(
  hasTmux && canUnshare(),
  'svipc tour --step in a terminal',
  hasTmux
    ? 'unshare --ipc is not permitted here (needs root)'
    : 'tmux is not installed (.ci/run installs it)',
);
