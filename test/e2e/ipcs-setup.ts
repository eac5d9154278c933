// Shared by the ipcs end-to-end tests: a node program that fills a private IPC namespace
// with interesting objects (through svipc's own src/ipc, built in dist/; lsipc.test.ts uses it
// too), and the bash functions that record each case and run commands/ipcs.js in-process over
// the cases (one node start-up for all; the case folders are case-folders.ts'). They are
// written to a temporary folder and run inside `unshare --ipc --mount`.
import { inprocBatchJs, NEW_CASE } from './case-folders.js';

/** Node ESM program: argv = [distDir, readyFile]. Creates the objects, then waits to be killed. */
export const OBJECTS_JS = String.raw`
const [dist, ready] = process.argv.slice(2);
const { MessageQueue, SemaphoreSet, SharedMemory } = await import(dist + '/src/ipc/index.js');
const { writeFileSync } = await import('node:fs');
const LONG_UID = Number(process.env.LONG_UID ?? 4545);
const LONG_GID = Number(process.env.LONG_GID ?? 4646);
const log = [];
const attempt = (what, f) => { try { return f(); } catch (e) { log.push(what + ': ' + e.message); return null; } };

// Queues: messages queued; one sent and received (rtime, lrpid); unnamed owner; long names;
// a key with the top bit set; a raised byte limit.
const q1 = MessageQueue.get(0x1234, { create: true, exclusive: true, mode: 0o644 });
q1.send(1, Buffer.alloc(10)); q1.send(2, Buffer.alloc(20)); q1.send(3, Buffer.alloc(30));
q1.set({ qbytes: 10000 });
const q2 = MessageQueue.create({ mode: 0o600 });
q2.send(7, Buffer.from('hello')); q2.receive({ nowait: true });
const q3 = MessageQueue.get(0xdeadbeef, { create: true, exclusive: true, mode: 0o640 });
q3.send(1, Buffer.alloc(2000));
q3.set({ uid: 4242, gid: 4343 });
const q4 = MessageQueue.create({ mode: 0o666 });
q4.set({ uid: LONG_UID, gid: LONG_GID });

// Semaphores: values set, a semop done (otime, pid), one waiter for more (ncount) and one
// for zero (zcount) left blocked; unnamed owner; key -1; long names.
const s1 = SemaphoreSet.get(0x5678, 3, { create: true, exclusive: true, mode: 0o660 });
s1.setAll([1, 5, 0]);
s1.op([{ num: 0, op: -1 }]);
s1.opAsync([{ num: 0, op: -1 }]).catch(() => {});
s1.opAsync([{ num: 1, op: 0 }]).catch(() => {});
const s2 = SemaphoreSet.create(1, { mode: 0o600 });
s2.set({ uid: 4242, gid: 4343 });
const s3 = SemaphoreSet.get(0xffffffff, 7, { create: true, exclusive: true, mode: 0o444 });
s3.setValue(6, 32767);
const s4 = SemaphoreSet.create(2, { mode: 0o640 });
s4.set({ uid: LONG_UID, gid: LONG_GID });

// Segments: attached; locked; removed while attached (dest, key 0); attached then detached
// (dtime); dest and locked at once; sizes around the --human rounding edges; owners.
const keep = [];
const m1 = SharedMemory.get(0x1111, 1984, { create: true, exclusive: true, mode: 0o644 });
keep.push(m1.attach());
const m2 = SharedMemory.create(1000000, { mode: 0o600 });
attempt('lock', () => m2.lock());
const m3 = SharedMemory.get(0x3333, 4096, { create: true, exclusive: true, mode: 0o600 });
keep.push(m3.attach());
m3.remove();
const m4 = SharedMemory.create(1048577, { mode: 0o644 });
m4.attach().detach();
const m5 = SharedMemory.create(8192, { mode: 0o600 });
attempt('lock', () => m5.lock());
keep.push(m5.attach());
m5.remove();
for (const size of [1, 1023, 1024, 1536, 1996, 1048575, 11010048, 1181116006]) {
  attempt('size ' + size, () => SharedMemory.create(size, { mode: 0o640 }));
}
const m6 = SharedMemory.create(65536, { mode: 0o400 });
m6.set({ uid: 4242, gid: 4343 });
const m7 = SharedMemory.create(3000, { mode: 0o664 });
m7.set({ uid: LONG_UID, gid: LONG_GID });

// The waiters block on libuv's pool threads: ready only once the kernel counts them.
for (let i = 0; i < 500 && (s1.getNcnt(0) !== 1 || s1.getZcnt(1) !== 1); i++) {
  await new Promise((r) => setTimeout(r, 10));
}
writeFileSync(ready, log.join('\n'));
setInterval(() => {}, 1 << 30);
`;

