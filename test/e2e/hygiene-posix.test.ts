// snapshot, diff, leaks and run with POSIX objects (queues, semaphores, shared memory), made and
// held by the C peer (test/peers/posix-peer.c), the shell, and a node child mapping an object.
// Every case runs in a private IPC + mount namespace with its own /dev/shm and /dev/mqueue
// (test/helpers/posix-ns.ts); the leak and cleanup cases in a pid namespace of their own too, so
// that every process a /proc scan sees is the test's. The host case checks that run --isolate
// leaves nothing in the host's /dev/shm.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { canPosixShell, POSIX_NS_SKIP_REASON, posixShell } from '../helpers/posix-ns.js';
import { buildPeer, CC_SKIP_REASON, hasCompiler, ROOT, svipc } from '../helpers/run.js';
import { snapshotValidator } from '../helpers/snapshot-schema.js';

const PRELUDE = `S="$SVIPC"; P="$PEER"
t() { "$@"; echo "[rc=$?]"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# until PID has a file named NAME open (fd) or mapped (maps)
has_fd() { for i in $(seq 200); do ls -l /proc/$1/fd 2>/dev/null | grep -q "/$2$" && return 0; sleep 0.05; done; echo "pid $1 never opened $2" >&2; }
has_map() { for i in $(seq 200); do grep -q "/dev/shm/$2$" /proc/$1/maps 2>/dev/null && return 0; sleep 0.05; done; echo "pid $1 never mapped $2" >&2; }
`;
const ns = (script: string, pid = false) =>
  posixShell(PRELUDE + script, { pid, env: { PEER: buildPeer('posix-peer') } });
