// /proc/sys/kernel limits read the way util-linux reads them (fscanf semantics, fallbacks).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseMsgLimits,
  parseSemLimits,
  parseShmLimits,
  readMsgLimits,
  readSemLimits,
  readShmLimits,
  scanInt,
  scanSemLine,
  scanU64,
} from '../../src/proc/limits.js';
import { KERNEL_FIXTURE as KERNEL } from '../helpers/proc-fixtures.js';

describe('scanners', () => {
  it('scanInt is fscanf %d: blanks, a sign, digits, the low 32 bits', () => {
    expect(scanInt('32000\n')).toBe(32000);
    expect(scanInt('  -5x')).toBe(-5);
    expect(scanInt('+7')).toBe(7);
    expect(scanInt('4294967297')).toBe(1);
    expect(scanInt('99999999999999999999999')).toBe(-1); // LONG_MAX truncated
    expect(scanInt('')).toBeNull();
    expect(scanInt('x1')).toBeNull();
  });

  it('scanU64 is fscanf %lu: exact above 2^53, a minus wraps, overflow saturates', () => {
    expect(scanU64('18446744073692774399\n')).toBe(18446744073692774399n);
    expect(scanU64('-1')).toBe(18446744073709551615n);
    expect(scanU64('99999999999999999999999')).toBe(18446744073709551615n);
    expect(scanU64('\n')).toBeNull();
  });

  it('scanSemLine needs all four numbers', () => {
    expect(scanSemLine('32000\t1024000000\t500\t32000\n')).toEqual({
      semmsl: 32000,
      semmns: 1024000000,
      semopm: 500,
      semmni: 32000,
    });
    expect(scanSemLine('250 32000 32 128')).toEqual({ semmsl: 250, semmns: 32000, semopm: 32, semmni: 128 });
    expect(scanSemLine('250 32000 32')).toBeNull();
    expect(scanSemLine('')).toBeNull();
  });
});

describe('parsers', () => {
  it('msg: missing file -> IPC_INFO fallback; unscannable -> unreadable', () => {
    expect(parseMsgLimits({ msgmni: '1\n', msgmnb: '2\n', msgmax: '3\n' })).toEqual({
      status: 'ok',
      limits: { msgmni: 1, msgmnb: 2, msgmax: 3n },
    });
    expect(parseMsgLimits({ msgmni: null, msgmnb: '2', msgmax: '3' })).toEqual({ status: 'missing' });
    expect(parseMsgLimits({ msgmni: '', msgmnb: '2', msgmax: '3' })).toEqual({ status: 'unreadable' });
  });

  it('shm: an unscannable value counts as 0, a missing file falls back', () => {
    expect(parseShmLimits({ shmall: '', shmmax: '5', shmmni: '6' })).toEqual({
      status: 'ok',
      limits: { shmall: 0n, shmmax: 5n, shmmni: 6n },
    });
    expect(parseShmLimits({ shmall: '1', shmmax: null, shmmni: '6' })).toEqual({ status: 'missing' });
  });

  it('sem: anything short of four numbers falls back', () => {
    expect(parseSemLimits(null)).toEqual({ status: 'missing' });
    expect(parseSemLimits('1 2')).toEqual({ status: 'missing' });
  });
});

describe('readers', () => {
  it('read the fixture folder', () => {
    expect(readMsgLimits(KERNEL)).toEqual({
      status: 'ok',
      limits: { msgmni: 32000, msgmnb: 16384, msgmax: 8192n },
    });
    expect(readShmLimits(KERNEL)).toEqual({
      status: 'ok',
      limits: { shmall: 18446744073692774399n, shmmax: 18446744073692774399n, shmmni: 4096n },
    });
    expect(readSemLimits(KERNEL)).toEqual({
      status: 'ok',
      limits: { semmsl: 32000, semmns: 1024000000, semopm: 500, semmni: 32000 },
    });
  });

  it('report missing files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'svipc-limits-'));
    try {
      writeFileSync(join(dir, 'msgmni'), '1\n');
      expect(readMsgLimits(dir)).toEqual({ status: 'missing' });
      expect(readShmLimits(dir)).toEqual({ status: 'missing' });
      expect(readSemLimits(dir)).toEqual({ status: 'missing' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
