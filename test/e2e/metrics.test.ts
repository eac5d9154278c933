// svipc metrics: the figures match the objects made in a private IPC namespace, promtool accepts
// the exposition, --textfile is only ever seen whole, and a real Prometheus server scrapes
// --listen and answers a query for a svipc series.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { canUnshare, run, SVIPC, svipc, UNSHARE_SKIP_REASON } from '../helpers/run.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const PROMTOOL = has('promtool');
const PROMETHEUS = has('prometheus');
const NO_PROM = "Debian's prometheus package is not installed (.ci/run installs it): skipped";

const ns = (script: string, env: NodeJS.ProcessEnv = {}) =>
  run('unshare', ['--ipc', 'bash', '-c', `set -o pipefail\nS="$SVIPC"\n${script}`], {
    env: { SVIPC, ...env },
    timeoutMs: 90_000,
  });

/** The value of one sample: `name{labels} value`, labels matched exactly (or no labels). */
function sample(text: string, name: string, labels = ''): string | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line?.slice(line.lastIndexOf(' ') + 1);
}

const temps: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'svipc-metrics-'));
  temps.push(d);
  return d;
};

describe('metrics: options', () => {
  test('bad --listen, --textfile with --listen: usage (2); a missing --textfile directory: one line, exit 1', async () => {
    const bad = await svipc(['metrics', '--listen', 'nohost']);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      "svipc metrics: invalid --listen address: 'nohost' (HOST:PORT expected)\n",
    ]);
    const both = await svipc(['metrics', '--listen', ':0', '--textfile', '/tmp']);
    expect(both.code).toBe(2);
    const d = tempDir();
    const r = await svipc(['metrics', '--textfile', join(d, 'missing')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `svipc metrics: cannot write ${join(d, 'missing', 'svipc.prom')}: no such file or directory (ENOENT)\n`,
    );
    expect(readdirSync(d)).toEqual([]);
  });
});

