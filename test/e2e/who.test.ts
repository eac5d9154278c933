// svipc who: attached and blocked processes found through /proc, the sembuf array read from the
// waiter's memory, recorded pids alive or gone, and what another user cannot see. Every case runs
// in its own IPC and pid namespaces with their own /proc: every process there is the test's (in a
// container, even root cannot read the host's pid 1), and nothing outlives the test.
import { describe, expect, test } from 'vitest';
import { BLOCKING_SYSCALLS } from '../../src/proc/holders.js';
import {
  buildPeer,
  CC_SKIP_REASON,
  canUnsharePid,
  hasCompiler,
  inPidNamespace,
  svipc,
  UNSHARE_PID_SKIP_REASON,
} from '../helpers/run.js';

const PRELUDE = `S="$SVIPC"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# until N threads of this pid namespace are blocked in a System V call / N processes have a segment attached
CALLS=" ${Object.keys(BLOCKING_SYSCALLS[process.arch] ?? {}).join(' ')} "
blocked() {
  for i in $(seq 600); do
    local n=0 t nr rest
    for t in /proc/[0-9]*/task/*/syscall; do read -r nr rest < "$t" 2>/dev/null; case "$CALLS" in *" $nr "*) n=$((n + 1));; esac; done
    [ "$n" -ge "$1" ] && return 0
    sleep 0.05
  done
  echo "never $1 blocked" >&2
}
# svipc's own waiter restarts its semtimedop every 100 ms (to stay cancellable), maybe on another
# thread: a scan that falls between two calls honestly says "the call ended meanwhile". retry
# PATTERN CMD...: CMD until its output has PATTERN (20 tries), then that output.
retry() { local p=$1 out i; shift; for i in $(seq 20); do out=$("$@"); grep -q -- "$p" <<<"$out" && break; done; printf '%s\n' "$out"; }
attached() {
  for i in $(seq 600); do [ "$(cat /proc/[0-9]*/maps 2>/dev/null | grep -c ' /SYSV')" -ge "$1" ] && return 0; sleep 0.05; done
  echo "never $1 attached" >&2
}
`;

const nsAll = (script: string, env: NodeJS.ProcessEnv = {}) => inPidNamespace(PRELUDE + script, { env });

interface Proc {
  pid: number;
  command: string | null;
  uid: number | null;
  user: string | null;
}
interface WhoObject {
  kind: string;
  id: number;
  key: number;
  uid: number;
  owner: string | null;
  mode: number;
  recorded: { role: string; pid: number; state: string; semnum?: number; command: string | null }[];
  recordedUnknown: string | null;
  attached: (Proc & { ranges: { start: number; end: number; bytes: number; perms: string }[] })[] | null;
  waiting:
    | (Proc & {
        tid: number;
        call: string;
        ops: { semnum: number; op: number; flags: number }[] | null;
        opsUnknown: string | null;
      })[]
    | null;
  blind: string | null;
}
/** The JSON document between two markers of the script's output. */
function doc(stdout: string, name: string): { schemaVersion: number; objects: WhoObject[] } {
  const m = new RegExp(`\\[${name}\\]\\n([\\s\\S]*?)\\[/${name} rc=(\\d+)\\]`).exec(stdout);
  if (!m) throw new Error(`no ${name} in: ${stdout}`);
  expect(m[2]).toBe('0');
  return JSON.parse(m[1]!);
}
const pidOf = (stdout: string, name: string) => Number(new RegExp(`\\[${name}=(\\d+)\\]`).exec(stdout)![1]);

describe('who: options', () => {
  test('a named object that does not exist: one line, exit 1; a bad id: usage, exit 2', async () => {
    const r = await svipc(['who', '-q', '2147483647']);
    expect(r.stderr).toBe('svipc who: no message queue with id 2147483647\n');
    expect(r.code).toBe(1);
    const u = await svipc(['who', '-s', 'x']);
    expect(u.code).toBe(2);
    expect(u.stderr.split('\n').length).toBe(2);
  });
});

