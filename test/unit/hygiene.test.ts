// The hygiene modules in process: /proc/<pid>/stat and /proc/stat parsing, leak verdicts with
// a fake process table, snapshot checks and differences.
import { describe, expect, test } from 'vitest';
import { judge } from '../../src/hygiene/leaks.js';
import { type PidState, parseBootTime, parseStartTicks } from '../../src/hygiene/processes.js';
import { asSnapshot, diffSnapshots, SnapshotFormatError } from '../../src/hygiene/snapshot.js';
import type { QueueRecord, SegmentRecord, SemaphoreRecord } from '../../src/ipc/inventory.js';

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
    const [v] = judge([seg({ cpid: 100, lpid: 101 })], { checker, now: 5000 });
    expect(v!.leaked).toBe(true);
    expect(v!.reasons).toEqual(['nattch 0', 'creator pid 100 is gone', 'last shmat/shmdt pid 101 is gone']);
    expect(judge([seg({ nattch: 1 })], { checker })[0]!.leaked).toBe(false);
    expect(judge([seg({ cpid: 200 })], { checker })[0]!.leaked).toBe(false);
    expect(judge([seg({ dest: true })], { checker })[0]!.leaked).toBe(false);
  });

  test('a reused pid counts as gone', () => {
    const [v] = judge([seg({ cpid: 400, lpid: 0 })], { checker });
    expect(v!.leaked).toBe(true);
    expect(v!.reasons[1]).toBe('creator pid 400 is gone (the pid now belongs to a newer process)');
  });

  test('a queue: last sender and receiver gone, or never used', () => {
    expect(judge([queue({ lspid: 101, lrpid: 102, qnum: 2 })], { checker })[0]!.leaked).toBe(true);
    expect(judge([queue({ lspid: 101, lrpid: 200 })], { checker })[0]!.leaked).toBe(false);
    const [v] = judge([queue({})], { checker });
    expect(v!.leaked).toBe(true);
    expect(v!.reasons.slice(0, 2)).toEqual(['no msgsnd ever', 'no msgrcv ever']);
  });

  test('a semaphore set: last semop pids gone and nobody waiting; unreadable sets not judged', () => {
    const gone = [{ semnum: 0, value: 1, ncount: 0, zcount: 0, pid: 101 }];
    expect(judge([sems({ elements: gone })], { checker })[0]!.leaked).toBe(true);
    expect(judge([sems({})], { checker })[0]!.leaked).toBe(false);
    const waiting = [{ semnum: 0, value: 0, ncount: 1, zcount: 0, pid: 101 }];
    expect(judge([sems({ elements: waiting })], { checker })[0]!.reasons[0]).toBe('1 processes waiting');
    expect(judge([sems({ elements: waiting })], { checker })[0]!.leaked).toBe(false);
    expect(judge([sems({ elements: null })], { checker })[0]!.leaked).toBe(false);
  });

  test('--min-age leaves out young objects', () => {
    expect(judge([queue({ ctime: 990 })], { checker, now: 1000, minAgeSeconds: 60 })).toEqual([]);
    expect(judge([queue({ ctime: 900 })], { checker, now: 1000, minAgeSeconds: 60 })).toHaveLength(1);
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
