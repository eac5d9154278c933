// The hygiene modules in process: /proc/<pid>/stat and /proc/stat parsing, the holder parsers
// on fixtures (test/fixtures/proc/holders), the holder scan on a fake /proc tree, leak verdicts
// with a fake process table and holder scan, bounded input, snapshot checks and differences.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, test } from 'vitest';
import type { CommandContext } from '../../src/cli/context.js';
import { CommandError } from '../../src/cli/exit.js';
import { HeldRecords } from '../../src/hygiene/held.js';
import { type HolderScan, type Holders, scanHolders } from '../../src/hygiene/holders.js';
import { readInput, VERDICT_EXIT } from '../../src/hygiene/input.js';
import {
  judge,
  judgePosix,
  LeakFinder,
  type LeakOptions,
  leakRow,
  leakRowText,
} from '../../src/hygiene/leaks.js';
import { removePosixIfSame } from '../../src/hygiene/posix.js';
import {
  type PidState,
  ProcessChecker,
  parseBootTime,
  parseStartTicks,
} from '../../src/hygiene/processes.js';
import {
  asSnapshot,
  describeRecord,
  diffSnapshots,
  posixNotComparedNote,
  SnapshotFormatError,
} from '../../src/hygiene/snapshot.js';
import type { QueueRecord, SegmentRecord, SemaphoreRecord } from '../../src/ipc/inventory.js';
import type { PosixRecord } from '../../src/ipc/posix-inventory.js';
import {
  BLOCKING_SYSCALLS,
  hidesProcesses,
  isKernelThread,
  mapsDevice,
  parseHidepid,
  parseMapsFiles,
  parseMapsSysv,
  parseSyscallLine,
} from '../../src/proc/holders.js';
import { JsonRows, toJson } from '../../src/render/json.js';
import { ROOT } from '../helpers/run.js';

const fixture = (name: string) => readFileSync(join(ROOT, 'test/fixtures/proc/holders', name), 'utf8');

const perm = { key: 0, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600 };
const seg = (o: Partial<SegmentRecord>): SegmentRecord => ({
  kind: 'shm',
  id: 1,
  ...perm,
  size: 4096,
  cpid: 100,
  lpid: 0,
  nattch: 0,
  atime: 0,
  dtime: 0,
  ctime: 1000,
  rss: null,
  swap: null,
  dest: false,
  locked: false,
  ...o,
});
const queue = (o: Partial<QueueRecord>): QueueRecord => ({
  kind: 'msg',
  id: 2,
  ...perm,
  cbytes: 0,
  qnum: 0,
  qbytes: null,
  lspid: 0,
  lrpid: 0,
  stime: 0,
  rtime: 0,
  ctime: 1000,
  ...o,
});
const sems = (o: Partial<SemaphoreRecord>): SemaphoreRecord => ({
  kind: 'sem',
  id: 3,
  ...perm,
  nsems: 1,
  otime: 1000,
  ctime: 1000,
  elements: [{ semnum: 0, value: 1, ncount: 0, zcount: 0, pid: 300 }],
  ...o,
});

/** Processes 200 and 300 alive; 400 alive but started after the operation (reused). */
const checker = {
  state(pid: number, when = 0): PidState {
    if (pid <= 0) return 'none';
    if (pid === 400 && when > 0) return 'reused';
    return pid === 200 || pid === 300 || pid === 400 ? 'alive' : 'gone';
  },
};

const NOBODY: Holders = { attached: [], waiting: [] };
/** A holder scan that saw every process and found `found` (by 'kind:id'). */
const scanOf = (
  found: Record<string, Holders> = {},
  blind: string | null = null,
): Pick<HolderScan, 'holders' | 'attachBlind' | 'waitBlind'> => ({
  holders: (kind, id) => found[`${kind}:${id}`] ?? NOBODY,
  attachBlind: blind,
  waitBlind: blind,
});
const opts = (o: Partial<LeakOptions> = {}): LeakOptions => ({ checker, holders: scanOf(), ...o });

describe('processes', () => {
  test('start time is field 22, even when comm holds spaces and parentheses', () => {
    const stat = '1234 (a) b (c)) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 200 ...';
    expect(parseStartTicks(stat)).toBe(98765);
    expect(parseStartTicks('garbage')).toBe(null);
    expect(parseBootTime('cpu 1 2 3\nbtime 1700000000\nprocesses 5\n')).toBe(1700000000);
    expect(parseBootTime('cpu 1\n')).toBe(null);
  });
});

describe('a process checker answers the same for a pid all along', () => {
  const dir = mkdtempSync(join(tmpdir(), 'svipc-checker-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  test('a pid read once: gone since, or reused since, it is still the process first seen', () => {
    writeFileSync(join(dir, 'stat'), 'cpu 1\nbtime 1000\n');
    const start = (ticks: number) => `77 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 ${ticks} 0 0`;
    mkdirSync(join(dir, '77'));
    writeFileSync(join(dir, '77/stat'), start(500)); // started at 1005
    const c = new ProcessChecker(dir);
    expect(c.state(77, 1010)).toBe('alive');
    writeFileSync(join(dir, '77/stat'), start(5000)); // another process, started at 1050
    expect(c.state(77, 1010)).toBe('alive');
    rmSync(join(dir, '77'), { recursive: true });
    expect(c.state(77, 1010)).toBe('alive');
    expect(new ProcessChecker(dir).state(77, 1010)).toBe('gone');
  });
});

