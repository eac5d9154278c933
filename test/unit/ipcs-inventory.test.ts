// src/ipc/inventory.ts on objects this test creates (private keys, removed afterwards): the
// /proc reading and the syscall fallback give the same records; -i lookups fill what /proc lacks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Attachment, MessageQueue, SemaphoreSet, SharedMemory } from '../../src/ipc/index.js';
import {
  getQueue,
  getSegment,
  getSemaphore,
  listQueues,
  queueLimits,
  scanQueues,
  scanSegments,
  scanSemaphores,
  segmentLimits,
  semaphoreLimits,
} from '../../src/ipc/inventory.js';

let q: MessageQueue;
let s: SemaphoreSet;
let m: SharedMemory;
let att: Attachment;

beforeAll(() => {
  q = MessageQueue.create({ mode: 0o640 });
  q.send(5, Buffer.alloc(123));
  s = SemaphoreSet.create(3, { mode: 0o600 });
  s.setAll([2, 0, 7]);
  m = SharedMemory.create(5000, { mode: 0o604 });
  att = m.attach();
});

afterAll(() => {
  att?.detach();
  for (const o of [q, s, m]) {
    try {
      o?.remove();
    } catch {
      // already gone
    }
  }
});

describe('inventory', () => {
  it('finds our queue, from /proc and by syscall alike', () => {
    const proc = scanQueues().records.find((r) => r.id === q.id)!;
    expect(scanQueues().source).toBe('proc');
    expect(proc).toMatchObject({ kind: 'msg', key: 0, mode: 0o640, cbytes: 123, qnum: 1, qbytes: null });
    expect(proc.lspid).toBe(process.pid);
    const sys = scanQueues({ source: 'syscall' }).records.find((r) => r.id === q.id)!;
    expect({ ...sys, qbytes: null }).toEqual(proc);
    expect(getQueue(q.id)!.qbytes).toBe(q.stat().qbytes);
    expect(listQueues().some((r) => r.id === q.id)).toBe(true);
  });

  it('finds our semaphore set; getSemaphore reads every element', () => {
    const proc = scanSemaphores().records.find((r) => r.id === s.id)!;
    expect(proc).toMatchObject({ kind: 'sem', nsems: 3, elements: null });
    const sys = scanSemaphores({ source: 'syscall' }).records.find((r) => r.id === s.id)!;
    expect(sys).toEqual(proc);
    const full = getSemaphore(s.id)!;
    expect(full.elements!.map((e) => e.value)).toEqual([2, 0, 7]);
    expect(full.elements!.every((e) => e.pid === process.pid && e.ncount === 0 && e.zcount === 0)).toBe(true);
    const withValues = scanSemaphores({ values: true }).records.find((r) => r.id === s.id)!;
    expect(withValues.elements).toEqual(full.elements);
  });

  it('finds our attached segment', () => {
    const proc = scanSegments().records.find((r) => r.id === m.id)!;
    expect(proc).toMatchObject({
      kind: 'shm',
      size: 5000,
      nattch: 1,
      dest: false,
      locked: false,
      cpid: process.pid,
    });
    expect(proc.rss).not.toBeNull();
    const sys = scanSegments({ source: 'syscall' }).records.find((r) => r.id === m.id)!;
    expect(sys).toEqual({ ...proc, rss: null, swap: null });
    expect(getSegment(m.id)).toEqual(proc);
  });

  it('dest after IPC_RMID while attached', () => {
    const extra = SharedMemory.create(4096);
    const a = extra.attach();
    try {
      extra.remove();
      expect(getSegment(extra.id)).toMatchObject({ dest: true, key: 0, nattch: 1 });
    } finally {
      a.detach();
    }
    expect(getSegment(extra.id)).toBeNull();
  });

  it('gives null for an id nobody has', () => {
    expect(getQueue(2147483646)).toBeNull();
    expect(getSemaphore(2147483646)).toBeNull();
    expect(getSegment(2147483646)).toBeNull();
  });

  it('reads the limits, /proc/sys/kernel first', () => {
    expect(queueLimits()).toMatchObject({ source: 'proc' });
    expect(typeof segmentLimits()!.shmmax).toBe('bigint');
    expect(semaphoreLimits()!.semvmx).toBe(32767);
    expect(queueLimits({ kernelDir: '/nonexistent' })).toMatchObject({ source: 'ipc_info' });
    expect(segmentLimits({ kernelDir: '/nonexistent' })).toMatchObject({ source: 'ipc_info', shmmin: 1n });
    expect(semaphoreLimits({ kernelDir: '/nonexistent' })).toMatchObject({ source: 'ipc_info' });
  });

  it('IPC_INFO gives the limits /proc/sys/kernel shows, field for field', () => {
    const noProc = { kernelDir: '/nonexistent' };
    expect(queueLimits(noProc)).toEqual({ ...queueLimits(), source: 'ipc_info' });
    expect(segmentLimits(noProc)).toEqual({ ...segmentLimits(), source: 'ipc_info' });
    expect(semaphoreLimits(noProc)).toEqual({ ...semaphoreLimits(), source: 'ipc_info' });
  });
});
