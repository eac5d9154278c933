// svipc tour: exits 0 with every check held, and leaves nothing behind, also when
// interrupted. Whole-namespace checks in private IPC namespaces; without them (not root),
// the tour still runs on the host (it only touches what it creates).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canPosixNamespace, inPosixNamespace, POSIX_NS_SKIP_REASON } from '../helpers/posix-ns.js';
import {
  canUnshare,
  inNamespace,
  publicEnv,
  RUNAS_FUNCTIONS,
  reportSkipped,
  svipc,
  UNSHARE_SKIP_REASON,
} from '../helpers/run.js';

const COUNT = `awk 'FNR>1' /proc/sysvipc/shm /proc/sysvipc/sem /proc/sysvipc/msg | wc -l`;
// Start the tour, SIGKILL it once its output shows "ok ... $SEEN", then wait (5 s at most)
// until no process of the tour is left (found by its scratch folder: the children's cwd, the
// guard's argument), no object, no scratch folder.
const SIGKILL_SCRIPT = String.raw`D=$(mktemp -d); "$SVIPC" tour > "$D/out.txt" 2> "$D/err.txt" & P=$!
for i in $(seq 600); do grep -q "^  ok   .*$SEEN" "$D/out.txt" && break; sleep 0.05; done
dir=$(sed -n 's/^The commands run in \([^ ]*\) .*/\1/p' "$D/out.txt")
echo "objects-before=$(eval "$COUNT")"
kill -KILL $P; wait $P; echo "rc=$?"
ours() {
  local p n=0
  for p in /proc/[0-9]*; do
    case "$(readlink "$p/cwd" 2>/dev/null)" in "$dir"|"$dir (deleted)") n=$((n + 1)); continue ;; esac
    tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -qF "$dir" && n=$((n + 1))
  done
  echo $n
}
for i in $(seq 100); do
  procs=$(ours)
  [ "$procs" = 0 ] && [ "$(eval "$COUNT")" = 0 ] && [ ! -e "$dir" ] && break
  sleep 0.05
done
echo "procs=$procs"; echo "left=$(eval "$COUNT")"; echo "dir-exists=$([ -e "$dir" ] && echo yes || echo no)"
cat "$D/out.txt" "$D/err.txt" >&2; rm -rf "$D"`;
const dirOf = (out: string) => /The commands run in (\S+) /.exec(out)?.[1];

/** The tour's output cut into its steps: step number -> the lines of that step. */
function stepsOf(out: string): Map<number, string[]> {
  const steps = new Map<number, string[]>();
  let cur: string[] | undefined;
  for (const line of out.split('\n')) {
    const m = /^\[(\d+)\/\d+\] /.exec(line);
    if (m) {
      cur = [];
      steps.set(Number(m[1]), cur);
    } else if (/^\d+ checks passed/.test(line)) cur = undefined;
    else cur?.push(line);
  }
  return steps;
}

/** The demos that take --trace: with `tour --trace`, each of their command lines carries it. */
const TRACEABLE =
  /^ {2}\$ svipc (stat-server|stat-client|svsem-demo|stdin2shm|shm2stdout|svshm-writer|svshm-reader|shm-list-(writer|reader)) /;