describe('leak verdicts', () => {
  test('a segment: nattch 0 and creator and last user gone', () => {
    const [v] = judge([seg({ cpid: 100, lpid: 101 })], opts({ now: 5000 }));
    expect(v!.leaked).toBe(true);
    expect(v!.reasons).toEqual(['nattch 0', 'creator pid 100 is gone', 'last shmat/shmdt pid 101 is gone']);
    expect(judge([seg({ nattch: 1 })], opts())[0]!.leaked).toBe(false);
    expect(judge([seg({ cpid: 200 })], opts())[0]!.leaked).toBe(false);
    expect(judge([seg({ dest: true })], opts())[0]!.leaked).toBe(false);
  });

  test('a reused pid counts as gone', () => {
    const [v] = judge([seg({ cpid: 400, lpid: 0 })], opts());
    expect(v!.leaked).toBe(true);
    expect(v!.reasons[1]).toBe('creator pid 400 is gone (the pid now belongs to a newer process)');
  });

  test('a queue: last sender and receiver gone, or never used', () => {
    expect(judge([queue({ lspid: 101, lrpid: 102, qnum: 2 })], opts())[0]!.leaked).toBe(true);
    expect(judge([queue({ lspid: 101, lrpid: 200 })], opts())[0]!.leaked).toBe(false);
    const [v] = judge([queue({})], opts());
    expect(v!.leaked).toBe(true);
    expect(v!.reasons.slice(0, 3)).toEqual([
      'nobody waiting in msgrcv/msgsnd',
      'no msgsnd ever',
      'no msgrcv ever',
    ]);
  });

  test('a semaphore set: last semop pids gone and nobody waiting; unreadable sets unknown', () => {
    const gone = [{ semnum: 0, value: 1, ncount: 0, zcount: 0, pid: 101 }];
    expect(judge([sems({ elements: gone })], opts())[0]!.leaked).toBe(true);
    expect(judge([sems({})], opts())[0]!.leaked).toBe(false);
    const waiting = [{ semnum: 0, value: 0, ncount: 1, zcount: 0, pid: 101 }];
    expect(judge([sems({ elements: waiting })], opts())[0]!.reasons[0]).toBe('1 process waiting');
    expect(judge([sems({ elements: waiting })], opts())[0]!.leaked).toBe(false);
    expect(judge([sems({ elements: null })], opts())[0]!.verdict).toBe('unknown');
  });

  test('a queue with a thread blocked on it is in use, its waiters listed, whatever the kernel recorded', () => {
    const scan = scanOf({
      'msg:2': { attached: [], waiting: [{ pid: 500, tid: 501, call: 'msgrcv' }] },
      'msg:7': { attached: [], waiting: [{ pid: 600, tid: 600, call: 'msgsnd' }] },
    });
    const [a, b, c] = judge(
      [queue({}), queue({ id: 7, lspid: 101 }), queue({ id: 8 })],
      opts({ holders: scan }),
    );
    expect([a!.verdict, b!.verdict, c!.verdict]).toEqual(['in use', 'in use', 'leaked']);
    expect(a!.reasons[0]).toBe('waiting: pid 500 (thread 501) in msgrcv');
    expect(b!.reasons[0]).toBe('waiting: pid 600 in msgsnd');
    expect(a!.holders.waiting).toEqual([{ pid: 500, tid: 501, call: 'msgrcv' }]);
  });

  test('a queue nobody is seen using while some processes could not be looked at: unknown, never leaked', () => {
    const why = 'the /proc entries of 3 processes cannot be read (EACCES, e.g. /proc/1/ns/ipc)';
    const [v] = judge([queue({ lspid: 101 })], opts({ holders: scanOf({}, why) }));
    expect(v!.verdict).toBe('unknown');
    expect(v!.leaked).toBe(false);
    expect(v!.reasons[0]).toBe(`cannot tell whether a process waits in msgrcv/msgsnd: ${why}`);
    // A live recorded pid still proves use.
    expect(judge([queue({ lspid: 200 })], opts({ holders: scanOf({}, why) }))[0]!.verdict).toBe('in use');
  });

  test('segments and sets: the kernel counts prove nobody holds them, a blind scan does not matter', () => {
    const blind = scanOf({}, 'hidden');
    expect(judge([seg({ cpid: 100 })], opts({ holders: blind }))[0]!.verdict).toBe('leaked');
    const gone = [{ semnum: 0, value: 1, ncount: 0, zcount: 0, pid: 101 }];
    expect(judge([sems({ elements: gone })], opts({ holders: blind }))[0]!.verdict).toBe('leaked');
    // Attached (seen by the scan) or attached but not seen: in use, and the blind spot said.
    const seen = scanOf({ 'shm:1': { attached: [700, 701], waiting: [] } });
    const [a] = judge([seg({ nattch: 2 })], opts({ holders: seen }));
    expect(a!.verdict).toBe('in use');
    expect(a!.reasons.slice(0, 2)).toEqual(['2 attached', 'attached by pid 700, 701']);
    expect(a!.holders.attached).toEqual([700, 701]);
    expect(judge([seg({ nattch: 1 })], opts({ holders: blind }))[0]!.reasons[1]).toBe(
      'who is attached cannot all be seen: hidden',
    );
    // A set waited on (scan) with unreadable values: in use, not unknown.
    const waiter = scanOf({ 'sem:3': { attached: [], waiting: [{ pid: 800, tid: 800, call: 'semop' }] } });
    expect(judge([sems({ elements: null })], opts({ holders: waiter }))[0]!.verdict).toBe('in use');
  });

  test('--min-age leaves out young objects', () => {
    expect(judge([queue({ ctime: 990 })], opts({ now: 1000, minAgeSeconds: 60 }))).toEqual([]);
    expect(judge([queue({ ctime: 900 })], opts({ now: 1000, minAgeSeconds: 60 }))).toHaveLength(1);
  });
});

