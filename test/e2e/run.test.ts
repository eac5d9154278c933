// svipc run: stdout is the command's alone (the report on stderr, or in --report FILE);
// --isolate fails, saying why, where it cannot isolate (never the host instead), and uses a
// user namespace for a user other than root; --cleanup removes only what it can prove the
// command made, and leaves an object another process made meanwhile alone.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { canPosixShell, posixShell } from '../helpers/posix-ns.js';
import { canUnshare, svipc, UNSHARE_SKIP_REASON } from '../helpers/run.js';

const PRELUDE = `S="$SVIPC"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
`;
// With a /dev/shm and /dev/mqueue of its own: run counts POSIX objects too.
const ns = (script: string) => posixShell(PRELUDE + script);
const vars = (out: string) =>
  Object.fromEntries([...out.matchAll(/^([\w-]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));

// A PATH with node on it (bin/svipc is `#!/usr/bin/env node`) and nothing else, or a fake unshare.
const dir = mkdtempSync(join(tmpdir(), 'svipc-run-test-'));
symlinkSync(process.execPath, join(dir, 'node'));
const fake = join(dir, 'fake');
mkdirSync(fake);
writeFileSync(
  join(fake, 'unshare'),
  '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n',
  { mode: 0o755 },
);
// An unshare that makes no namespace but runs what follows its options, and a mount that fails:
// the private /dev/shm cannot be mounted.
const noMount = join(dir, 'no-mount');
mkdirSync(noMount);
writeFileSync(
  join(noMount, 'unshare'),
  '#!/bin/sh\nwhile :; do case $1 in --propagation) shift 2 ;; -*) shift ;; *) break ;; esac; done\nexec "$@"\n',
  { mode: 0o755 },
);
writeFileSync(
  join(noMount, 'mount'),
  '#!/bin/sh\necho "mount: /dev/shm: permission denied." >&2\nexit 32\n',
  {
    mode: 0o755,
  },
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each: the PATH it runs with, then the one line it must say; exit 1, the command not run.
describe('svipc run --isolate where it cannot isolate', () => {
  test.each([
    [
      'unshare not on PATH: one line saying so, exit 1, the command not run',
      dir,
      'svipc run: --isolate: unshare not found on PATH (it comes with util-linux): cannot make a private IPC namespace\n',
    ],
    [
      "unshare refused: not permitted, with unshare's own word, exit 1, the command not run",
      `${fake}:${dir}`,
      'svipc run: --isolate: cannot make a private IPC namespace: not permitted (needs root, or user namespaces, which this system refuses): unshare: unshare failed: Operation not permitted\n',
    ],
    [
      'the private /dev/shm cannot be mounted: one line saying so (not "not permitted"), exit 1, the command not run',
      `${noMount}:/usr/bin:/bin:${dir}`,
      'svipc run: --isolate: cannot mount a private /dev/shm or /dev/mqueue: mount: /dev/shm: permission denied.\n',
    ],
  ])('%s', async (_title, PATH, stderr) => {
    const r = await svipc(['run', '--isolate', '--', '/bin/sh', '-c', 'echo ran'], { env: { PATH } });
    expect(r).toMatchObject({ code: 1, stdout: '', stderr });
  });
});

describe.skipIf(!canPosixShell())('svipc run (private IPC and mount namespaces)', () => {
  test("--report FILE: stdout is the command's alone, the JSON report in FILE, the text on stderr", async () => {
    const r = await ns(`
$S run --report "$tmp/r.json" -- sh -c 'echo out; echo err >&2; "$0" msg create -k 0x51 >/dev/null; echo more' "$S" > "$tmp/out"; echo "rc=$?"
echo "stdout=$(base64 -w0 < "$tmp/out")"
echo "report=$(base64 -w0 < "$tmp/r.json")"
$S run --json -- sh -c 'echo json-out' > "$tmp/out2" 2> "$tmp/err2"; echo "rc2=$?"
echo "stdout2=$(base64 -w0 < "$tmp/out2")"
echo "stderr2=$(base64 -w0 < "$tmp/err2")"
$S run --report /nonexistent/dir/r.json -- true; echo "rc3=$?"
`);
    const v = vars(r.stdout);
    const b64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString();
    expect(v.rc, r.stderr).toBe('1');
    expect(b64(v.stdout)).toBe('out\nmore\n');
    const report = JSON.parse(b64(v.report));
    expect(report).toMatchObject({ schemaVersion: 2, isolated: false, exitCode: 0, removed: [] });
    expect(report.left).toHaveLength(1);
    expect(report.left[0]).toMatchObject({ kind: 'msg', keyHex: '0x00000051' });
    expect(r.stderr).toContain('err\nsvipc run: the command left 1 IPC object in this IPC namespace:\n');
    // --json: the JSON report on stderr, stdout still the command's alone.
    expect(v.rc2).toBe('0');
    expect(b64(v.stdout2)).toBe('json-out\n');
    expect(JSON.parse(b64(v.stderr2))).toMatchObject({ schemaVersion: 2, left: [], exitCode: 0 });
    // A report that cannot be written is a failure, said in one line.
    expect(v.rc3).toBe('1');
    expect(r.stderr).toMatch(/\nsvipc run: --report \/nonexistent\/dir\/r\.json: ENOENT[^\n]*\n/);
  });

  test('--cleanup removes what the command made and leaves what another process made meanwhile', async () => {
    // The foreign objects are made by a process that is not the command's, while it runs.
    const r = await ns(`
( sleep 0.5; $S shm create 8K > "$tmp/foreign-shm"; $S msg create > "$tmp/foreign-msg" ) &
$S run --cleanup --report "$tmp/r.json" -- sh -c '"$0" shm create 4K > "$1/mine"; sh -c "\\"$0\\" shm create 12K > \\"$1/grandchild\\""; sleep 2' "$S" "$tmp"
echo "rc=$?"; wait
has() { awk -v id="$(cat "$tmp/$2")" 'NR > 1 && $2 == id { f = 1 } END { exit !f }' "/proc/sysvipc/$1" && echo exists || echo gone; }
echo "mine=$(has shm mine)"
echo "grandchild=$(has shm grandchild)"
echo "foreign-shm=$(has shm foreign-shm)"
echo "foreign-msg=$(has msg foreign-msg)"
echo "report=$(base64 -w0 < "$tmp/r.json")"
`);
    const v = vars(r.stdout);
    expect(v, r.stderr).toMatchObject({
      rc: '1',
      mine: 'gone',
      grandchild: 'gone',
      'foreign-shm': 'exists',
      'foreign-msg': 'exists',
    });
    const report = JSON.parse(Buffer.from(v.report!, 'base64').toString());
    expect(report.left).toHaveLength(4);
    expect(report.removed).toHaveLength(2);
    const reasons = report.notRemoved.map((n: { kind: string; reason: string }) => `${n.kind}: ${n.reason}`);
    expect(reasons.sort()).toEqual([
      'msg: the kernel records no creator pid for message queues: svipc cannot prove the command made it (--isolate can)',
      expect.stringMatching(
        /^shm: its creator, pid \d+, is not the command or one of its processes \(that svipc saw\)$/,
      ),
    ]);
    expect(r.stderr).toMatch(
      /svipc run: left segment \d+ key 0x00000000 owner root rw-------: its creator, pid \d+, is not/,
    );
  });

  test('as nobody: --isolate in a user namespace where the kernel allows it, else a clear refusal', async () => {
    const r = await ns(`
command -v setpriv >/dev/null || { echo "skip=no setpriv"; exit 0; }
nobody unshare --user --map-root-user --ipc true 2>/dev/null && echo "userns=yes" || echo "userns=no"
before=$(awk 'FNR>1' /proc/sysvipc/msg | wc -l)
nobody "$S" run --isolate -- sh -c 'echo "inside-uid=$(id -u)"; "$0" msg create >/dev/null' "$S"; echo "rc=$?"
echo "outer-new=$(( $(awk 'FNR>1' /proc/sysvipc/msg | wc -l) - before ))"
`);
    const v = vars(r.stdout);
    if (v.skip) return console.warn(`run e2e: ${v.skip}: the nobody case skipped`);
    expect(v['outer-new'], r.stderr).toBe('0');
    expect(v.rc).toBe('1');
    if (v.userns === 'yes') {
      expect(v['inside-uid'], r.stderr).toBe('0');
      expect(r.stderr).toMatch(/^svipc run: the command left 1 IPC object in its private IPC namespace:\n/);
    } else {
      console.warn('run e2e: user namespaces refused here: only the refusal is checked');
      expect(v['inside-uid']).toBeUndefined();
      expect(r.stderr).toMatch(/^svipc run: --isolate: cannot make a private IPC namespace: not permitted/);
    }
  });
});

test.skipIf(canUnshare())(`run e2e: ${UNSHARE_SKIP_REASON}`, () => {});

test('--help says where the report goes', async () => {
  const h = await svipc(['run', '--help']);
  expect(h.code).toBe(0);
  expect(h.stdout).toMatch(/--report <file>/);
  expect(h.stdout).toMatch(/never\s+falls back to the host/);
});