const b64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString();
const vars = (out: string) =>
  Object.fromEntries([...out.matchAll(/^([\w-]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));

interface Row {
  verdict: string;
  leaked: boolean;
  reasons: string[];
  attached: number[];
  open: number[];
  object: { kind: string; name?: string };
}

describe.skipIf(!canPosixShell() || !hasCompiler())('POSIX objects in snapshot and diff', () => {
  test('snapshot lists them (schemaVersion 2, valid); diff shows them by name with human sizes; a v1 file is said', async () => {
    const r = await ns(`
$S snapshot -o "$tmp/before.json"
$S ipcs --json > "$tmp/v1.json"
$P shm-create /frames 5000 hi; $P sem-create /lock 1; $P mq-create /jobs 4 64; $P mq-send /jobs 3 hello
$S snapshot -o "$tmp/after.json"
t $S diff "$tmp/before.json"
$P unlink shm /frames
t $S diff "$tmp/after.json"
t $S diff "$tmp/v1.json"
$S diff --json "$tmp/before.json" "$tmp/after.json" > "$tmp/d.json"
echo "after=$(base64 -w0 < "$tmp/after.json")"
echo "diff=$(base64 -w0 < "$tmp/d.json")"
`);
    const text = r.stdout.slice(0, r.stdout.indexOf('after='));
    expect(text, r.stderr).toBe(
      [
        '+ posix queue /jobs owner root rw-------: 1 message, 5B',
        '+ posix semaphore /lock owner root rw-------: value 1',
        '+ posix shm /frames owner root rw-------: 4.9K',
        '[rc=1]',
        '- posix shm /frames owner root rw-------: 4.9K',
        '[rc=0]',
        // Against ipcs --json (version 1): nothing appeared that it could know of.
        '[rc=0]',
        '',
      ].join('\n'),
    );
    expect(r.stderr).toMatch(
      /^svipc diff: \S+\/v1\.json is a version 1 snapshot \(System V only\): POSIX objects not compared\n$/,
    );
    const v = vars(r.stdout);
    const after = JSON.parse(b64(v.after));
    expect(snapshotValidator().validate(after)).toEqual([]);
    expect(after.schemaVersion).toBe(2);
    expect(after.posixQueues).toMatchObject([
      { kind: 'pmsg', name: '/jobs', path: '/dev/mqueue/jobs', qsize: 5, msgs: 1 },
    ]);
    expect(after.posixSemaphores).toMatchObject([
      { kind: 'psem', name: '/lock', path: '/dev/shm/sem.lock', value: 1 },
    ]);
    expect(after.posixSegments).toMatchObject([
      { kind: 'pshm', name: '/frames', size: 5000, perms: 0o600, user: 'root' },
    ]);
    const d = JSON.parse(b64(v.diff));
    expect(snapshotValidator('diffDocument').validate(d)).toEqual([]);
    expect(d.appeared.map((o: { kind: string; name: string }) => `${o.kind} ${o.name}`)).toEqual([
      'pmsg /jobs',
      'psem /lock',
      'pshm /frames',
    ]);
  });
});

describe.skipIf(!canPosixShell(true) || !hasCompiler())('POSIX leak verdicts (own pid namespace)', () => {
  test('open, mapped (semaphore, shm), abandoned, and a dead holder: in use with the pids, or leaked', async () => {
    const index = join(ROOT, 'dist/src/index.js');
    const r = await ns(
      `
$P mq-create /held 4 64; $P mq-recv /held & a=$!                 # open: blocked in mq_receive
$P sem-create /waited 0; $P sem-wait /waited & b=$!              # mapped: sem_open maps sem.waited
$P shm-create /openshm 64 x; ( exec 3< /dev/shm/openshm; sleep 30 ) & e=$!   # open by a subshell
$P shm-create /mapshm 64 x
node -e 'import(process.argv[1]).then((s) => { const m = s.PosixSharedMemory.open("/mapshm"); m.map(); m.close(); setInterval(() => {}, 1000); })' "${index}" & c=$!
$P shm-create /abandoned 64 x                                     # its maker has exited
$P sem-create /dead 0; $P sem-wait /dead & d=$!
has_fd $a held; has_fd $e openshm; has_map $b sem.waited; has_map $c mapshm; has_map $d sem.dead
kill $d; wait $d 2>/dev/null                                      # a dead holder's leftover
echo "[pids $a $b $c $e]"
$S leaks --all --json; echo "[rc=$?]"
$S leaks; echo "[rc=$?]"
kill $a $b $c $e; wait
`,
      true,
    );
    const [a, b, c, e] = /\[pids (\d+) (\d+) (\d+) (\d+)\]/.exec(r.stdout)!.slice(1).map(Number);
    const json = r.stdout.slice(r.stdout.indexOf(']\n') + 2, r.stdout.indexOf('[rc='));
    const doc = JSON.parse(json);
    expect(doc.schemaVersion).toBe(2);
    expect(doc.unknown, r.stderr).toBe(0);
    const of = (name: string) => (doc.objects as Row[]).find((o) => o.object.name === name)!;
    expect(of('/held')).toMatchObject({ verdict: 'in use', open: [a], attached: [] });
    expect(of('/held').reasons).toEqual([`open by pid ${a}`, '0 messages queued']);
    expect(of('/waited')).toMatchObject({ verdict: 'in use', open: [], attached: [b] });
    expect(of('/waited').reasons[0]).toBe(`mapped by pid ${b}`);
    expect(of('/openshm')).toMatchObject({ verdict: 'in use', open: [e] });
    expect(of('/mapshm')).toMatchObject({ verdict: 'in use', attached: [c] });
    expect(of('/abandoned')).toMatchObject({ verdict: 'leaked', leaked: true, open: [], attached: [] });
    expect(of('/abandoned').reasons).toEqual(['no process has it open or mapped', '64 bytes']);
    expect(of('/dead')).toMatchObject({ verdict: 'leaked', leaked: true });
    // The text: the leaked ones only, exit 1.
    const text = r.stdout.slice(r.stdout.indexOf('[rc=1]\n') + 7);
    expect(text).toBe(
      'posix semaphore /dead owner root rw-------: value 0\n' +
        '    no process has it open or mapped; value 0\n' +
        'posix shm /abandoned owner root rw-------: 64B\n' +
        '    no process has it open or mapped; 64 bytes\n' +
        '[rc=1]\n',
    );
    expect(r.stderr).toBe('');
  });

  test("as nobody, while root's processes cannot be looked at: unknown, never leaked", async () => {
    const r = await ns(
      `
$P shm-create /rootshm 64 x; exec 3< /dev/shm/rootshm
$P shm-create /abandoned 64 x
nobody $S leaks --all --json; echo "[rc=$?]"
`,
      true,
    );
    const doc = JSON.parse(r.stdout.slice(0, r.stdout.indexOf('[rc=')));
    const rows = doc.objects as Row[];
    expect(rows.map((o) => [o.object.name, o.verdict, o.leaked])).toEqual([
      ['/abandoned', 'unknown', false],
      ['/rootshm', 'unknown', false],
    ]);
    expect(rows[0]!.reasons[0]).toMatch(
      /^cannot tell whether a process has it open or mapped: the \/proc entries of \d+ process(es)? cannot be read \(EACCES.*\): run as root to see them$/,
    );
    expect(r.stdout).toContain('[rc=0]');
  });
});

describe.skipIf(!canPosixShell(true) || !hasCompiler())('run with POSIX objects (own pid namespace)', () => {
  test('--cleanup removes what the command held; leaves what another process made, or holds too', async () => {
    const r = await ns(
      `
# Outside the command, once it runs: one makes and holds an object, one opens the command's too.
until_there() { while [ ! -e "$1" ]; do sleep 0.05; done; }
( until_there /dev/shm/mine; exec 3<> /dev/shm/foreign; sleep 8 ) & f=$!
( until_there /dev/shm/shared; exec 3< /dev/shm/shared; sleep 8 ) & g=$!
$S run --cleanup --report "$tmp/r.json" -- sh -c '
  exec 3<> /dev/shm/mine 4<> /dev/shm/shared
  sh -c "exec 5<> /dev/shm/grandchild; sleep 0.5"
  "$0" mq-create /q 4 64; exec 6< /dev/mqueue/q
  sleep 2' "$P"
echo "rc=$?"
for n in mine grandchild foreign shared; do [ -e /dev/shm/$n ] && echo "$n=exists" || echo "$n=gone"; done
[ -e /dev/mqueue/q ] && echo "q=exists" || echo "q=gone"
echo "report=$(base64 -w0 < "$tmp/r.json")"
kill $f $g; wait
`,
      true,
    );
    const v = vars(r.stdout);
    expect(v, r.stderr).toMatchObject({
      rc: '1',
      mine: 'gone',
      grandchild: 'gone',
      q: 'gone',
      foreign: 'exists',
      shared: 'exists',
    });
    const report = JSON.parse(b64(v.report));
    expect(report.schemaVersion).toBe(2);
    expect(report.removed.map((o: { kind: string; name: string }) => `${o.kind} ${o.name}`).sort()).toEqual([
      'pmsg /q',
      'pshm /grandchild',
      'pshm /mine',
    ]);
    const kept = Object.fromEntries(
      report.notRemoved.map((n: { name: string; reason: string }) => [n.name, n.reason]),
    );
    expect(kept['/foreign']).toBe(
      'no process of the command was seen holding it (open or mapped): svipc cannot prove the command made it (--isolate can)',
    );
    expect(kept['/shared']).toMatch(/^pid \d+, not the command's, holds it too$/);
    expect(r.stderr).toContain(
      'svipc run: left posix shm /foreign owner root rw-r--r--: no process of the command',
    );
  });

  test('--isolate: POSIX objects go with the private /dev/shm and /dev/mqueue; none reaches the outer ones', async () => {
    const r = await ns(`
$S run --isolate -- sh -c 'echo hi > /dev/shm/inside; "$0" mq-create /inq 4 64; "$0" sem-create /insem 1' "$P"
echo "rc=$?"
echo "shm=$(ls -A /dev/shm | tr '\\n' ' ')"
echo "mqueue=$(ls -A /dev/mqueue | tr '\\n' ' ')"
`);
    const v = vars(r.stdout);
    expect(v, r.stderr).toMatchObject({ rc: '1', shm: '', mqueue: '' });
    expect(r.stderr).toBe(
      'svipc run: the command left 3 IPC objects in its private IPC namespace:\n' +
        '  posix queue /inq owner root rw-------: 0 messages, 0B\n' +
        '  posix semaphore /insem owner root rw-------: value 1\n' +
        '  posix shm /inside owner root rw-r--r--: 3B\n' +
        'svipc run: (they go with the namespace when svipc exits)\n',
    );
  });
});

test.skipIf(canPosixShell(true) && hasCompiler())(
  `hygiene POSIX e2e: ${hasCompiler() ? POSIX_NS_SKIP_REASON : CC_SKIP_REASON}`,
  () => {},
);

describe.skipIf(!canPosixShell())('run --isolate from the host', () => {
  test("a POSIX object the command makes is reported and never reaches the host's /dev/shm", async () => {
    const name = `svipc-isolate-test-${process.pid}`;
    try {
      const r = await svipc(['run', '--isolate', '--', 'sh', '-c', `echo hi > /dev/shm/${name}`]);
      expect(r.stderr).toContain(`  posix shm /${name} owner root rw-r--r--: 3B\n`);
      expect(r.code).toBe(1);
      expect(readdirSync('/dev/shm')).not.toContain(name);
    } finally {
      // Had isolation failed, the file would be this test's own: never left behind.
      if (existsSync(`/dev/shm/${name}`)) rmSync(`/dev/shm/${name}`);
    }
  });
});
