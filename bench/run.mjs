// npm run bench: svipc next to its baselines (node -e 0, util-linux, the lecture's C
// programs, C loops), in pairs run alternately (A B A B ...), each group in its own private
// IPC namespace where `unshare --ipc` is permitted; writes bench/results.md and the chart
// bench/results.svg. It measures and reports: there is no threshold anywhere.
//
//   npm run bench [-- --quick] [--only GROUP[,GROUP]] [--out FILE] [--pairs N]
//
// Needs `npm run build` (dist/) and cc. Nothing is left behind: objects live in the
// group's namespace, which ends with it; without a namespace, only private objects this
// script makes and removes (the groups that need a whole namespace are skipped, and say so).
import { spawn, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, summarize, svg, table } from './report.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
const SVIPC = join(ROOT, 'bin/svipc');

const GROUPS = {
  startup: { ns: false, about: 'start-up of svipc commands next to `node -e 0`' },
  ffi: { ns: false, about: "svipc's libc binding per call next to the same C loop" },
  msg: { ns: false, about: 'message-queue round trip against a C echo process' },
  'stat-server': { ns: false, about: 'svipc stat-server next to an iterative C server, C load clients' },
  'ipcs-per-object': { ns: true, about: '`ipcs` on an empty namespace and on N segments' },
  listing: { ns: true, about: 'the listing commands as the namespace grows (1k, 10k, 37k objects)' },
  svshm: {
    ns: true,
    about:
      'svshm transfer, the lecture settings, next to the C writer+reader; each side pinned (two cores, one core)',
  },
  fast: { ns: true, about: 'svshm --fast transfer next to `cat F | cat`' },
};

const HELP = `Usage: npm run bench -- [options]

Runs svipc next to its baselines in pairs (A B A B ...), each group in a private IPC
namespace (unshare --ipc) where permitted, and writes the results (Markdown) and a chart
of the ratios (SVG, same name with .svg).

Options:
  --quick            fewer pairs, smaller sizes: a smoke run of a minute or two
  --only GROUP[,..]  run only these groups: ${Object.keys(GROUPS).join(', ')}
  --out FILE         results file (default: bench/results.md; the chart goes beside it)
  --pairs N          pairs per figure (default: 5, --quick 3)
  -h, --help         this help

Exit status: 0 every figure measured (or skipped, said why), 1 a figure failed, 2 usage.
`;

// ---------------------------------------------------------------- options