describe.skipIf(!canUnsharePid() || BLOCKING_SYSCALLS[process.arch] === undefined)(
  'who (private IPC and pid namespaces)',
  { timeout: 120_000 },
  () => {
    test('attached segment (range, user), semaphore waiter with its operations, recorded pids alive and gone', async () => {
      const r = await nsAll(`
seg=$($S shm create 8192); mkfifo "$tmp/f"
$S shm write $seg < "$tmp/f" & w=$!; exec 3> "$tmp/f"        # attached while it waits for input
sem=$($S sem create -n 3 -m 666)
nobody $S sem op $sem 2:-3 0:0 --timeout 30 & s=$!          # another user, two operations
other=$($S sem create)
attached 1; blocked 1
echo "[w=$w]"
echo "[json]"; retry '"op": -3' $S who --json; echo "[/json rc=$?]"
echo "[text]"; retry '#2 -3' $S who -m $seg -s $sem; echo "[/text rc=$?]"
kill $w $s; wait
`);
      expect(r.stderr).toBe('');
      const objects = doc(r.stdout, 'json').objects;
      const w = pidOf(r.stdout, 'w');
      const shm = objects.find((o) => o.kind === 'shm')!;
      expect(shm.attached).toHaveLength(1);
      expect(shm.attached![0]).toMatchObject({ pid: w, command: 'node', uid: 0, user: 'root' });
      const range = shm.attached![0]!.ranges[0]!;
      expect(range.end - range.start).toBe(8192);
      expect(range).toMatchObject({ bytes: 8192, perms: 'rw-s' });
      expect(shm.waiting).toBeNull();
      expect(shm.blind).toBeNull();
      // The creator (`svipc shm create`) has exited; the last shmat is the writer's, alive.
      expect(shm.recorded.map((p) => [p.role, p.state])).toEqual([
        ['creator', 'gone'],
        ['shmat/shmdt', 'alive'],
      ]);
      expect(shm.recorded[1]).toMatchObject({ pid: w, command: 'node' });

      const sems = objects.filter((o) => o.kind === 'sem');
      expect(sems).toHaveLength(2);
      const [sem, idle] = sems as [WhoObject, WhoObject];
      expect(sem.mode).toBe(0o666);
      expect(sem.waiting).toHaveLength(1);
      const waiter = sem.waiting![0]!;
      expect(waiter).toMatchObject({
        uid: 65534,
        call: expect.stringMatching(/^sem(timed)?op$/),
        opsUnknown: null,
      });
      expect(waiter.ops).toEqual([
        { semnum: 2, op: -3, flags: 0 },
        { semnum: 0, op: 0, flags: 0 },
      ]);
      expect(sem.recorded.map((p) => p.semnum)).toEqual([0, 1, 2]);
      expect(sem.recordedUnknown).toBeNull();
      expect(idle.waiting).toEqual([]);
      expect(objects.find((o) => o.kind === 'msg')).toBeUndefined();

      const text = /\[text\]\n([\s\S]*?)\[\/text rc=0\]/.exec(r.stdout)![1]!;
      expect(text).toMatch(
        new RegExp(
          `^shared memory segment \\d+ key 0x00000000 owner root rw-------: 8K, nattch 1\\n` +
            `  creator: pid \\d+ \\(gone\\)\\n  last shmat/shmdt: pid ${w} \\(alive, node\\)\\n` +
            `  attached: pid ${w} node \\(root\\) [0-9a-f]+-[0-9a-f]+ rw-s 8K\\n` +
            'semaphore set \\d+ key 0x00000000 owner root rw-rw-rw-: 3 semaphores, 1 waiting\\n' +
            '  creator: unknown \\(the kernel records none for a semaphore set\\)\\n' +
            '(  last semop on #\\d: .*\\n){3}' +
            `  waiting: pid ${waiter.pid} tid \\d+ node \\(nobody\\) in sem(timed)?op: #2 -3, #0 0 \\(wait for zero\\)\\n$`,
        ),
      );
    });

    test("another user: what it cannot read is said per object, never guessed; its own waiter's operations are seen", async () => {
      const r = await nsAll(`
mine=$($S sem create -m 666)
nobody $S sem op $mine 0:-1 --timeout 30 & n=$!               # nobody's own wait
$S sem op $mine 0:-2 --timeout 30 & s=$!                       # root's wait on the same set
closed=$($S sem create)                                        # 600: nobody may not read it
blocked 2
echo "[json]"; retry '"op": -1' nobody $S who --json; echo "[/json rc=$?]"
echo "[text]"; nobody $S who -s $closed; echo "[/text rc=$?]"
kill $n $s; wait
`);
      expect(r.stderr).toBe('');
      const [mine, closed] = doc(r.stdout, 'json').objects as [WhoObject, WhoObject];
      // root's waiter is in a process nobody may not look into: not listed, and the object says so.
      expect(mine.waiting!.map((w) => [w.uid, w.user])).toEqual([[65534, 'nobody']]);
      expect(mine.waiting![0]!.ops).toEqual([{ semnum: 0, op: -1, flags: 0 }]);
      expect(mine.blind).toMatch(/cannot be read \(EACCES.*run as root/);
      // The kernel's semncnt counts root's waiter too: more counted than seen is said.
      expect(mine.blind).toContain('the kernel counts 2 waiting, 1 seen');
      expect(closed.recorded).toEqual([]);
      expect(closed.recordedUnknown).toMatch(/no read permission/);
      expect(closed.blind).toMatch(/cannot be read/);
      const text = /\[text\]\n([\s\S]*?)\[\/text rc=0\]/.exec(r.stdout)![1]!;
      expect(text).toContain(
        '  last semop: unknown (the last semop pids cannot be read (no read permission on the set))\n',
      );
      expect(text).toMatch(/\n {2}waiting: nobody seen\n {2}not seen: the \/proc entries of \d+ process/);
    });

    test.skipIf(!hasCompiler())('msgrcv and msgsnd waiters (C peer), selected by key', async () => {
      const H = buildPeer('ipc-holder');
      const r = await nsAll(
        `
rq=$($S msg create -k 0x5157); sq=$($S msg create)
"$H" msgrcv $rq & a=$!; "$H" msgsnd $sq & b=$!
blocked 2
echo "[a=$a]"; echo "[b=$b]"
echo "[json]"; $S who -Q 0x5157 -q $sq --json; echo "[/json rc=$?]"
kill $a $b; wait
`,
        { H },
      );
      expect(r.stderr).toBe('');
      const [rq, sq] = doc(r.stdout, 'json').objects as [WhoObject, WhoObject];
      expect(rq.key).toBe(0x5157);
      expect(rq.waiting).toEqual([
        {
          pid: pidOf(r.stdout, 'a'),
          command: 'ipc-holder',
          uid: 0,
          user: 'root',
          tid: pidOf(r.stdout, 'a'),
          call: 'msgrcv',
          ops: null,
          opsUnknown: null,
        },
      ]);
      expect(sq.waiting!.map((w) => [w.pid, w.call])).toEqual([[pidOf(r.stdout, 'b'), 'msgsnd']]);
      // The filler's msgsnd calls are recorded: the sender is alive.
      expect(sq.recorded[0]).toMatchObject({ role: 'msgsnd', pid: pidOf(r.stdout, 'b'), state: 'alive' });
      expect(sq.attached).toBeNull();
    });
  },
);

if (!hasCompiler()) test.skip(CC_SKIP_REASON, () => {});
if (!canUnsharePid()) test.skip(UNSHARE_PID_SKIP_REASON, () => {});