describe.skipIf(!canUnshare())('metrics (private IPC namespace)', () => {
  test('limits, usage and ratios of ipcs -u/-l; counts by owner; --per-object series; promtool accepts it', async () => {
    const r = await ns(`
q=$($S msg create); printf abc | $S msg send $q; printf defgh | $S msg send $q
seg=$($S shm create 10000)
sem=$($S sem create -n 3)
$S metrics --per-object
echo "[rc=$?]"
ipcs -u; ipcs -l
`);
    expect(r.stderr).toBe('');
    const text = r.stdout.slice(0, r.stdout.indexOf('[rc=0]'));
    const ipcs = r.stdout.slice(r.stdout.indexOf('[rc=0]'));
    const num = (re: RegExp) => Number(re.exec(ipcs)![1]);
    expect(sample(text, 'svipc_msg_queues')).toBe('1');
    expect(sample(text, 'svipc_msg_messages')).toBe('2');
    expect(sample(text, 'svipc_msg_queued_bytes')).toBe('8');
    expect(sample(text, 'svipc_msg_queues_limit')).toBe(String(num(/max queues system wide = (\d+)/)));
    expect(Number(sample(text, 'svipc_msg_queues_ratio'))).toBeCloseTo(
      1 / num(/max queues system wide = (\d+)/),
      12,
    );
    expect(sample(text, 'svipc_shm_segments')).toBe('1');
    expect(sample(text, 'svipc_shm_bytes')).toBe(String(num(/pages allocated (\d+)/) * 4096));
    expect(sample(text, 'svipc_sem_sets')).toBe('1');
    expect(sample(text, 'svipc_sem_semaphores')).toBe('3');
    expect(sample(text, 'svipc_sem_sets_limit')).toBe(String(num(/max number of arrays = (\d+)/)));
    for (const kind of ['msg', 'shm', 'sem'])
      expect(sample(text, 'svipc_objects', `kind="${kind}",owner="root"`)).toBe('1');
    expect(sample(text, 'svipc_object_messages', 'kind="msg",id="0",key="0x00000000",owner="root"')).toBe(
      '2',
    );
    expect(sample(text, 'svipc_object_bytes', 'kind="msg",id="0",key="0x00000000",owner="root"')).toBe('8');
    expect(sample(text, 'svipc_object_bytes', 'kind="shm",id="0",key="0x00000000",owner="root"')).toBe(
      '10000',
    );
    expect(sample(text, 'svipc_object_attached', 'kind="shm",id="0",key="0x00000000",owner="root"')).toBe(
      '0',
    );
    expect(sample(text, 'svipc_object_semaphores', 'kind="sem",id="0",key="0x00000000",owner="root"')).toBe(
      '3',
    );
    expect(sample(text, 'svipc_object_waiters', 'kind="sem",id="0",key="0x00000000",owner="root"')).toBe('0');
    // Every family is a gauge with HELP and TYPE; no _total (nothing here is a counter).
    const names = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)];
    expect(names.length).toBeGreaterThan(20);
    for (const [, name, type] of names) {
      expect(type).toBe('gauge');
      expect(name).toMatch(/^svipc_[a-z_]+$/);
      expect(name).not.toMatch(/_total$/);
      expect(text).toContain(`# HELP ${name} `);
    }
    // Without --per-object: no per-object series.
    const plain = await svipc(['metrics']);
    expect(plain.stdout).not.toContain('svipc_object_');
    if (PROMTOOL) {
      const p = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect({ code: p.status, out: p.stdout + p.stderr }).toEqual({ code: 0, out: '' });
    }
  });

  test('--textfile: a reader polling the directory while it is rewritten only ever sees whole files, and no *.prom but svipc.prom', async () => {
    const d = tempDir();
    const done = ns(
      `for i in $(seq 300); do /usr/bin/ipcmk -Q > /dev/null || exit 1; done   # util-linux's: fast
for i in $(seq 8); do $S metrics --per-object --textfile "$D" || exit 1; done; echo ok`,
      { D: d },
    );
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    const seen = { reads: 0, bad: [] as string[], names: new Set<string>() };
    while (!finished) {
      for (const n of readdirSync(d)) seen.names.add(n);
      let text: string | null = null;
      try {
        text = readFileSync(join(d, 'svipc.prom'), 'utf8');
      } catch {}
      if (text !== null) {
        seen.reads++;
        const series = text.split('\n').filter((l) => l.startsWith('svipc_object_messages{')).length;
        if (!text.endsWith('\n') || series !== 300) seen.bad.push(`${text.length} bytes, ${series} queues`);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    const r = await done;
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok\n');
    expect(seen.bad).toEqual([]);
    expect(seen.reads).toBeGreaterThan(0);
    expect([...seen.names].filter((n) => n.endsWith('.prom'))).toEqual(['svipc.prom']);
    expect(readdirSync(d)).toEqual(['svipc.prom']); // no temporary file left
  }, 120_000);
});

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!canUnshare() || !PROMETHEUS)('metrics --listen scraped by Prometheus', () => {
  test('a real Prometheus server scrapes --listen every second; /api/v1/query returns the svipc series; SIGTERM ends svipc with 0', async () => {
    const d = tempDir();
    // svipc serves from a private IPC namespace holding exactly two queues.
    const svc = spawn(
      'unshare',
      [
        '--ipc',
        'bash',
        '-c',
        `"$SVIPC" msg create >/dev/null && "$SVIPC" msg create >/dev/null && exec "$SVIPC" metrics --listen 127.0.0.1:0`,
      ],
      { env: { ...process.env, SVIPC }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(svc);
    let err = '';
    svc.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
    });
    const exited = new Promise<number | null>((r) => svc.on('close', (code) => r(code)));
    const started = Date.now();
    while (!/serving http:\/\/127\.0\.0\.1:(\d+)\/metrics\n/.test(err)) {
      if (Date.now() - started > 30_000 || svc.exitCode !== null)
        throw new Error(`svipc did not listen: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(err)![1]);
    const direct = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(direct.status).toBe(200);
    expect(direct.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(sample(await direct.text(), 'svipc_msg_queues')).toBe('2');
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);

    const promPort = await freePort();
    writeFileSync(
      join(d, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: svipc\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`,
    );
    const prom = spawn(
      'prometheus',
      [
        `--config.file=${join(d, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(d, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(prom);
    let promLog = '';
    prom.stderr!.on('data', (b: Buffer) => {
      promLog += b.toString();
    });
    let result: { metric: Record<string, string>; value: [number, string] }[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 90_000) {
      try {
        const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=svipc_msg_queues`);
        const body = (await res.json()) as { status: string; data: { result: typeof result } };
        if (body.status === 'success' && body.data.result.length > 0) {
          result = body.data.result;
          break;
        }
      } catch {}
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(result, promLog.slice(-2000)).toHaveLength(1);
    expect(result[0]!.metric).toMatchObject({
      __name__: 'svipc_msg_queues',
      job: 'svipc',
      instance: `127.0.0.1:${port}`,
    });
    expect(result[0]!.value[1]).toBe('2');
    prom.kill('SIGTERM');
    svc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(join(d, 'prometheus.yml'))).toBe(true);
  }, 150_000);
});

if (!canUnshare()) test.skip(UNSHARE_SKIP_REASON, () => {});
if (!PROMETHEUS) test.skip(NO_PROM, () => {});
if (!PROMTOOL) test.skip('promtool is not installed: the exposition was not checked with it', () => {});
