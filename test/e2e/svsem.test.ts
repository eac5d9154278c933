// svipc svsem-demo against the lecture's svsem_demo.c (test/peers/svsem_demo.c), both ways,
// plus what the C program lacks: signals, --timeout, --nowait, --undo, --trace.
// Every set here is IPC_PRIVATE, made by this file's own children, removed by id after.
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { SemaphoreSet } from '../../src/ipc/index.js';
import { removedAfterEach } from '../helpers/made.js';
import { buildPeer, CC_SKIP_REASON, hasCompiler, type RunResult, run, SVIPC, svipc } from '../helpers/run.js';

const made = removedAfterEach<SemaphoreSet>();

function idOf(r: RunResult): number {
  const m = /^semaphore ID = (\d+)\n$/.exec(r.stdout);
  expect(m, `stdout: ${r.stdout} stderr: ${r.stderr}`).not.toBeNull();
  const id = Number(m![1]);
  made.push(new SemaphoreSet(id));
  return id;
}

/** The lecture's two lines with the pid replaced, to compare svipc with C. */
const norm = (s: string) => s.replace(/^\d+:/gm, 'PID:');
const OP_OUT = 'PID: about to semop\nPID: semop completed\n';

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Spawn svipc ARGS, resolve when it exits; `child` to signal it. */
function start(args: string[]) {
  const child = spawn(SVIPC, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string; at: number }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr, at: performance.now() })),
  );
  return { child, done };
}

