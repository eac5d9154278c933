// svipc tour: exits 0 with every check held, and leaves nothing behind, also when
// interrupted. Whole-namespace checks in private IPC namespaces; without them (not root),
// the tour still runs on the host (it only touches what it creates).
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canUnshare, inNamespace, svipc, UNSHARE_SKIP_REASON } from '../helpers/run.js';

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

describe('svipc tour', () => {
  it.skipIf(!canUnshare())('runs every demo, all checks hold, the namespace is empty after', async () => {
    const r = await inNamespace(`"$SVIPC" tour; echo "rc=$?"; echo "left=$(${COUNT})"`, {
      timeoutMs: 60_000,
    });
    expect(r.stdout, r.stderr).toMatch(/\nrc=0\nleft=0\n$/);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/FAIL|skip/);
    for (let i = 1; i <= 7; i++) expect(r.stdout).toContain(`[${i}/7] `);
    const m = /(\d+) checks passed, 0 failed \(([\d.]+) s\)/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(25);
    // About 5 s on an idle machine; generous here, as the suites run side by side.
    expect(Number(m![2])).toBeLessThan(30);
    const dir = dirOf(r.stdout);
    expect(dir).toBeDefined();
    expect(existsSync(dir!)).toBe(false);
  });

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

  it('--help and usage', async () => {
    const h = await svipc(['tour', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/--trace/);
    expect((await svipc(['tour', 'extra'])).code).toBe(2);
  });
});

if (!canUnshare()) {
  describe('svipc tour in a private namespace', () => {
    it.skip(UNSHARE_SKIP_REASON, () => {});
  });
}