describe('holder parsers (fixtures)', () => {
  test('maps: the shmids of /SYSV%08x (deleted) lines, each once; other files are not segments', () => {
    expect(parseMapsSysv(fixture('maps.txt'))).toEqual([32769, 0]);
    expect(parseMapsSysv('')).toEqual([]);
  });

  test('syscall lines: msgrcv/msgsnd/semtimedop/semop and the id (int) they wait on; the rest null', () => {
    const lines = fixture('syscall.txt').trim().split('\n');
    const x64 = BLOCKING_SYSCALLS.x64!;
    expect(lines.map((l) => parseSyscallLine(l, x64))).toEqual([
      { call: 'msgrcv', id: 3 },
      { call: 'msgsnd', id: 1 },
      { call: 'semtimedop', id: 42 },
      { call: 'semop', id: 7 }, // upper 32 bits of the register are not part of the int
      null, // read(2)
      null, // id -1: not an object
      null, // not in a call
      null, // running
      null, // 188 is not a System V call on x86_64
    ]);
    expect(parseSyscallLine(lines[8]!, BLOCKING_SYSCALLS.arm64!)).toEqual({ call: 'msgrcv', id: 5 });
    expect(BLOCKING_SYSCALLS.ia32).toBeUndefined();
  });

  test('stat flags: kernel threads (PF_KTHREAD) are told apart', () => {
    const kthread = '2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0';
    const user = '1234 (a) b (c)) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000';
    expect(isKernelThread(kthread)).toBe(true);
    expect(isKernelThread(user)).toBe(false);
    expect(isKernelThread('garbage')).toBe(null);
  });

  test('mountinfo: the hidepid= of the last proc mount on the point', () => {
    const info = fixture('mountinfo.txt');
    expect(parseHidepid(info)).toBe('invisible');
    expect(parseHidepid(info, '/srv/proc')).toBe('0');
    expect(parseHidepid(info.split('\n')[0]!)).toBe('0');
    expect(parseHidepid(info, '/nowhere')).toBe(null);
    expect([
      hidesProcesses('0'),
      hidesProcesses('off'),
      hidesProcesses('2'),
      hidesProcesses('invisible'),
    ]).toEqual([false, false, true, true]);
  });
});