describe('svipc tour', () => {
  it.skipIf(!canUnshare())(
    'runs every demo, all checks hold, the namespace is empty after; --trace covers every step',
    async () => {
      const r = await inNamespace(
        `"$SVIPC" tour; echo "rc=$?"; echo "left=$(${COUNT})"
         "$SVIPC" tour --trace > "$TRACED" 2>&1; echo "trace-rc=$?"; echo "trace-left=$(${COUNT})"`,
        { timeoutMs: 280_000, env: { TRACED: join(tmpdir(), `tour-trace-${process.pid}.txt`) } },
      );
      const traced = readFileSync(join(tmpdir(), `tour-trace-${process.pid}.txt`), 'utf8');
      rmSync(join(tmpdir(), `tour-trace-${process.pid}.txt`), { force: true });
      expect(r.stdout, r.stderr).toMatch(/\nrc=0\nleft=0\ntrace-rc=0\ntrace-left=0\n$/);
      expect(r.stderr).toBe('');
      const plain = r.stdout.slice(0, r.stdout.indexOf('\nrc='));
      expect(plain).not.toMatch(/FAIL|skip/);
      for (let i = 1; i <= 8; i++) expect(plain).toContain(`[${i}/8] `);
      // Each step names its slide, and a command with a C equivalent shows it beside.
      expect(plain.match(/^ {2}the lecture's slide \d/gm)).toHaveLength(8);
      expect(plain).toMatch(
        /^ {2}\$ svipc ipcmk -Q .* {3}# C: msgget\(0x[0-9a-f]{8}, IPC_CREAT\|IPC_EXCL\|0600\)$/m,
      );
      expect(plain).toMatch(/^ {2}C: mq_open\("\/svipc-tour-/m);
      const m = /(\d+) checks passed, 0 failed \(([\d.]+) s\)/.exec(plain);
      expect(m).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThanOrEqual(35);
      // A bound against a hang, not a speed test: 18-19 s measured on 2 cores at a load average
      // of 10, 54 s with this file's other tests and other suites beside it.
      expect(Number(m![2])).toBeLessThan(120);
      const dir = dirOf(plain);
      expect(dir).toBeDefined();
      expect(existsSync(dir!)).toBe(false);

      // --trace: every step prints more (its calls) than without; every demo that takes
      // --trace is run with it (the svshm step and the nowait/timeout/undo sub-steps too).
      expect(traced).not.toMatch(/FAIL|skip/);
      const [a, b] = [stepsOf(plain), stepsOf(traced)];
      expect([...b.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      for (const [n, lines] of a) expect(b.get(n)!.length, `step ${n}`).toBeGreaterThan(lines.length);
      const demos = traced.split('\n').filter((l) => TRACEABLE.test(l));
      expect(demos.length).toBeGreaterThanOrEqual(25);
      for (const l of demos) expect(l).toMatch(/^ {2}\$ svipc \S+ --trace /);
      expect(traced).toMatch(/^ {2}\$ svipc svsem-demo --trace --nowait /m);
      expect(traced).toMatch(/^ {2}\$ svipc svshm-writer --trace /m);
      // Each trace line names its process and shows the lecture's call with its payload: the
      // server's lines are told from the client's, a P of svshm is the slide's semop.
      const calls = traced.split('\n').filter((l) => /^\s*\[\d+ /.test(l));
      expect(calls.length).toBeGreaterThan(100);
      for (const l of calls) expect(l).toMatch(/^\s*\[\d+ [^\]]+\] \w+\(.*\) -> \S/);
      const pidOf = (prog: string) =>
        new Set(calls.filter((l) => l.includes(` ${prog}] `)).map((l) => /\[(\d+) /.exec(l)![1]));
      expect(pidOf('stat-server').size).toBeGreaterThan(0);
      expect(pidOf('stat-client').size).toBeGreaterThan(0);
      for (const p of pidOf('stat-server')) expect(pidOf('stat-client').has(p)).toBe(false);
      expect(traced).toMatch(
        /\[\d+ stat-client\] msgsnd\(msqid=\d+, \{mtype=1, cli_id=\d+, pathname="[^"]+"\}/,
      );
      expect(traced).toMatch(/\[\d+ svshm-writer\] semop\(semid=\d+, \{\d,-1,0\}\) -> 0/);
      // A planned failure is marked as such in the tour's own output (step 4's --nowait).
      expect(b.get(4)!.join('\n')).toContain('<- expected: ');
      expect(plain).not.toContain('<- expected');
    },
    300_000,
  );

  it.skipIf(canUnshare())('runs on the host when namespaces are not permitted', async () => {
    const r = await svipc(['tour', '-q'], { timeoutMs: 60_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/checks passed, 0 failed/);
  });

  it.skipIf(!canUnshare())(
    'SIGINT at any point: exit 130 within the grace period, nothing left',
    async () => {
      // Stop it early (first steps), mid-way (the semaphore and shared memory steps), late.
      for (const delay of [0.8, 2.2, 3.6]) {
        const r = await inNamespace(
          `D=$(mktemp -d); "$SVIPC" tour > "$D/out.txt" 2> "$D/err.txt" & P=$!
         sleep ${delay}; kill -INT $P
         t0=$(date +%s%N); wait $P; rc=$?; t1=$(date +%s%N)
         sleep 0.2
         echo "rc=$rc ms=$(( (t1 - t0) / 1000000 )) left=$(${COUNT})"
         cat "$D/out.txt" "$D/err.txt" >&2; rm -rf "$D"`,
          { timeoutMs: 60_000 },
        );
        const m = /rc=(\d+) ms=(\d+) left=(\d+)/.exec(r.stdout);
        expect(m, r.stdout + r.stderr).not.toBeNull();
        const [, rc, ms, left] = m!.map(Number);
        // A tour that finished before the signal exits 0; one interrupted exits 130.
        expect([0, 130], r.stderr).toContain(rc);
        expect(ms).toBeLessThan(1500);
        expect(left, r.stderr).toBe(0);
        const dir = dirOf(r.stderr);
        if (dir) expect(existsSync(dir)).toBe(false);
      }
    },
  );

  it.skipIf(!canUnshare())(
    '`svipc tour | head`: the launcher exits at once on EPIPE; nothing is left',
    async () => {
      const r = await inNamespace(
        `for n in 2 20 60; do
         "$SVIPC" tour | head -$n > /dev/null; echo "rc=\${PIPESTATUS[0]}"
       done
       sleep 0.5; echo "left=$(${COUNT})"`,
        { timeoutMs: 60_000 },
      );
      expect(r.stdout, r.stderr).toBe('rc=141\nrc=141\nrc=141\nleft=0\n');
    },
  );

  it.skipIf(!canUnshare())(
    'SIGKILL mid-run (stat server up, objects made): its children die, the guard removes the rest',
    async () => {
      // Killed where it has the most running: the stat server and its queue (step 3), a
      // semaphore set made by a child (step 4), a segment made with ipcmk (step 5).
      for (const seen of ['request queue', 'created a semaphore', 'bytes that went in came out']) {
        const r = await inNamespace(SIGKILL_SCRIPT, { env: { SEEN: seen, COUNT }, timeoutMs: 60_000 });
        const v = Object.fromEntries([...r.stdout.matchAll(/^([\w-]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
        expect(v.rc, r.stdout + r.stderr).toBe('137');
        // It was killed while it had made something (else this proves nothing).
        expect(Number(v['objects-before']), r.stderr).toBeGreaterThan(0);
        expect(v, r.stderr).toMatchObject({ procs: '0', left: '0', 'dir-exists': 'no' });
      }
    },
    180_000,
  );

  it('--help has examples; --list numbers the steps with their slides', async () => {
    const h = await svipc(['tour', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/--trace/);
    expect(h.stdout).toMatch(/--step/);
    expect(h.stdout).toMatch(/Examples:\n {2}svipc tour --step --trace /);
    expect((await svipc(['tour', 'extra'])).code).toBe(2);
    const l = await svipc(['tour', '--list']);
    expect(l.code).toBe(0);
    const numbered = l.stdout.match(/^ ?\d+ {2}\S.*\n {4}slide \d[\d-]*, ".+"$/gm);
    expect(numbered?.length, l.stdout).toBe(8);
    expect(l.stdout).toMatch(/^ 8 {2}System V beside POSIX.*\n {4}slide 19, "POSIX IPC"$/m);
  });

  it('--only N out of range, or not a number: one line, exit 2, nothing run', async () => {
    for (const n of ['0', '9', 'x', '-1', '1.5']) {
      const r = await svipc(['tour', '--only', n]);
      expect(r.code, n).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`svipc tour: --only: no step '${n}': the steps are 1 to 8 (svipc tour --list)\n`);
    }
  });

  it('--step without a terminal on stdin: refused in one line, exit 2, nothing run', async () => {
    const r = await svipc(['tour', '--step'], { input: '\n\n' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'svipc tour: --step waits for Enter on a terminal, and stdin is not one (run it in a terminal, or without --step)\n',
    );
  });

  it.skipIf(!canUnshare())('--only 2 runs that step alone', async () => {
    const r = await inNamespace(`"$SVIPC" tour --only 2; echo "rc=$?"; echo "left=$(${COUNT})"`, {
      timeoutMs: 60_000,
    });
    expect(r.stdout, r.stderr).toMatch(/\nrc=0\nleft=0\n$/);
    expect(r.stdout.match(/^\[\d\/8\] /gm)).toEqual(['[2/8] ']);
    expect(r.stdout).toContain('$ svipc ftok keyfile 1');
    expect(r.stdout).toMatch(/\n3 checks passed, 0 failed/);
  });
});

// The System V vs POSIX step's POSIX objects: in a private namespace made by the tour (root),
// else under /svipc-tour-PID-* names removed at the end, on SIGINT too. Each case runs in a
// private IPC + mount namespace with its own /dev/shm and /dev/mqueue, to look at them after.
describe.skipIf(!canPosixNamespace())(
  'svipc tour: the POSIX step leaves nothing in /dev/shm or /dev/mqueue',
  () => {
    const LEFT =
      'echo "shm=$(ls -A /dev/shm | tr "\\n" " ")"; echo "mqueue=$(ls -A /dev/mqueue | tr "\\n" " ")"';
    const posixScript = (body: string) =>
      inPosixNamespace('bash', ['-c', `${RUNAS_FUNCTIONS}\n${body}`], {
        timeoutMs: 60_000,
        env: publicEnv(),
      });

    it('as root: its helper in a namespace of its own; nothing reaches this /dev/shm or /dev/mqueue', async () => {
      const r = await posixScript(
        `D=$(mktemp -d); "$SVIPC" tour --only 8 > "$D/out" 2>&1; echo "rc=$?"; ${LEFT}; cat "$D/out" >&2; rm -r "$D"`,
      );
      expect(r.stdout, r.stderr).toBe('rc=0\nshm=\nmqueue=\n');
      expect(r.stderr).toContain('private IPC and mount namespace');
      expect(r.stderr).toMatch(/7 checks passed, 0 failed/);
    });

    it('as another user (no namespace): unique names, unlinked at the end and on SIGINT', async () => {
      const r = await posixScript(`D=$(mktemp -d)
      nobody "$SVIPC" tour --only 8 > "$D/a" 2>&1; echo "rc=$?"; ${LEFT}
      # (nobody runs it in a subshell: the tour is that subshell's child)
      nobody "$SVIPC" tour --only 8 > "$D/b" 2>&1 & P=$!
      for i in $(seq 400); do grep -q "^  ok   held" "$D/b" && break; sleep 0.05; done
      echo "made=$(ls -A /dev/shm /dev/mqueue | grep -c svipc-tour)"
      kill -INT $(pgrep -P $P); wait $P; echo "int-rc=$?"; sleep 0.3; ${LEFT}
      cat "$D/a" "$D/b" >&2; rm -r "$D"`);
      expect(r.stdout, r.stderr).toBe('rc=0\nshm=\nmqueue=\nmade=2\nint-rc=130\nshm=\nmqueue=\n');
      expect(r.stderr).toMatch(/the POSIX objects are \/svipc-tour-\d+-[0-9a-f]{8}-jobs and /);
    });

    it('as another user, SIGKILLed mid-step: its helper and its guard leave no name behind', async () => {
      const r = await posixScript(`D=$(mktemp -d)
      nobody "$SVIPC" tour --only 8 > "$D/out" 2>&1 & P=$!
      for i in $(seq 400); do grep -q "^  ok   held" "$D/out" && break; sleep 0.05; done
      echo "made=$(ls -A /dev/shm /dev/mqueue | grep -c svipc-tour)"
      kill -KILL $(pgrep -P $P); wait $P; echo "rc=$?"
      for i in $(seq 100); do [ -z "$(ls -A /dev/shm /dev/mqueue)" ] && break; sleep 0.05; done
      ${LEFT}; cat "$D/out" >&2; rm -r "$D"`);
      expect(r.stdout, r.stderr).toBe('made=2\nrc=137\nshm=\nmqueue=\n');
    });
  },
);

reportSkipped(canPosixNamespace(), 'svipc tour: the POSIX step in a private namespace', POSIX_NS_SKIP_REASON);
reportSkipped(canUnshare(), 'svipc tour in a private namespace', UNSHARE_SKIP_REASON);
