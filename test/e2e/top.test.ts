// svipc top, end to end: the live view driven in a real pseudo-terminal (tmux, on a socket of
// its own), in a private IPC namespace on objects the test makes there; and the one-shot
// text and NDJSON samples for scripts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { canUnshare, inNamespace, SVIPC, svipc, UNSHARE_SKIP_REASON } from '../helpers/run.js';

const hasTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
const TMUX_SKIP_REASON = 'tmux is not installed: the terminal tests of svipc top are skipped';

const MAKE = `"$SVIPC" ipcmk -Q >/dev/null && "$SVIPC" ipcmk -S 2 >/dev/null && "$SVIPC" ipcmk -M 8192 >/dev/null
q=$("$SVIPC" msg create -k 0x7e570001)
printf 'hello' | "$SVIPC" msg send "$q"
`;

class Pane {
  readonly sock = `svipc-top-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'svipc-top-'));
  tmux(...args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.sock, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args[0]}: ${r.stderr}`);
    return r.stdout;
  }
  /** Start `svipc top ARGS` in a private IPC namespace; the pane stays after it exits. */
  start(args: string, cols = 120, rows = 30, noColor = '1'): void {
    const script = `${MAKE}
sh -c 'echo $$ > "${this.dir}/pid"; exec "$SVIPC" top ${args}'
echo "rc=$?"; sleep 120`;
    this.tmux(
      'new-session',
      '-d',
      '-x',
      String(cols),
      '-y',
      String(rows),
      '-s',
      't',
      `env SVIPC=${SVIPC} NO_COLOR=${noColor} LC_ALL=C TZ=UTC unshare --ipc bash -c '${script.replace(/'/g, `'\\''`)}'`,
    );
  }
  capture(): string {
    return this.tmux('capture-pane', '-p', '-t', 't');
  }
  /** The screen with its colours and attributes as escapes. */
  captureEscapes(): string {
    return this.tmux('capture-pane', '-p', '-e', '-t', 't');
  }
  state(): string {
    return this.tmux('display', '-p', '-t', 't', '#{alternate_on} #{cursor_flag}').trim();
  }
  async until(f: (screen: string) => boolean, what: string, ms = 20_000): Promise<string> {
    const end = Date.now() + ms;
    let last = '';
    while (Date.now() < end) {
      last = this.capture();
      if (f(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}; screen:\n${last}`);
  }
  pid(): number {
    return Number(readFileSync(join(this.dir, 'pid'), 'utf8'));
  }
  close(): void {
    spawnSync('tmux', ['-L', this.sock, 'kill-server'], { stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const rowsOf = (screen: string) => screen.split('\n').filter((l) => /^(msg|sem|shm) +\d+ /.test(l));

describe.skipIf(!hasTmux || !canUnshare())('top on a terminal (tmux, private IPC namespace)', () => {
  let pane: Pane | null = null;
  afterEach(() => {
    pane?.close();
    pane = null;
  });

  async function started(args = '', cols = 120, rows = 30, noColor = '1'): Promise<Pane> {
    pane = new Pane();
    pane.start(args, cols, rows, noColor);
    await pane.until((s) => s.includes('svipc top -') && rowsOf(s).length === 4, 'the first frame');
    return pane;
  }

  test('renders every object, in the alternate screen with the cursor hidden', async () => {
    const p = await started();
    const screen = p.capture();
    expect(rowsOf(screen).map((l) => l.split(/ +/)[0])).toEqual(['msg', 'msg', 'sem', 'shm']);
    expect(screen).toMatch(/queues \(msgmni\) 2\/\d+/);
    expect(screen).toMatch(/msg +1 0x7e570001 root +rw-------/);
    expect(screen).toMatch(/5B\/16K/);
    // A segment has no waiters to count: "-", not "?" (unknown) nor 0.
    expect(rowsOf(screen)[3]).toMatch(/^shm .* 8K +0 att +- +- /);
    expect(p.state()).toBe('1 0');
  });

  test('colour with NO_COLOR empty (no-color.org); none with NO_COLOR=1', async () => {
    let p = await started('', 120, 30, '');
    expect(p.captureEscapes()).toContain('\u001b[7m');
    p.close();
    p = await started('', 120, 30, '1');
    expect(p.captureEscapes().includes('\u001b[')).toBe(false);
  });

  test('sorts and filters with keys, quits with q: terminal restored, exit 0', async () => {
    const p = await started();
    p.tmux('send-keys', '-t', 't', 'd');
    let s = await p.until((x) => x.includes('sort: depth'), 'sort by depth');
    // The queue holding 5 bytes first, then the rest.
    expect(rowsOf(s)[0]).toMatch(/^msg +1 /);
    p.tmux('send-keys', '-t', 't', 'f');
    s = await p.until((x) => x.includes('kind: msg'), 'kind filter');
    expect(rowsOf(s).map((l) => l.split(/ +/)[0])).toEqual(['msg', 'msg']);
    p.tmux('send-keys', '-t', 't', 'f');
    s = await p.until((x) => x.includes('kind: sem'), 'kind filter sem');
    expect(rowsOf(s).map((l) => l.split(/ +/)[0])).toEqual(['sem']);
    p.tmux('send-keys', '-t', 't', 'u');
    s = await p.until((x) => x.includes('owner: root'), 'owner filter');
    p.tmux('send-keys', '-t', 't', 'q');
    s = await p.until((x) => x.includes('rc='), 'exit');
    expect(s).toContain('rc=0');
    expect(s).not.toContain('svipc top -');
    expect(p.state()).toBe('0 1');
  });

  test('Ctrl-C: exit 130, terminal restored', async () => {
    const p = await started();
    p.tmux('send-keys', '-t', 't', 'C-c');
    const s = await p.until((x) => x.includes('rc='), 'exit');
    expect(s).toContain('rc=130');
    expect(p.state()).toBe('0 1');
  });

  test('SIGTERM: exit 143, terminal restored', async () => {
    const p = await started();
    process.kill(p.pid(), 'SIGTERM');
    const s = await p.until((x) => x.includes('rc='), 'exit');
    expect(s).toContain('rc=143');
    expect(p.state()).toBe('0 1');
  });

  test('a resize redraws to the new width; q still restores the terminal', async () => {
    const p = await started('--interval 60');
    p.tmux('resize-window', '-t', 't', '-x', '70', '-y', '12');
    // The new frame: 12 lines, the key line last, no room for the FILL bars (tmux crops the
    // old frame to 70 columns too, but leaves its FILL title and its key line elsewhere).
    const newFrame = (x: string) => {
      const l = x.replace(/\n$/, '').split('\n');
      return (
        l.length === 12 &&
        l[0]!.startsWith('svipc top -') &&
        l[11]!.startsWith('q quit') &&
        !x.includes('FILL')
      );
    };
    const s = await p.until(newFrame, 'the smaller frame');
    expect(s.split('\n').every((l) => l.length <= 70)).toBe(true);
    expect(rowsOf(s)).toHaveLength(4);
    p.tmux('send-keys', '-t', 't', 'q');
    const end = await p.until((x) => x.includes('rc='), 'exit');
    expect(end).toContain('rc=0');
    expect(p.state()).toBe('0 1');
  });
});

test.skipIf(hasTmux)(`top terminal cases: ${TMUX_SKIP_REASON}`, () => {});
test.skipIf(canUnshare())(`top terminal and sample cases: ${UNSHARE_SKIP_REASON}`, () => {});

describe.skipIf(!canUnshare())('top for scripts (private IPC namespace)', () => {
  test('without a terminal: one text sample, every object, exit 0', async () => {
    const r = await inNamespace(`${MAKE}"$SVIPC" top </dev/null`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^svipc top - .* 4 of 4 objects/);
    expect(lines.filter((l) => /^(msg|sem|shm) +\d+ /.test(l))).toHaveLength(4);
    expect(r.stdout.includes('\u001b')).toBe(false);
  });

  test('--json --count N --interval S: N NDJSON lines; rates from the second on', async () => {
    const r = await inNamespace(`${MAKE}"$SVIPC" top --json --count 3 --interval 0.2 --kind msg`);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const docs = lines.map((l) => JSON.parse(l));
    for (const d of docs) {
      expect(d.schemaVersion).toBe(1);
      expect(d.objects.map((o: { kind: string }) => o.kind)).toEqual(['msg', 'msg']);
      expect(d.limits.map((l: { name: string }) => l.name)).toContain('queues (msgmni)');
    }
    const q = docs[0].objects.find((o: { key: number }) => o.key === 0x7e570001);
    expect(q).toMatchObject({ cbytes: 5, qnum: 1, qbytes: 16384, perms: 0o600, owner: 'root', rates: null });
    expect(docs[2].objects[1].rates).toMatchObject({ netMsgs: 0, netBytes: 0 });
  });

  test('--once with --user and --sort: only that owner; bad options are usage errors', async () => {
    const r = await inNamespace(
      `${MAKE}"$SVIPC" top --once --user nobody; echo "[rc=$?]"; "$SVIPC" top --sort size; echo "[rc=$?]"`,
    );
    expect(r.stdout).toContain('0 of 4 objects');
    expect(r.stdout).toContain('[rc=0]');
    expect(r.stdout).toContain('[rc=2]');
    expect(r.stderr).toBe(
      "svipc top: invalid sort column: 'size' (one of id, kind, owner, depth, rate, waiters, age)\n",
    );
  });

  test('the rates of a queue: in and out split when only one side moved', async () => {
    // The second sample is taken after a send in another second: sends only, no receive.
    const r = await inNamespace(
      `${MAKE}out=$(mktemp); trap 'rm -f "$out"' EXIT
("$SVIPC" top --json --count 2 --interval 2.5 --kind msg > "$out") & sleep 1.2; printf 'abc' | "$SVIPC" msg send "$q"; wait; cat "$out"`,
    );
    const docs = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const q = docs[1].objects.find((o: { key: number }) => o.key === 0x7e570001);
    expect(q.qnum).toBe(2);
    expect(q.rates.netMsgs).toBeGreaterThan(0);
    expect(q.rates.msgsOut).toBe(0);
    expect(q.rates.msgsIn).toBeCloseTo(q.rates.netMsgs, 6);
  });
});

test('top --help names the keys', async () => {
  const r = await svipc(['top', '--help']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('Keys: q quit');
});