describe('holder scan on a fake /proc', () => {
  const dir = mkdtempSync(join(tmpdir(), 'svipc-proc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const userStat = (pid: number) => `${pid} (x) S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0`;
  function proc(
    pid: string,
    o: { ns: string; stat?: string; maps?: string; tasks?: Record<number, string> },
  ) {
    const d = join(dir, pid);
    mkdirSync(join(d, 'ns'), { recursive: true });
    symlinkSync(o.ns, join(d, 'ns/ipc'));
    writeFileSync(join(d, 'stat'), o.stat ?? userStat(Number(pid) || 1));
    writeFileSync(join(d, 'maps'), o.maps ?? '');
    for (const [tid, line] of Object.entries(o.tasks ?? {})) {
      mkdirSync(join(d, 'task', tid), { recursive: true });
      writeFileSync(join(d, 'task', tid, 'syscall'), `${line}\n`);
    }
    if (!o.tasks) mkdirSync(join(d, 'task'), { recursive: true });
  }
  proc('self', { ns: 'ipc:[1]' });
  writeFileSync(join(dir, 'self/mountinfo'), `22 27 0:21 / ${dir} rw - proc proc rw\n`);
  const sysv = (id: number) => `7f00-7f01 rw-s 00000000 00:01 ${id}   /SYSV00000000 (deleted)\n`;
  proc('10', {
    ns: 'ipc:[1]',
    maps: sysv(5),
    tasks: { 10: 'running', 11: '70 0x3 0x0 0x0 0x0 0x0 0x0 0x0 0x0' },
  });
  proc('20', {
    ns: 'ipc:[1]',
    maps: sysv(5) + sysv(6),
    tasks: { 20: '220 0x4 0x0 0x1 0x0 0x0 0x0 0x0 0x0' },
  });
  // Another IPC namespace: its id 3 is another queue.
  proc('30', { ns: 'ipc:[2]', maps: sysv(5), tasks: { 30: '70 0x3 0x0 0x0 0x0 0x0 0x0 0x0 0x0' } });
  proc('2', { ns: 'ipc:[1]', stat: '2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0' });

  test('attached pids and waiting threads per object, this namespace only, kernel threads skipped', () => {
    const s = scanHolders({ proc: dir, arch: 'x64', euid: 0 });
    expect(s.holders('shm', 5)).toEqual({ attached: [10, 20], waiting: [] });
    expect(s.holders('shm', 6).attached).toEqual([20]);
    expect(s.holders('msg', 3)).toEqual({ attached: [], waiting: [{ pid: 10, tid: 11, call: 'msgrcv' }] });
    expect(s.holders('sem', 4).waiting).toEqual([{ pid: 20, tid: 20, call: 'semtimedop' }]);
    expect(s.holders('msg', 4).waiting).toEqual([]);
    expect([s.attachBlind, s.waitBlind, s.unreadable, s.processes]).toEqual([null, null, [], 2]);
  });

  test('an unknown architecture: waiters unknown, with the reason; hidepid= without root: blind', () => {
    const s = scanHolders({ proc: dir, arch: 'mips', euid: 0 });
    expect(s.waitBlind).toBe('svipc does not know the syscall numbers of mips');
    expect(s.attachBlind).toBe(null);
    writeFileSync(join(dir, 'self/mountinfo'), `22 27 0:21 / ${dir} rw - proc proc rw,hidepid=2\n`);
    const h = scanHolders({ proc: dir, arch: 'x64', euid: 1000 });
    expect(h.waitBlind).toBe(`${dir} is mounted with hidepid=2: other users' processes are hidden`);
    expect(scanHolders({ proc: dir, arch: 'x64', euid: 0 }).waitBlind).toBe(null);
  });
});

describe('holder scan of POSIX objects on a fake /proc', () => {
  const dir = mkdtempSync(join(tmpdir(), 'svipc-proc-posix-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // The objects: real files (the scan stats an fd's link target to learn which file it is).
  mkdirSync(join(dir, 'shm'));
  for (const f of ['seg', 'sem.lock', 'idle']) writeFileSync(join(dir, 'shm', f), 'x');
  const st = (f: string) => statSync(join(dir, 'shm', f), { bigint: true });
  const id = (f: string) => `${st(f).dev}:${st(f).ino}`;
  const mapsLine = (f: string) => {
    const dev = Number(st(f).dev);
    // glibc's major()/minor() of st_dev, as the kernel prints them in maps.
    const major = ((dev >> 8) & 0xfff).toString(16).padStart(2, '0');
    const minor = (dev & 0xff).toString(16).padStart(2, '0');
    return `7f00-7f01 rw-s 00000000 ${major}:${minor} ${st(f).ino}   /dev/shm/${f}\n`;
  };
  function proc(pid: string, o: { ns: string; maps?: string; fds?: Record<string, string> }) {
    const d = join(dir, pid);
    mkdirSync(join(d, 'ns'), { recursive: true });
    mkdirSync(join(d, 'task'), { recursive: true });
    mkdirSync(join(d, 'fd'), { recursive: true });
    symlinkSync(o.ns, join(d, 'ns/ipc'));
    writeFileSync(join(d, 'stat'), `${pid} (x) S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0`);
    writeFileSync(join(d, 'maps'), o.maps ?? '');
    for (const [fd, target] of Object.entries(o.fds ?? {})) symlinkSync(target, join(d, 'fd', fd));
  }
  proc('self', { ns: 'ipc:[1]' });
  writeFileSync(join(dir, 'self/mountinfo'), `22 27 0:21 / ${dir} rw - proc proc rw\n`);
  proc('40', { ns: 'ipc:[1]', fds: { 0: '/dev/null', 3: join(dir, 'shm/seg') } });
  // Another IPC namespace: its System V ids are other objects, but it shares this /dev/shm.
  proc('50', { ns: 'ipc:[2]', maps: mapsLine('sem.lock') + mapsLine('seg') });
  const targets = ['seg', 'sem.lock', 'idle'].map((f) => ({ path: join(dir, 'shm', f), file: f, id: id(f) }));

  test('open (fd links) and mapped (maps lines), by device and inode, in any IPC namespace', () => {
    const s = scanHolders({ proc: dir, arch: 'x64', euid: 0, posix: targets });
    expect(s.posixHolders(id('seg'))).toEqual({ open: [40], mapped: [50] });
    expect(s.posixHolders(id('sem.lock'))).toEqual({ open: [], mapped: [50] });
    expect(s.posixHolders(id('idle'))).toEqual({ open: [], mapped: [] });
    expect(s.posixBlind).toBe(null);
    // System V is unchanged: the process of the other namespace is not counted.
    expect(s.processes).toBe(1);
  });

  test('without targets, fds are not read; maps devices are converted as glibc makedev', () => {
    expect(scanHolders({ proc: dir, arch: 'x64', euid: 0 }).posixHolders(id('seg'))).toEqual({
      open: [],
      mapped: [],
    });
    expect(mapsDevice('00:29')).toBe(41n);
    expect(mapsDevice('103:02')).toBe((0x103n << 8n) | 2n);
    expect(mapsDevice('fd:100')).toBe((0xfdn << 8n) | (0x100n << 12n));
    expect(
      parseMapsFiles(
        '7f-80 r-xp 0 00:00 0 \n7f-80 rw-s 0 00:29 7 /dev/shm/a\n7f-81 rw-s 0 00:29 7 /dev/shm/a\n',
      ),
    ).toEqual([{ id: '41:7', path: '/dev/shm/a' }]);
  });
});

describe('run --cleanup removes a POSIX object only while its name leads to the proven file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'svipc-removal-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // A stand-in file (never /dev/shm): these outcomes are decided before any unlink.
  const file = join(dir, 'obj');
  writeFileSync(file, 'x');
  const rec = { kind: 'pshm', name: '/svipc-unit-never-made', path: file };

  test('made again under the name since the proof: left alone, said why', () => {
    expect(removePosixIfSame(rec, '1:1')).toEqual({
      removed: false,
      kept: 'its name now leads to another object, made since: left alone',
    });
  });

  test('gone at the proof or since: counted as removed, nothing unlinked', () => {
    expect(removePosixIfSame(rec, null)).toEqual({ removed: true });
    expect(removePosixIfSame({ ...rec, path: join(dir, 'none') }, '1:1')).toEqual({ removed: true });
  });
});

describe('bounded, interruptible input', () => {
  const ctx = (signal = new AbortController().signal) => ({ signal }) as unknown as CommandContext;
  const dir = mkdtempSync(join(tmpdir(), 'svipc-input-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a file is read whole up to the limit; past it, one clear error with the trouble exit code', async () => {
    writeFileSync(join(dir, 'ten'), '0123456789');
    expect((await readInput(ctx(), join(dir, 'ten'), 10)).toString()).toBe('0123456789');
    const e = await readInput(ctx(), join(dir, 'ten'), 9).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CommandError);
    expect((e as CommandError).message).toMatch(/ten: larger than .* MiB, the most a snapshot may be$/);
    expect((e as CommandError).exitCode).toBe(VERDICT_EXIT.TROUBLE);
  });

  test('an endless device stops at the limit', async () => {
    const e = await readInput(ctx(), '/dev/zero', 3 * 1024 * 1024).catch((x: unknown) => x);
    expect((e as CommandError).message).toBe('/dev/zero: larger than 3 MiB, the most a snapshot may be');
  });

  test('missing files and directories are one-line errors', async () => {
    const miss = await readInput(ctx(), join(dir, 'none')).catch((x: unknown) => x);
    expect((miss as CommandError).message).toBe(`${join(dir, 'none')}: No such file or directory`);
    const d = await readInput(ctx(), dir).catch((x: unknown) => x);
    expect((d as CommandError).message).toBe(`${dir}: Is a directory`);
  });

  test('any errno is said by the one strerror (a symlink loop too, which had no text of its own)', async () => {
    symlinkSync('loop', join(dir, 'loop'));
    const e = await readInput(ctx(), join(dir, 'loop')).catch((x: unknown) => x);
    expect((e as CommandError).message).toBe(`${join(dir, 'loop')}: Too many levels of symbolic links`);
    expect((e as CommandError).exitCode).toBe(VERDICT_EXIT.TROUBLE);
  });
});

describe('snapshots', () => {
  const q = (id: number, key = 0) => ({ kind: 'msg', id, key });
  test('asSnapshot accepts list documents and explains the rest', () => {
    expect(asSnapshot({ schemaVersion: 1, mode: 'list', queues: [q(1)] }).queues).toHaveLength(1);
    expect(() => asSnapshot([])).toThrow(SnapshotFormatError);
    expect(() => asSnapshot({ schemaVersion: 3, mode: 'list' })).toThrow('schemaVersion 3 (1 or 2 expected)');
    expect(() => asSnapshot({ schemaVersion: 1, mode: 'id' })).toThrow("mode 'id'");
    expect(() => asSnapshot({ schemaVersion: 1, mode: 'list', queues: [1] })).toThrow(
      "'queues' is not a list of records",
    );
  });

  test('objects are the same when kind, id and key match', () => {
    const before = asSnapshot({ schemaVersion: 1, mode: 'list', queues: [q(1), q(2, 5)] });
    const after = asSnapshot({ schemaVersion: 1, mode: 'list', queues: [q(1), q(2, 6), q(3)] });
    const d = diffSnapshots(before, after);
    expect(d.appeared.map((r) => [r.id, r.key])).toEqual([
      [2, 6],
      [3, 0],
    ]);
    expect(d.disappeared.map((r) => [r.id, r.key])).toEqual([[2, 5]]);
    // A section one document lacks (ipcs --json -m has no queues) is not compared.
    const shmOnly = asSnapshot({ schemaVersion: 1, mode: 'list', segments: [] });
    expect(diffSnapshots(shmOnly, after)).toMatchObject({ appeared: [], disappeared: [] });
    expect(diffSnapshots(shmOnly, after).notCompared).toContain('queues');
  });

  const p = (kind: string, name: string, extra: Record<string, unknown> = {}) => ({
    kind,
    name,
    path: `/dev/shm/${name.slice(1)}`,
    perms: 0o640,
    uid: 0,
    user: 'root',
    ...extra,
  });
  const v2 = (o: Record<string, unknown>) =>
    asSnapshot({ schemaVersion: 2, mode: 'list', queues: [], segments: [], semaphores: [], ...o });

  test('version 2: POSIX objects are the same when kind and name match', () => {
    const before = v2({
      posixQueues: [],
      posixSemaphores: [p('psem', '/a')],
      posixSegments: [p('pshm', '/a')],
    });
    const after = v2({
      posixQueues: [p('pmsg', '/q')],
      posixSemaphores: [p('psem', '/a', { value: 9 })],
      posixSegments: [p('pshm', '/b')],
    });
    const d = diffSnapshots(before, after);
    expect(d.appeared.map((r) => `${r.kind}${r.name}`)).toEqual(['pmsg/q', 'pshm/b']);
    expect(d.disappeared.map((r) => `${r.kind}${r.name}`)).toEqual(['pshm/a']);
    expect(d.notCompared).toEqual([]);
    expect(posixNotComparedNote(d, before, 'b.json')).toBe(null);
  });

  test('a version 1 document has no POSIX part: POSIX objects are not compared, and the note says why', () => {
    // POSIX sections in a version 1 document are not read (version 1 has none).
    const v1 = asSnapshot({ schemaVersion: 1, mode: 'list', queues: [], posixSegments: [p('pshm', '/x')] });
    expect(v1.posixSegments).toBeUndefined();
    const now = v2({ posixQueues: [], posixSemaphores: [], posixSegments: [p('pshm', '/new')] });
    const d = diffSnapshots(v1, now);
    expect(d.appeared).toEqual([]);
    expect(posixNotComparedNote(d, v1, 'old.json')).toBe(
      'old.json is a version 1 snapshot (System V only): POSIX objects not compared',
    );
    // Queues unlisted (no /dev/mqueue) in one of two version 2 snapshots.
    const noQueues = v2({ posixSemaphores: [], posixSegments: [] });
    const dq = diffSnapshots(
      noQueues,
      v2({ posixQueues: [p('pmsg', '/q')], posixSemaphores: [], posixSegments: [] }),
    );
    expect(dq.appeared).toEqual([]);
    expect(posixNotComparedNote(dq, noQueues, 'x')).toMatch(
      /^POSIX message queues not compared: \/dev\/mqueue/,
    );
    expect(() => v2({ posixSegments: [{ kind: 'shm', id: 1 }] })).toThrow(
      "'posixSegments' is not a list of records",
    );
  });

  test('one line per POSIX object, by name, sizes for people', () => {
    expect(describeRecord(p('pshm', '/frames', { size: 5000 }))).toBe(
      'posix shm /frames owner root rw-r-----: 4.9K',
    );
    expect(describeRecord(p('pmsg', '/jobs', { msgs: 1, qsize: 2048 }))).toBe(
      'posix queue /jobs owner root rw-r-----: 1 message, 2K',
    );
    expect(describeRecord(p('pmsg', '/jobs', { msgs: null, qsize: null }))).toBe(
      'posix queue /jobs owner root rw-r-----: messages unknown, size unknown',
    );
    expect(describeRecord(p('psem', '/lock', { value: 0 }))).toBe(
      'posix semaphore /lock owner root rw-r-----: value 0',
    );
    expect(describeRecord(p('psem', '/lock', { value: null }))).toBe(
      'posix semaphore /lock owner root rw-r-----: value unknown',
    );
  });
});

/** A set of three semaphores with waiters on two of them, its middle value `middle`, no semop ever. */
function setOfThree(middle: number) {
  return sems({
    nsems: 3,
    elements: [
      { semnum: 0, value: 5, ncount: 0, zcount: 0, pid: 0 },
      { semnum: 1, value: middle, ncount: 2, zcount: 0, pid: 0 },
      { semnum: 2, value: 0, ncount: 0, zcount: 1, pid: 0 },
    ],
  });
}

describe('a leak document holds what it lists compactly', () => {
  test('a set held (its semaphores packed) is judged again to the same row; other records are kept as they are', () => {
    const finder = new LeakFinder(0); // this host's holder scan: only its answers for pids 0 are used
    const names = { user: (id: number) => String(id), group: (id: number) => String(id) };
    const set = setOfThree(32767);
    const held = finder.hold(set);
    expect(held).not.toBe(set);
    expect(leakRow(finder.again(held), names)).toEqual(leakRow(finder.again(set), names));
    expect(leakRow(finder.again(held), names).reasons[0]).toBe('3 processes waiting');
    const q = queue({});
    expect(finder.hold(q)).toBe(q);
    expect(finder.hold(sems({ elements: null }))).toEqual(sems({ elements: null }));
  });
});

describe('a leak row written straight from its verdict (leaks --json)', () => {
  const names = { user: (id: number) => (id === 7 ? 'a "quoted" \\ user' : null), group: () => 'é\u2028' };
  const row = (v: Parameters<typeof leakRowText>[0]) => toJson(leakRow(v, names) as never);

  test('is byte for byte the text of the row, for every kind, holder and verdict', () => {
    const holders: Record<string, Holders> = {
      'shm:1': { attached: [200, 300], waiting: [] },
      'msg:2': {
        attached: [],
        waiting: [
          { pid: 500, tid: 501, call: 'msgrcv' },
          { pid: 6, tid: 6, call: 'msgsnd' },
        ],
      },
      'sem:3': { attached: [], waiting: [{ pid: 9, tid: 9, call: 'semop' }] },
    };
    const records = [
      seg({ uid: 7, nattch: 2 }),
      seg({ id: 4, cpid: 0, dest: true, rss: 4096 }),
      queue({ qbytes: 16384, lspid: 200, stime: 5 }),
      queue({ id: 5, uid: 7 }),
      sems({
        nsems: 2,
        elements: [
          { semnum: 0, value: 0, ncount: 1, zcount: 0, pid: 0 },
          { semnum: 1, value: 32767, ncount: 0, zcount: 2, pid: 300 },
        ],
      }),
      sems({ id: 6, elements: [] }),
      sems({ id: 7, elements: null }),
    ];
    for (const blind of [null, 'EACCES']) {
      const verdicts = judge(records, opts({ holders: scanOf(holders, blind) }));
      expect(new Set(verdicts.map((v) => v.verdict))).toEqual(new Set(['leaked', 'in use', 'unknown']));
      for (const v of verdicts) {
        expect(`${leakRowText(v, names, '', '  ')}\n`).toBe(row(v));
        expect(`${leakRowText(v, names, '', '\t')}\n`).toBe(toJson(leakRow(v, names) as never, '\t'));
      }
    }
    const posix = judgePosix(
      [
        {
          kind: 'pshm',
          name: '/a\n"b',
          path: '/dev/shm/a\n"b',
          mode: 0o600,
          uid: 7,
          gid: 0,
          mtime: 1,
          ctime: 1,
          atime: 1,
          size: 64,
        },
        {
          kind: 'pmsg',
          name: '/q',
          path: '/dev/mqueue/q',
          mode: 0o644,
          uid: 0,
          gid: 0,
          mtime: 1,
          ctime: 1,
          atime: 1,
          qsize: 3,
          msgs: null,
        },
      ],
      {
        now: 2000,
        idOf: (r) => r.name,
        holders: {
          posixHolders: (id) => (id === '/q' ? { open: [7, 8], mapped: [9] } : { open: [], mapped: [] }),
          posixBlind: null,
        },
      },
    );
    for (const v of posix) expect(`${leakRowText(v, names, '', '  ')}\n`).toBe(row(v));
    // At the depth of the document's list, as jsonChunks writes it.
    const doc = {
      objects: JsonRows.of(
        posix,
        (v) => leakRow(v, names) as never,
        (v, i, s) => leakRowText(v, names, i, s),
      ),
    };
    expect(toJson(doc)).toBe(toJson({ objects: posix.map((v) => leakRow(v, names) as never) }));
  });

  test('a set held with its verdict is written as it was judged, its semaphores from the packed values', () => {
    const finder = new LeakFinder(0); // this host's holder scan: only its answers for pids 0 are used
    const set = setOfThree(65535);
    const v = finder.again(set);
    const held = finder.hold(set, v);
    expect(`${finder.text(held, names, '', '  ')}\n`).toBe(row(v));
    expect(`${finder.text(finder.hold(set), names, '  ', '  ')}`).toBe(leakRowText(v, names, '  ', '  '));
    const q = queue({});
    expect(`${finder.text(finder.hold(q, finder.again(q)), names, '', '  ')}\n`).toBe(row(finder.again(q)));
  });
});

describe('a document that holds its records keeps the young generation at its size', () => {
  test('records kept a few at a time do not grow it past its first doubling (they do without keepYoungGeneration)', () => {
    // A fresh process (this one's young generation may have grown already): held.ts bundled
    // by esbuild, then objects made with one in four kept, as leaks --json holds its rows.
    const dir = mkdtempSync(join(tmpdir(), 'svipc-young-'));
    try {
      const held = buildSync({
        entryPoints: [join(ROOT, 'src/hygiene/held.ts')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        write: false,
      });
      writeFileSync(join(dir, 'held.mjs'), held.outputFiles[0]!.text);
      writeFileSync(
        join(dir, 'main.mjs'),
        `import { getHeapSpaceStatistics } from 'node:v8';
import { keepYoungGeneration } from './held.mjs';
const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const before = young();
if (process.argv[2] === 'keep') keepYoungGeneration();
const kept = [];
for (let i = 0; i < 1e6; i++) {
  const o = { i, s: 'row ' + i };
  if (i % 4 === 0) kept.push(o);
}
process.stdout.write(JSON.stringify({ before, after: young(), kept: kept.length }));
`,
      );
      const run = (arg: string) => {
        const r = spawnSync(process.execPath, [join(dir, 'main.mjs'), arg], { encoding: 'utf8' });
        expect(r.stderr).toBe('');
        return JSON.parse(r.stdout) as { before: number; after: number };
      };
      // Without it the generation doubles again and again (1 MB to 32 MB); with it, V8 still
      // doubles it once on its own at the start (1 MB to 2 MB), and no more.
      const grown = run('grow');
      expect(grown.after).toBeGreaterThan(4 * grown.before);
      const kept = run('keep');
      expect(kept.after).toBeLessThanOrEqual(2 * kept.before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('records held compactly', () => {
  test('every record comes back equal (keys in order, null, booleans, -0), in the order held', () => {
    const held = new HeldRecords<object>();
    const all: object[] = [];
    const add = (r: object) => {
      held.hold(r);
      all.push(r);
    };
    for (let i = 0; i < 2500; i++) {
      add(queue({ id: i, lspid: i * 7, qbytes: i % 3 === 0 ? null : 2 ** 40 + i, stime: -0 }));
      if (i % 500 === 0) add(seg({ id: i, dest: i % 1000 === 0, rss: null, size: 2 ** 53 - 1 }));
    }
    add(sems({})); // its semaphores: kept as it is
    add({ kind: 'pshm', name: '/a', size: 1 });
    add({ kind: 'pshm', name: '/b', size: 2 }); // another name than its shape's: kept as it is
    add(queue({ qnum: Number.NaN })); // NaN is not null: kept as it is
    const back = [...held];
    expect(held.length).toBe(all.length);
    expect(back).toEqual(all);
    expect(back.map((r) => Object.keys(r).join())).toEqual(all.map((r) => Object.keys(r).join()));
    expect(Object.is((back[0] as QueueRecord).stime, -0)).toBe(true);
    expect(back[0]).not.toBe(all[0]); // packed, made again
    expect(back.at(-4)).toBe(all.at(-4)); // the set: the same object
    expect([...held]).toEqual(all); // again
  });
});

describe('POSIX leak verdicts', () => {
  const rec = (kind: 'pshm' | 'psem' | 'pmsg', name: string, t = 1000): PosixRecord => {
    const base = {
      name,
      path: `/dev/shm/${name.slice(1)}`,
      mode: 0o600,
      uid: 0,
      gid: 0,
      mtime: t,
      ctime: t,
      atime: t,
    };
    if (kind === 'pshm') return { ...base, kind, size: 64 };
    if (kind === 'psem') return { ...base, kind, value: 1 };
    return { ...base, kind, qsize: 3, msgs: 1 };
  };
  const scan = (
    held: Record<string, { open?: number[]; mapped?: number[] }>,
    blind: string | null = null,
  ) => ({
    posixHolders: (id: string) => ({ open: held[id]?.open ?? [], mapped: held[id]?.mapped ?? [] }),
    posixBlind: blind,
  });
  const idOf = (r: PosixRecord) => `1:${r.name}`;

  test('open or mapped: in use, with the pids; held by nobody: leaked; cannot look: unknown', () => {
    const records = [rec('pshm', '/open'), rec('psem', '/mapped'), rec('pmsg', '/idle')];
    const v = judgePosix(records, {
      now: 2000,
      idOf,
      holders: scan({ '1:/open': { open: [7] }, '1:/mapped': { mapped: [8, 9] } }),
    });
    expect(v.map((x) => [x.record.name, x.verdict, x.leaked])).toEqual([
      ['/open', 'in use', false],
      ['/mapped', 'in use', false],
      ['/idle', 'leaked', true],
    ]);
    expect(v[0]!.reasons).toEqual(['open by pid 7', '64 bytes']);
    expect(v[1]!.reasons).toEqual(['mapped by pid 8, 9', 'value 1']);
    expect(v[2]!.reasons).toEqual(['no process has it open or mapped', '1 message queued']);
    const blind = judgePosix(records, {
      now: 2000,
      idOf,
      holders: scan({ '1:/open': { open: [7] } }, 'EACCES'),
    });
    expect(blind.map((x) => x.verdict)).toEqual(['in use', 'unknown', 'unknown']);
    expect(blind[2]!.reasons[0]).toBe('cannot tell whether a process has it open or mapped: EACCES');
  });

  test('--min-age leaves out objects changed since; an object gone since the listing is left out', () => {
    const v = judgePosix([rec('pshm', '/young', 1990), rec('pshm', '/old', 1000)], {
      now: 2000,
      minAgeSeconds: 60,
      idOf: (r) => (r.name === '/old' ? null : idOf(r)),
      holders: scan({}),
    });
    expect(v).toEqual([]);
  });
});