/** Runs commands/ipcs.js in-process over the case folders (case-folders.ts). */
export const BATCH_JS = inprocBatchJs('ipcs');

/**
 * Bash functions for the namespace script. `case_run [--spawn] ARGS...` records what
 * /usr/bin/ipcs prints for ARGS (ref.*), and with --spawn also `$SVIPC ipcs` (svipc.*) and
 * the `ipcs` link (link.*); `batch` runs the in-process runner over the cases so far.
 * Programs are run by the name `ipcs` through PATH, so glibc's getopt names them alike;
 * with RUNAS set (e.g. "runas 4242:4343", test/helpers/runas.sh), everything runs through it.
 */
export const CASE_FUNCTIONS = `${NEW_CASE}
case_run() {
  local spawn=0 d
  if [ "$1" = --spawn ]; then spawn=1; shift; fi
  new_case "$@"
  echo "$PHASE" > "$d/phase"
  (cd / && PATH=/usr/bin:/bin $RUNAS ipcs "$@" > "$d/ref.out" 2> "$d/ref.err"; echo $? > "$d/ref.rc")
  if [ $spawn = 1 ]; then
    $RUNAS "$SVIPC" ipcs "$@" > "$d/svipc.out" 2> "$d/svipc.err"; echo $? > "$d/svipc.rc"
    (PATH="$SVIPC_LINKS:$PATH" $RUNAS ipcs "$@" > "$d/link.out" 2> "$d/link.err"; echo $? > "$d/link.rc")
  fi
}
# the same, stdout to /dev/full (util-linux: "write error", exit 1); spawned only
case_full() {
  local d
  new_case "$@"
  echo "$PHASE" > "$d/phase"
  touch "$d/noinproc" "$d/ref.out" "$d/svipc.out" "$d/link.out"
  (cd / && PATH=/usr/bin:/bin ipcs "$@" > /dev/full 2> "$d/ref.err"; echo $? > "$d/ref.rc")
  "$SVIPC" ipcs "$@" > /dev/full 2> "$d/svipc.err"; echo $? > "$d/svipc.rc"
  (PATH="$SVIPC_LINKS:$PATH" ipcs "$@" > /dev/full 2> "$d/link.err"; echo $? > "$d/link.rc")
}
batch() { $RUNAS node "$W/batch.mjs" "$ROOT_DIR/dist" "$W/cases"; }
`;

/**
 * Bash: start WORK/objects.mjs (OBJECTS_JS) in the background, `args` (bash words) after its
 * own; wait until its objects are there; kill it when the script exits.
 */
export function startObjects(args = ''): string[] {
  return [
    `node "$W/objects.mjs" "$ROOT_DIR/dist" "$W/ready"${args} & HELPER=$!`,
    "trap 'kill -9 $HELPER 2>/dev/null' EXIT",
    'for i in $(seq 200); do [ -e "$W/ready" ] && break; sleep 0.05; done',
    '[ -e "$W/ready" ] || { echo "object helper did not start" >&2; exit 3; }',
  ];
}

/** Every subset of resource options, every output option, every unit (162 combinations). */
export function listingCombinations(): string[][] {
  const resources = [
    [],
    ['-q'],
    ['-m'],
    ['-s'],
    ['-q', '-m'],
    ['-q', '-s'],
    ['-m', '-s'],
    ['-q', '-m', '-s'],
    ['-a'],
  ];
  const formats = [[], ['-t'], ['-p'], ['-c'], ['-l'], ['-u']];
  const units = [[], ['-b'], ['--human']];
  const out: string[][] = [];
  for (const r of resources) for (const f of formats) for (const u of units) out.push([...r, ...f, ...u]);
  return out;
}

/** Quote for bash. */
export function sh(args: readonly string[]): string {
  return args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}