describe('svsem-demo', () => {
  it('INIT: a private set of one semaphore, 0600, set to INIT', async () => {
    const r = await svipc(['svsem-demo', '7']);
    expect(r.code).toBe(0);
    const set = new SemaphoreSet(idOf(r));
    expect(set.getValue(0)).toBe(7);
    const ds = set.stat();
    expect(ds.nsems).toBe(1);
    expect(ds.perm.key).toBe(0);
    expect(ds.perm.mode & 0o777).toBe(0o600);
  });

  it("SEMID OP: the lecture's two lines, the pid its own", async () => {
    const id = idOf(await svipc(['svsem-demo', '0']));
    const r = await svipc(['svsem-demo', String(id), '+2']); // TLPI writes additions with a sign
    expect(r.code).toBe(0);
    expect(norm(r.stdout)).toBe(OP_OUT);
    expect(r.stderr).toBe('');
    expect(new SemaphoreSet(id).getValue(0)).toBe(2);
  });

  it('usage and bad values: exit 2; unknown id: exit 1 with a clear message', async () => {
    expect((await svipc(['svsem-demo'])).code).toBe(2);
    expect((await svipc(['svsem-demo', '1', '2', '3'])).code).toBe(2);
    expect((await svipc(['svsem-demo', 'x'])).code).toBe(2);
    expect((await svipc(['svsem-demo', '40000'])).code).toBe(2);
    expect((await svipc(['svsem-demo', '--nowait', '1'])).code).toBe(2);
    const r = await svipc(['svsem-demo', '2147483647', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^svipc svsem-demo: semop: no semaphore set with id 2147483647/m);
  });

  it('--nowait: exit 75 when it would wait, value untouched', async () => {
    const id = idOf(await svipc(['svsem-demo', '1']));
    const r = await svipc(['svsem-demo', '--nowait', String(id), '-2']);
    expect(r.code).toBe(75);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(new SemaphoreSet(id).getValue(0)).toBe(1);
    expect((await svipc(['svsem-demo', '--nowait', String(id), '-1'])).code).toBe(0);
  });

  it('--timeout: exit 124 after about that long, one line, no waiter left', async () => {
    const id = idOf(await svipc(['svsem-demo', '0']));
    const t0 = performance.now();
    const r = await svipc(['svsem-demo', '--timeout', '0.4', String(id), '-1']);
    const ms = performance.now() - t0;
    expect(r.code).toBe(124);
    expect(r.stderr).toBe('svipc svsem-demo: semop timed out after 0.4 s\n');
    expect(ms).toBeGreaterThanOrEqual(400);
    expect(ms).toBeLessThan(3000);
    expect(new SemaphoreSet(id).getNcnt(0)).toBe(0);
  });

  it('--undo: the kernel reverts the operation when the process exits', async () => {
    const id = idOf(await svipc(['svsem-demo', '3']));
    expect((await svipc(['svsem-demo', '--undo', String(id), '-2'])).code).toBe(0);
    expect(new SemaphoreSet(id).getValue(0)).toBe(3);
    expect((await svipc(['svsem-demo', String(id), '-2'])).code).toBe(0);
    expect(new SemaphoreSet(id).getValue(0)).toBe(1);
  });

  it('--trace: every IPC call on stderr', async () => {
    const r = await svipc(['svsem-demo', '--trace', '5']);
    const id = idOf(r);
    const pid = (s: string) => s.replace(/^\[\d+ /gm, '[PID ');
    expect(pid(r.stderr)).toBe(
      `[PID svsem-demo] semget(key=IPC_PRIVATE, nsems=1, flags=IPC_CREAT|0600) -> ${id}\n` +
        `[PID svsem-demo] semctl(semid=${id}, semnum=0, cmd=SETVAL, val=5) -> 0\n`,
    );
    const op = await svipc(['svsem-demo', '--trace', String(id), '1']);
    // The pid of the trace is the one the C program prints.
    const me = op.stdout.split(':')[0];
    expect(op.stderr).toBe(`[${me} svsem-demo] semop(semid=${id}, {0,1,0}) -> 0\n`);
  });

  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${sig} during a blocked semop: exit ${code} at once, no stack trace, set untouched`, async () => {
      const id = idOf(await svipc(['svsem-demo', '0']));
      const set = new SemaphoreSet(id);
      const p = start(['svsem-demo', String(id), '-1']);
      await until(() => set.getNcnt(0) === 1);
      const t0 = performance.now();
      p.child.kill(sig);
      const r = await p.done;
      expect(r.code).toBe(code);
      expect(r.at - t0).toBeLessThan(1000);
      expect(r.stderr).toBe('');
      expect(norm(r.stdout)).toBe('PID: about to semop\n');
      expect(set.getValue(0)).toBe(0);
      await until(() => set.getNcnt(0) === 0, 2000);
    });
  }

  it('a waiting semop completes when another process adds (svipc both sides)', async () => {
    const id = idOf(await svipc(['svsem-demo', '0']));
    const set = new SemaphoreSet(id);
    const p = start(['svsem-demo', String(id), '-2']);
    await until(() => set.getNcnt(0) === 1);
    expect((await svipc(['svsem-demo', String(id), '3'])).code).toBe(0);
    const r = await p.done;
    expect(r.code).toBe(0);
    expect(norm(r.stdout)).toBe(OP_OUT);
    expect(set.getValue(0)).toBe(1);
  });
});

describe.skipIf(!hasCompiler())("svsem-demo with the lecture's C svsem_demo", () => {
  let peer = '';
  beforeAll(() => {
    peer = buildPeer('svsem_demo');
  });

  it('C creates, svipc operates, C operates: same stdout as C', async () => {
    const c = await run(peer, ['4']);
    const id = idOf(c);
    const s = await svipc(['svsem-demo', String(id), '-3']);
    const c2 = await run(peer, [String(id), '-1']);
    expect(s.code).toBe(0);
    expect(c2.code).toBe(0);
    expect(norm(s.stdout)).toBe(norm(c2.stdout));
    expect(new SemaphoreSet(id).getValue(0)).toBe(0);
  });

  it('svipc creates (same stdout as C), C waits, svipc wakes it', async () => {
    const s = await svipc(['svsem-demo', '0']);
    const c = await run(peer, ['0']);
    idOf(c);
    expect(s.stdout.replace(/\d+/, 'N')).toBe(c.stdout.replace(/\d+/, 'N'));
    const id = idOf(s);
    const set = new SemaphoreSet(id);
    const waiting = run(peer, [String(id), '-2']);
    await until(() => set.getNcnt(0) === 1);
    expect((await svipc(['svsem-demo', String(id), '2'])).code).toBe(0);
    const w = await waiting;
    expect(w.code).toBe(0);
    expect(norm(w.stdout)).toBe(OP_OUT);
    expect(set.getValue(0)).toBe(0);
  });

  it('wait-for-zero (OP 0): svipc waits on a set C made, C wakes it', async () => {
    const id = idOf(await run(peer, ['0']));
    const set = new SemaphoreSet(id);
    const p = start(['svsem-demo', String(id), '0']); // wait for zero: returns at once
    expect((await p.done).code).toBe(0);
    expect((await run(peer, [String(id), '1'])).code).toBe(0);
    const z = start(['svsem-demo', String(id), '0']); // now it waits for zero
    await until(() => set.getZcnt(0) === 1);
    expect((await run(peer, [String(id), '-1'])).code).toBe(0);
    const r = await z.done;
    expect(r.code).toBe(0);
    expect(norm(r.stdout)).toBe(OP_OUT);
  });
});

if (!hasCompiler()) {
  describe('svsem-demo with the C peer', () => {
    it.skip(CC_SKIP_REASON, () => {});
  });
}