function usage(msg) {
  process.stderr.write(`bench: ${msg}\nTry 'npm run bench -- --help'.\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { quick: false, only: null, out: join(ROOT, 'bench/results.md'), pairs: null, worker: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`option ${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--only') o.only = val().split(',').filter(Boolean);
    else if (a === '--out') o.out = resolve(val());
    else if (a === '--pairs') {
      const v = val();
      if (!/^[1-9]\d*$/.test(v)) usage(`--pairs wants a positive integer, not '${v}'`);
      o.pairs = Number(v);
    } else if (a === '--worker') o.worker = JSON.parse(val());
    else if (a === '-h' || a === '--help') {
      process.stdout.write(HELP);
      process.exit(0);
    } else usage(`unknown argument '${a}'`);
  }
  for (const g of o.only ?? [])
    if (!GROUPS[g]) usage(`no group '${g}' (groups: ${Object.keys(GROUPS).join(', ')})`);
  o.pairs ??= o.quick ? 3 : 5;
  return o;
}

// ---------------------------------------------------------------- measuring

const log = (s) => process.stderr.write(`${s}\n`);

/** Sizes of the full run and of --quick. */
function sizes(quick) {
  return quick
    ? {
        segments: 400,
        listing: [300, 1000],
        requests: 2000,
        clients4: 500,
        mib: 16,
        calls: 20000,
        trips: 2000,
      }
    : {
        segments: 4000,
        listing: [1000, 10000, 37096],
        requests: 20000,
        clients4: 5000,
        mib: 256,
        calls: 200000,
        trips: 20000,
      };
}

/**
 * Run ARGV under bench/c/measure: wall ms, peak RSS (KiB) and CPU ms (user + system) of it and its children.
 * `ok` lists the exit codes that mean success; anything else throws, naming the command.
 */
function measure(ctx, argv, { stdin = '/dev/null', stdout = '/dev/null', ok = [0], env } = {}) {
  const res = join(ctx.tmp, 'measure.out');
  rmSync(res, { force: true });
  const inFd = openSync(stdin, 'r');
  const outFd = openSync(stdout, 'w');
  try {
    const r = spawnSync(join(ctx.bin, 'measure'), [res, ...argv], {
      stdio: [inFd, outFd, 'pipe'],
      env: env ?? process.env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0 || !existsSync(res)) throw new Error(`measure failed: ${r.stderr.trim()}`);
    const [ns, kb, code, cpuNs] = readFileSync(res, 'utf8').trim().split(' ').map(Number);
    if (!ok.includes(code)) {
      const last = r.stderr.trim().split('\n').pop() ?? '';
      throw new Error(
        `${argv.map((a) => (a.length > 60 ? `${a.slice(0, 57)}...` : a).replace(/\s+/g, ' ')).join(' ')} exited ${code}: ${last}`,
      );
    }
    return { ms: ns / 1e6, kb, cpuMs: cpuNs / 1e6 };
  } finally {
    closeSync(inFd);
    closeSync(outFd);
  }
}

/** A program that prints its own ns per op (micro.c, ffi.mjs). */
function perOp(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  const v = Number(r.stdout.trim());
  if (r.status !== 0 || !Number.isFinite(v))
    throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return v;
}

/**
 * One figure: A (svipc) and B (the baseline) alternately, after one warm-up run of each.
 * Each run returns { ms, kb? } (unit ms) or a number (its own unit). A failure makes the
 * row's status say so; the suite goes on.
 */
function pair(ctx, name, aLabel, a, bLabel, b, extra = {}) {
  const row = {
    name,
    status: 'ok',
    unit: extra.unit ?? 'ms',
    a: { label: aLabel, values: [], kb: [] },
    b: { label: bLabel, values: [], kb: [] },
    ...extra,
  };
  const put = (side, r) => {
    if (typeof r === 'number') side.values.push(r);
    else {
      side.values.push(r.ms);
      if (r.kb !== undefined) side.kb.push(r.kb);
    }
  };
  try {
    a();
    b();
    for (let i = 0; i < ctx.pairs; i++) {
      put(row.a, a());
      put(row.b, b());
    }
    log(`  ${name}: ${median(row.a.values).toFixed(2)} vs ${median(row.b.values).toFixed(2)} ${row.unit}`);
  } catch (e) {
    row.status = `failed: ${e.message}`;
    log(`  ${name}: ${row.status}`);
  }
  return row;
}

const notRun = (name, why, baseline = '') => ({ name, status: why, b: { label: baseline } });

// ---------------------------------------------------------------- groups

/** A queue of ours: ipcmk -Q, its id from the output. */
function makeQueue() {
  const r = spawnSync('ipcmk', ['-Q'], { encoding: 'utf8' });
  const id = Number(/(\d+)\s*$/.exec(r.stdout.trim())?.[1]);
  if (r.status !== 0 || !Number.isInteger(id)) throw new Error(`ipcmk -Q failed: ${r.stderr.trim()}`);
  return id;
}

const removeQueue = (id) => spawnSync('ipcrm', ['-q', String(id)], { stdio: 'ignore' });

/**
 * Start-up: each figure twice from the same runs, its wall time (the target's figure) and its
 * CPU time (user + system: what the command itself costs, far less disturbed by other load
 * on the machine than wall time). A run is ~40 ms: at least 30 pairs (--quick 10), since 5
 * pairs' medians move by 20% from one run to the next on a shared machine. Both sides run
 * without NODE_EXTRA_CA_CERTS (see CA_CERTS).
 */
function groupStartup(ctx) {
  const sctx = { ...ctx, pairs: Math.max(ctx.pairs, ctx.quick ? 10 : 30) };
  const q = makeQueue();
  try {
    const where = ctx.inNs ? 'empty namespace' : 'host namespace: not empty';
    const figures = [
      ['`svipc --version`', ['--version']],
      [`\`svipc ipcs\` (${where})`, ['ipcs']],
      ['`svipc ftok / 1`', ['ftok', '/', '1']],
      ['`svipc msg send ID x`', ['msg', 'send', String(q), 'x']],
    ];
    const rows = figures.flatMap(([name, args]) => {
      const cpu = { a: [], b: [] };
      const timed = (side, argv) => () => {
        const r = measure(ctx, argv);
        cpu[side].push(r.cpuMs);
        return r;
      };
      const wall = pair(
        sctx,
        name,
        'svipc',
        timed('a', [SVIPC, ...args]),
        '`node -e 0`',
        timed('b', [process.execPath, '-e', '0']),
      );
      if (wall.status !== 'ok') return [wall];
      // The same runs' CPU time, less the warm-up run of each side that pair() makes first.
      const cpuRow = {
        name: `${name}, CPU time (user+sys)`,
        status: 'ok',
        unit: 'ms',
        a: { label: 'svipc', values: cpu.a.slice(1), kb: [] },
        b: { label: '`node -e 0` CPU', values: cpu.b.slice(1), kb: [] },
      };
      log(
        `  ${cpuRow.name}: ${median(cpuRow.a.values).toFixed(2)} vs ${median(cpuRow.b.values).toFixed(2)} ms`,
      );
      return [wall, cpuRow];
    });
    rows[0].note =
      `start-up: ${sctx.pairs} pairs per figure; each figure's wall time (the target's figure) is followed by the CPU time ` +
      '(user+sys) of the same runs';
    // The floor under those ratios: what a Node program started as svipc is (through its
    // shebang, /usr/bin/env finding node) pays before its own work, and the least a Node ipcs
    // could do (bench/startup-floor.cjs): not svipc, the same start.
    const floor = (name, label, argv) =>
      pair(
        sctx,
        name,
        label,
        () => measure(ctx, argv),
        '`node -e 0`',
        () => measure(ctx, [process.execPath, '-e', '0']),
      );
    const env = floor("floor: `/usr/bin/env node -e 0` (a shebang's start)", '/usr/bin/env node', [
      '/usr/bin/env',
      'node',
      '-e',
      '0',
    ]);
    const least = floor(
      'floor: the least Node ipcs, started as svipc is (bench/startup-floor.cjs: reads /proc/sysvipc, writes the headers)',
      'startup-floor.cjs',
      [join(ROOT, 'bench/startup-floor.cjs')],
    );
    least.note =
      'floor rows: not svipc; what any Node program started through its shebang pays, and the least an ipcs could do on top';
    return [...rows, env, least];
  } finally {
    removeQueue(q);
  }
}

/** svipc's loop (bench/ffi.mjs ARGS...) against a C program's (micro C_ARGS...), in ns per operation. */
function ffiVsC(ctx, name, args, cLabel, cArgs) {
  const ffi = join(ROOT, 'bench/ffi.mjs');
  const C = join(ctx.bin, 'micro');
  const svipc = () => perOp([process.execPath, ffi, ...args]);
  return pair(ctx, name, 'svipc', svipc, cLabel, () => perOp([C, ...cArgs]), { unit: 'ns/op' });
}

function groupFfi(ctx) {
  const n = String(ctx.size.calls);
  return [
    ffiVsC(ctx, `FFI: semctl GETVAL x${n} (SemaphoreSet.getValue)`, ['getval', n], 'C loop', ['getval', n]),
    ffiVsC(ctx, `semop P+V x${n} (SemaphoreSet.op, two calls)`, ['semop', n], 'C loop', ['semop', n]),
    ffiVsC(ctx, `semop P+V x${n} (PreparedSemOp try/post)`, ['prepared', n], 'C loop', ['semop', n]),
  ];
}

async function groupMsg(ctx) {
  const n = String(ctx.size.trips);
  const C = join(ctx.bin, 'micro');
  const q = makeQueue();
  const echo = spawn(C, ['echo', String(q)], { stdio: 'ignore' });
  const gone = new Promise((r) => echo.on('exit', r));
  try {
    const qs = String(q);
    const ping = ['ping', qs, n];
    return [
      ffiVsC(ctx, `msg round trip x${n}, synchronous msgrcv`, ping, 'C client', ping),
      ffiVsC(ctx, `msg round trip x${n}, receiveAsync`, ['ping-async', qs, n], 'C client', ping),
    ];
  } finally {
    removeQueue(q); // the echo's msgrcv fails (EIDRM) and it exits
    await gone;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function vmHwmKb(pid) {
  try {
    return Number(/VmHWM:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

async function groupStat(ctx) {
  const client = join(ctx.bin, 'stat-client');
  const target = join(ctx.tmp, 'stat-target');
  writeFileSync(target, Buffer.alloc(12345));
  const keyS = join(ctx.tmp, 'key-svipc');
  const keyC = join(ctx.tmp, 'key-c');
  for (const k of [keyS, keyC]) writeFileSync(k, '');
  const servers = [
    {
      name: 'svipc stat-server',
      key: keyS,
      child: spawn(SVIPC, ['stat-server', '--ftok-path', keyS], { stdio: 'ignore' }),
    },
    {
      name: 'iterative C server',
      key: keyC,
      child: spawn(join(ctx.bin, 'stat-server-iter'), [keyC], { stdio: 'ignore' }),
    },
  ];
  const exits = servers.map((s) => new Promise((r) => s.child.on('exit', (code, sig) => r(code ?? sig))));
  const env = (key) => ({ ...process.env, STAT_FTOK_PATH: key });
  try {
    for (const s of servers) {
      let up = false;
      for (let i = 0; i < 1000 && !up; i++) {
        up = spawnSync(client, ['-q', target], { env: env(s.key), stdio: 'ignore' }).status === 0;
        if (!up) await sleep(10);
      }
      if (!up) throw new Error(`${s.name} did not answer within 10 s`);
    }
    const n1 = ctx.size.requests;
    const n4 = ctx.size.clients4;
    const one = (key) => measure(ctx, [client, '-q', '-n', String(n1), target], { env: env(key) });
    // Four clients at once; the shell fails when any client fails.
    const four = (key) =>
      measure(
        ctx,
        [
          'sh',
          '-c',
          'p=; for i in 1 2 3 4; do "$0" -q -n "$1" "$2" & p="$p $!"; done; s=0; for x in $p; do wait $x || s=1; done; exit $s',
          client,
          String(n4),
          target,
        ],
        { env: env(key) },
      );
    const rows = [
      pair(
        ctx,
        `stat server, 1 C client x ${n1.toLocaleString('en-US')} sequential requests`,
        'svipc stat-server',
        () => one(keyS),
        'iterative C server',
        () => one(keyC),
        {
          rate: n1,
          rateUnit: 'requests/s',
        },
      ),
      pair(
        ctx,
        `stat server, 4 concurrent C clients x ${n4.toLocaleString('en-US')} requests`,
        'svipc stat-server',
        () => four(keyS),
        'iterative C server',
        () => four(keyC),
        {
          rate: 4 * n4,
          rateUnit: 'requests/s',
        },
      ),
    ];
    const hwm = servers.map((s) => vmHwmKb(s.child.pid));
    rows.at(-1).note =
      `memory columns: the clients' peak; the servers' own peak (VmHWM) after both figures: svipc stat-server ${hwm[0]} KB, C server ${hwm[1]} KB`;
    return rows;
  } finally {
    for (const s of servers) s.child.kill('SIGINT');
    await Promise.all(exits);
  }
}

/** Raise the per-namespace limits so that COUNT objects fit (only inside our namespace). */
function raiseLimits(ctx) {
  if (!ctx.inNs) return;
  writeFileSync('/proc/sys/kernel/msgmni', '32768');
  writeFileSync('/proc/sys/kernel/shmmni', '8192');
  const [semmsl, semmns, semopm] = readFileSync('/proc/sys/kernel/sem', 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  writeFileSync(
    '/proc/sys/kernel/sem',
    `${Math.max(semmsl, 250)} ${Math.max(semmns, 1_000_000)} ${semopm} 32768`,
  );
}

function limitsNote() {
  const r = (f) => readFileSync(`/proc/sys/kernel/${f}`, 'utf8').trim().replace(/\s+/g, ' ');
  return `limits in the namespace: msgmni ${r('msgmni')}, shmmni ${r('shmmni')}, sem (semmsl semmns semopm semmni) ${r('sem')}`;
}

function mkobjs(ctx, queues, segments, sets, nsems) {
  const r = spawnSync(join(ctx.bin, 'mkobjs'), [queues, segments, sets, nsems].map(String), {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`mkobjs ${queues} ${segments} ${sets} ${nsems}: ${r.stderr.trim()}`);
}

function groupIpcsPerObject(ctx) {
  const n = ctx.size.segments;
  const svipc = () => measure(ctx, [SVIPC, 'ipcs']);
  const util = () => measure(ctx, ['ipcs']);
  const empty = pair(ctx, '`ipcs`, empty namespace', 'svipc ipcs', svipc, '`/usr/bin/ipcs`', util);
  raiseLimits(ctx);
  mkobjs(ctx, 0, n, 0, 0);
  const full = pair(
    ctx,
    `\`ipcs\`, ${n.toLocaleString('en-US')} segments`,
    'svipc ipcs',
    svipc,
    '`/usr/bin/ipcs`',
    util,
  );
  if (empty.status === 'ok' && full.status === 'ok') {
    // A difference of medians: on a busy machine the noise can exceed it, and then it says so.
    const per = (side) => {
      const us = ((median(full[side].values) - median(empty[side].values)) / n) * 1000;
      return us > 0 ? `${us.toFixed(1)} us` : 'n/a (the noise exceeds the difference)';
    };
    full.note = `per object ((median with ${n} segments - median empty) / ${n}): svipc ${per('a')}, util-linux ${per('b')}`;
  }
  return [empty, full];
}

/** The mix of the issue's 37,096-object namespace, scaled to TOTAL objects. */
function mix(total) {
  const queues = Math.round((total * 32000) / 37096);
  const sets = Math.round((total * 1000) / 37096);
  return { queues, sets, segments: total - queues - sets };
}

function groupListing(ctx) {
  raiseLimits(ctx);
  const rows = [];
  let have = { queues: 0, sets: 0, segments: 0 };
  const util = () => measure(ctx, ['ipcs']);
  for (const total of ctx.size.listing) {
    const want = mix(total);
    mkobjs(ctx, want.queues - have.queues, want.segments - have.segments, want.sets - have.sets, 250);
    have = want;
    const label = `${total.toLocaleString('en-US')} objects`;
    const snap = join(ctx.tmp, 'snapshot.json');
    const s = spawnSync(SVIPC, ['snapshot', '-o', snap], { stdio: 'ignore' });
    if (s.status !== 0) throw new Error(`svipc snapshot -o ${snap} exited ${s.status}`);
    const cmds = [
      ['ipcs', [], [0]],
      ['ipcs --json', ['--json'], [0]],
      ['snapshot', [], [0]],
      ['diff SNAPSHOT', [snap], [0]],
      ['leaks', [], [0, 1]],
      ['leaks -a --json', ['-a', '--json'], [0, 1]],
    ];
    for (const [name, args, ok] of cmds) {
      const argv = [SVIPC, name.split(' ')[0], ...args];
      rows.push(
        pair(
          ctx,
          `\`${name}\`, ${label}`,
          `svipc ${name}`,
          () => measure(ctx, argv, { ok }),
          '`/usr/bin/ipcs`',
          util,
        ),
      );
    }
    rows.push(
      pair(
        ctx,
        `\`ipcs -q\`, ${label}`,
        'svipc ipcs -q',
        () => measure(ctx, [SVIPC, 'ipcs', '-q']),
        '`lsipc -q`',
        () => measure(ctx, ['lsipc', '-q']),
      ),
    );
    rows.at(-1).note =
      `${label}: ${want.queues} queues, ${want.segments} segments of 4 KiB, ${want.sets} sets of 250 semaphores; ${limitsNote()}`;
  }
  return rows;
}

function inputFile(ctx, mib) {
  const f = join(ctx.tmp, `input-${mib}M`);
  if (existsSync(f)) return f;
  const fd = openSync(f, 'w');
  const chunk = Buffer.alloc(4 * 1024 * 1024);
  for (let left = mib * 1024 * 1024; left > 0; left -= chunk.length) {
    randomFillSync(chunk);
    writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  }
  closeSync(fd);
  return f;
}

// One transfer, in a namespace of its own (the lecture's keys are fixed): svipc's reader
// waits for the writer, so it starts first; the C reader needs the writer's objects, so it
// starts once both exist (/proc/sysvipc: keys 0x1234 = 4660, 0x5678 = 22136).
const TRANSFER = `
w="$1"; r="$2"; in="$3"; first="$4"
if [ "$first" = reader ]; then
  $r > /dev/null & rp=$!
  $w < "$in"; wc=$?
  wait $rp; rc=$?
else
  $w < "$in" & wp=$!
  i=0
  until awk '$1 == 4660 {s=1} END {exit !s}' /proc/sysvipc/shm && awk '$1 == 22136 {s=1} END {exit !s}' /proc/sysvipc/sem; do
    i=$((i + 1)); [ $i -gt 5000 ] && break; sleep 0.001
  done
  $r > /dev/null; rc=$?
  wait $wp; wc=$?
fi
[ $rc = 0 ] && [ $wc = 0 ]
`;

function transfer(ctx, w, r, file, first) {
  return measure(ctx, ['unshare', '--ipc', 'sh', '-c', TRANSFER, 'transfer', w, r, file, first], {
    stdout: '/dev/null',
  });
}

/**
 * svipc's 0-byte transfer, `ctx.pairs` times (writer and reader commands as given): what it
 * pays before and after any data (two Node start-ups, finding the writer, exit; the C
 * programs' and cat's start-up is about 1 ms). "ms median (min-max)" and the median itself.
 */
function zeroByte(ctx, w, r) {
  const empty = join(ctx.tmp, 'input-empty');
  writeFileSync(empty, '');
  const ms = [];
  for (let i = 0; i < ctx.pairs; i++) ms.push(transfer(ctx, w, r, empty, 'reader').ms);
  const m = median(ms);
  return {
    median: m,
    text: `${m.toFixed(0)} ms median (${Math.min(...ms).toFixed(0)}-${Math.max(...ms).toFixed(0)})`,
  };
}

/**
 * How the svshm rows place the two sides: "two cores" runs the writer under `taskset -c 0`
 * and the reader under `taskset -c 1`, "one core" both under `taskset -c 0`. Unpinned, the
 * scheduler decides, and the C pair is bimodal: 0.3-0.6 s when it puts both on one core (a
 * turn is a context switch, cheap for two small C programs), 2-5 s on two (each turn wakes
 * an idle core). `why` says what is missing where a placement cannot be had.
 */
function placements() {
  const can = (cpu) => spawnSync('taskset', ['-c', cpu, 'true'], { stdio: 'ignore' }).status === 0;
  if (!can('0')) return { why: 'taskset is missing or not permitted' };
  return can('1')
    ? { two: ['taskset -c 0', 'taskset -c 1'], one: ['taskset -c 0', 'taskset -c 0'] }
    : { one: ['taskset -c 0', 'taskset -c 0'], whyTwo: 'no second core (taskset -c 1 failed)' };
}

/**
 * A group's pinned rows, two cores and one core, made by `figure(label, [pin, pin])` where
 * `place` (placements()) permits, else each not run with the reason.
 */
function pinnedRows(place, name, baseline, figure, labels) {
  const notPinned = (cores, why) => notRun(`${name}, ${cores}`, `not run: ${why}`, baseline);
  if (place.why) return [notPinned('two cores', place.why), notPinned('one core', place.why)];
  return [
    place.two ? figure(labels.two, place.two) : notPinned('two cores', place.whyTwo),
    figure(labels.one, place.one),
  ];
}

/** CMD under PIN (a taskset prefix), or as it is. */
const on = (pin, cmd) => (pin ? `${pin} ${cmd}` : cmd);

function groupSvshm(ctx) {
  const mib = ctx.size.mib;
  const file = inputFile(ctx, mib);
  const cw = join(ctx.bin, 'svshm-writer');
  const cr = join(ctx.bin, 'svshm-reader');
  const name = `svshm transfer ${mib} MiB, 10,240-byte buffer (writer+reader)`;
  const baseline = "the lecture's C writer+reader";
  const rate = (ms) => (mib / (ms / 1000)).toFixed(0);
  const figure = (label, [pw, pr]) => {
    const row = pair(
      ctx,
      `${name}, ${label}`,
      'svipc svshm-writer/-reader',
      () => transfer(ctx, on(pw, `${SVIPC} svshm-writer`), on(pr, `${SVIPC} svshm-reader`), file, 'reader'),
      baseline,
      () => transfer(ctx, on(pw, cw), on(pr, cr), file, 'writer'),
    );
    if (row.status === 'ok') {
      row.note = `${label}: MiB/s (median) svipc ${rate(median(row.a.values))}, C ${rate(median(row.b.values))}; start-up included`;
      // On one core the two start-ups run one after the other.
      try {
        const z = zeroByte(ctx, on(pw, `${SVIPC} svshm-writer`), on(pr, `${SVIPC} svshm-reader`));
        row.note +=
          `; svipc's 0-byte transfer placed the same (start-ups, rendezvous, exit): ${z.text}, ` +
          `${((100 * z.median) / median(row.b.values)).toFixed(0)}% of the C pair's ${mib} MiB`;
      } catch (e) {
        row.note += `; svipc's 0-byte transfer failed: ${e.message}`;
      }
    }
    return row;
  };
  const place = placements();
  const pinned = pinnedRows(place, name, baseline, figure, {
    two: 'two cores (writer on cpu 0, reader on cpu 1)',
    one: 'one core (both on cpu 0)',
  });
  // Unpinned where pinning cannot be had: which of the two the scheduler picks shows in the
  // spread, not in the name.
  return place.why ? [figure(`not pinned (${place.why})`, [undefined, undefined]), ...pinned] : pinned;
}

function hasOption(cmd, opt) {
  const r = spawnSync(SVIPC, [cmd, '--help'], { encoding: 'utf8' });
  return r.status === 0 && new RegExp(`(^|\\s)${opt}\\b`).test(r.stdout);
}

function groupFast(ctx) {
  const mib = ctx.size.mib;
  const name = `svshm --fast transfer ${mib} MiB`;
  const baseline = '`cat F | cat`';
  if (!hasOption('svshm-writer', '--fast') || !hasOption('svshm-reader', '--fast')) {
    return [notRun(name, 'not implemented (no --fast in svshm-writer/-reader --help)', baseline)];
  }
  const file = inputFile(ctx, mib);
  // The issue's figure, unpinned; then pinned as the svshm rows are (placements()), each
  // side of both pairs where the other pair's is: `cat | cat` is bimodal unpinned, ~150 ms
  // when its two cats share a core and 320-800 ms on two (each 64 KiB a wake-up across cores).
  const figure = (label, [pw, pr]) =>
    pair(
      ctx,
      label ? `${name}, ${label}` : name,
      'svipc svshm-writer/-reader --fast',
      () =>
        transfer(
          ctx,
          on(pw, `${SVIPC} svshm-writer --fast`),
          on(pr, `${SVIPC} svshm-reader --fast`),
          file,
          'reader',
        ),
      baseline,
      () => measure(ctx, ['sh', '-c', `${on(pw, 'cat')} "$0" | ${on(pr, 'cat')} > /dev/null`, file]),
    );
  const row = figure(undefined, [undefined, undefined]);
  const pinned = pinnedRows(placements(), name, baseline, figure, {
    two: 'two cores (the writer and the first cat on cpu 0, the reader and the second on cpu 1)',
    one: 'one core (all on cpu 0)',
  });
  if (row.status === 'ok') {
    // What bounds the ratio: svipc's fixed cost against the data's.
    try {
      const z = zeroByte(ctx, `${SVIPC} svshm-writer --fast`, `${SVIPC} svshm-reader --fast`);
      row.note =
        `--fast: svipc's 0-byte transfer (start-ups, rendezvous, exit) ${z.text}: ` +
        `${((100 * z.median) / median(row.a.values)).toFixed(0)}% of its ${mib} MiB transfer, ` +
        `${((100 * z.median) / median(row.b.values)).toFixed(0)}% of cat | cat's`;
    } catch (e) {
      row.note = `--fast: svipc's 0-byte transfer failed: ${e.message}`;
    }
  }
  return [row, ...pinned];
}

const RUNNERS = {
  startup: groupStartup,
  ffi: groupFfi,
  msg: groupMsg,
  'stat-server': groupStat,
  'ipcs-per-object': groupIpcsPerObject,
  listing: groupListing,
  svshm: groupSvshm,
  fast: groupFast,
};

// ---------------------------------------------------------------- the worker

// `--worker JSON`: one group, in the namespace this process was started in; prints its
// rows as JSON on stdout (progress on stderr).
async function worker(w) {
  const ctx = { ...w, size: sizes(w.quick) };
  let rows;
  try {
    rows = await RUNNERS[w.group](ctx);
  } catch (e) {
    rows = [notRun(`${w.group}`, `failed: ${e.message}`)];
  }
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}

// ---------------------------------------------------------------- the driver

function build(binDir) {
  const progs = [
    ['measure', 'bench/c/measure.c'],
    ['micro', 'bench/c/micro.c'],
    ['mkobjs', 'bench/c/mkobjs.c'],
    ['stat-server-iter', 'bench/c/stat-server-iter.c'],
    ['stat-client', 'test/peers/stat-client.c'],
    ['svshm-writer', 'test/peers/svshm-writer.c'],
    ['svshm-reader', 'test/peers/svshm-reader.c'],
  ];
  for (const [name, src] of progs) {
    const r = spawnSync('cc', ['-O2', '-Wall', '-o', join(binDir, name), join(ROOT, src)], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`cc ${src} failed: ${r.stderr.trim().split('\n')[0]}`);
  }
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : 'unknown';
}

// The group running now, and the signal that stopped the suite. A worker leads a process
// group of its own, so that a signal ends it with all it started (servers, measured
// commands), and with them its namespace.
// (The driver only: a worker dies of the signal, as every process of its group does.)
let current = null;
let interrupted = null;
function forwardSignals() {
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      interrupted = sig;
      if (current) {
        try {
          process.kill(-current.pid, sig);
        } catch {
          // already gone
        }
      }
    });
  }
}

/** Run a worker; its stdout (the rows as JSON), exit status and signal. */
function runWorker(argv) {
  return new Promise((resolvePromise) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    current = child;
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.on('close', (status, signal) => {
      current = null;
      resolvePromise({ stdout, status, signal });
    });
  });
}

/** mkdir -p, a level at a time (Node's recursive mkdirSync spins for ever on /proc/self/x/y). */
function mkdirs(dir) {
  if (existsSync(dir)) return;
  mkdirs(dirname(dir));
  mkdirSync(dir);
}

// Every command measured runs without NODE_EXTRA_CA_CERTS. Where it is set (this machine
// sets it), every node process parses that bundle of certificates before it runs anything
// (219 KB here: `node -e 0` 40 ms -> 115 ms): a cost of the machine, not of svipc, that pads
// node-against-node ratios and weighs on svipc against C. The results say so (CA_NOTE).
const CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
delete process.env.NODE_EXTRA_CA_CERTS;
const CA_NOTE = CA_CERTS
  ? `- environment: NODE_EXTRA_CA_CERTS (set here, to ${CA_CERTS}) removed for every command measured, svipc and node baselines alike: with it, every node process parses those certificates first`
  : '- environment: NODE_EXTRA_CA_CERTS is not set';

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.worker) return worker(o.worker);
  forwardSignals();

  // Where the results go must be writable before minutes of measuring, not after.
  try {
    mkdirs(dirname(o.out));
    accessSync(dirname(o.out), constants.W_OK);
  } catch (e) {
    process.stderr.write(`bench: cannot write ${o.out}: ${e.message}\n`);
    process.exit(1);
  }

  if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) {
    process.stderr.write('bench: svipc is not built: run npm run build first\n');
    process.exit(1);
  }
  if (spawnSync('cc', ['--version'], { stdio: 'ignore' }).status !== 0) {
    process.stderr.write('bench: no C compiler (cc) for the baselines\n');
    process.exit(1);
  }
  const t0 = Date.now();
  const load0 = loadavg();
  const tmp = mkdtempSync(join(tmpdir(), 'svipc-bench-'));
  const bin = join(tmp, 'bin');
  mkdirSync(bin);
  const nsOk = spawnSync('unshare', ['--ipc', 'true'], { stdio: 'ignore' }).status === 0;
  const results = [];
  let failed = false;
  try {
    build(bin);
    for (const [group, g] of Object.entries(GROUPS)) {
      if (o.only && !o.only.includes(group)) continue;
      log(`== ${group}: ${g.about}`);
      let rows;
      if (!nsOk && g.ns) {
        rows = [
          notRun(group, 'skipped: needs a private IPC namespace (unshare --ipc is not permitted here)'),
        ];
      } else {
        const w = JSON.stringify({ group, quick: o.quick, pairs: o.pairs, bin, tmp, inNs: nsOk });
        const argv = [process.execPath, SELF, '--worker', w];
        const r = await runWorker(nsOk ? ['unshare', '--ipc', ...argv] : argv);
        if (interrupted) break;
        try {
          rows = JSON.parse(r.stdout.trim().split('\n').pop());
        } catch {
          rows = [notRun(group, `failed: the worker exited ${r.status ?? r.signal} without results`)];
        }
      }
      for (const row of rows) {
        if (row.status.startsWith('failed')) failed = true;
        results.push({ group, ...summarize(row) });
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (interrupted) {
    process.stderr.write(`bench: interrupted by ${interrupted}: no results written\n`);
    process.exit(interrupted === 'SIGINT' ? 130 : 143);
  }

  const secs = (Date.now() - t0) / 1000;
  const svgPath = o.out.replace(/(\.md)?$/, '.svg');
  const cpu = cpus();
  const title = `svipc / baseline, ${o.quick ? '--quick' : 'full'} run ${new Date().toISOString().slice(0, 16)}Z`;
  const md = [
    '# svipc benchmarks',
    '',
    `Made by \`npm run bench${o.quick ? ' -- --quick' : ''}${o.only ? ` --only ${o.only.join(',')}` : ''}\` (bench/run.mjs) on ${new Date().toISOString()}, in ${secs.toFixed(0)} s.`,
    '',
    `- machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), kernel ${release()}, Node ${process.version}, ${firstLine('ipcs', ['-V'])}`,
    `- load average before / after: ${load0.map((x) => x.toFixed(2)).join(' ')} / ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
    `- ${nsOk ? 'each group ran in its own private IPC namespace (`unshare --ipc`); each svshm transfer in one of its own' : 'unshare --ipc is not permitted here: the groups that need a whole namespace were skipped; the others ran in the host namespace on private objects'}`,
    `- ${o.pairs} pairs per figure, run alternately (svipc, baseline, svipc, baseline ...) after one warm-up run of each; ${o.quick ? '--quick sizes' : 'full sizes'}`,
    '- time: wall time of the whole command (start-up included), or, in ns/op rows, the loop alone as the program itself timed it',
    '- memory: peak resident set (getrusage ru_maxrss of the command and its children, the figure of /usr/bin/time -f %M)',
    '- ratio: svipc / baseline within each pair; median and min-max over the pairs (above 1: svipc slower or bigger)',
    CA_NOTE,
    '',
  ];
  for (const group of Object.keys(GROUPS)) {
    const rows = results.filter((r) => r.group === group);
    md.push(`## ${group}`, '', GROUPS[group].about, '');
    if (!rows.length) {
      md.push('Not run (--only).', '');
      continue;
    }
    md.push(table(rows), '');
    for (const r of rows) if (r.note) md.push(`- ${r.note}`);
    if (rows.some((r) => r.note)) md.push('');
  }
  md.push('## Chart', '', `![svipc / baseline ratios](${basename(svgPath)})`, '', '');
  try {
    writeFileSync(o.out, md.join('\n'));
    writeFileSync(svgPath, svg(results, title));
  } catch (e) {
    process.stderr.write(`bench: cannot write the results: ${e.message}\n`);
    process.exit(1);
  }
  log(`wrote ${o.out} and ${svgPath} (${secs.toFixed(0)} s)`);
  process.exit(failed ? 1 : 0);
}

await main();
