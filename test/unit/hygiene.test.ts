// The hygiene modules in process: /proc/<pid>/stat and /proc/stat parsing, the holder parsers
// on fixtures (test/fixtures/proc/holders), the holder scan on a fake /proc tree, leak verdicts
// with a fake process table and holder scan, bounded input, snapshot checks and differences.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { CommandContext } from '../../src/cli/context.js';
import { CommandError } from '../../src/cli/exit.js';
import { type HolderScan, type Holders, scanHolders } from '../../src/hygiene/holders.js';
import { readInput, VERDICT_EXIT } from '../../src/hygiene/input.js';
import { judge, type LeakOptions } from '../../src/hygiene/leaks.js';
import { type PidState, parseBootTime, parseStartTicks } from '../../src/hygiene/processes.js';
import { asSnapshot, diffSnapshots, SnapshotFormatError } from '../../src/hygiene/snapshot.js';
import type { QueueRecord, SegmentRecord, SemaphoreRecord } from '../../src/ipc/inventory.js';
import {
  BLOCKING_SYSCALLS,
  hidesProcesses,
  isKernelThread,
  parseHidepid,
  parseMapsSysv,
  parseSyscallLine,
} from '../../src/proc/holders.js';
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
});

describe('snapshots', () => {
  const q = (id: number, key = 0) => ({ kind: 'msg', id, key });
  test('asSnapshot accepts list documents and explains the rest', () => {
    expect(asSnapshot({ schemaVersion: 1, mode: 'list', queues: [q(1)] }).queues).toHaveLength(1);
    expect(() => asSnapshot([])).toThrow(SnapshotFormatError);
    expect(() => asSnapshot({ schemaVersion: 2, mode: 'list' })).toThrow('schemaVersion 2 (1 expected)');
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
    expect(diffSnapshots(before, after, { queues: false, segments: true, semaphores: true })).toEqual({
      appeared: [],
      disappeared: [],
    });
  });
});
