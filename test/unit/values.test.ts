// The values users type (src/cli/values.ts): keys, ids, modes, counts, seconds.
import { describe, expect, test } from 'vitest';
import { UsageError } from '../../src/cli/exit.js';
import {
  MAX_SECONDS,
  parseCNumber,
  parseCount,
  parseId,
  parseInteger,
  parseKey,
  parseMode,
  parseSeconds,
} from '../../src/cli/values.js';

describe('parseKey', () => {
  test.each([
    ['4660', 4660],
    ['0x1234', 0x1234],
    ['0X1234', 0x1234],
    ['011064', 0x1234],
    ['0', 0],
    ['-1', -1],
    ['0xffffffff', -1],
    ['4294967295', -1],
    ['2147483648', -2147483648],
    ['-2147483648', -2147483648],
  ])('%s -> %s', (s, v) => {
    expect(parseKey(s)).toBe(v);
  });

  test.each(['', 'abc', '0x', '0x1g', '08', '4294967296', '-2147483649', '1.5', '+5', '- 1', '0b101'])(
    '%j is refused',
    (s) => {
      expect(() => parseKey(s)).toThrow(UsageError);
      expect(() => parseKey(s)).toThrow(`invalid key: '${s}'`);
    },
  );
});

describe('parseCNumber', () => {
  test('hex, octal, decimal; junk is undefined', () => {
    expect(parseCNumber('0x10')).toBe(16);
    expect(parseCNumber('010')).toBe(8);
    expect(parseCNumber('10')).toBe(10);
    expect(parseCNumber('0')).toBe(0);
    expect(parseCNumber('09')).toBeUndefined();
    expect(parseCNumber('-1')).toBeUndefined();
    expect(parseCNumber('1e3')).toBeUndefined();
  });
});

describe('parseId', () => {
  test('decimal only, int range', () => {
    expect(parseId('0')).toBe(0);
    expect(parseId('2147483647')).toBe(2147483647);
    for (const s of ['0x1', '-1', '2147483648', '', ' 1', 'abc'])
      expect(() => parseId(s)).toThrow(UsageError);
    expect(() => parseId('x', 'shmid')).toThrow("invalid shmid: 'x'");
  });
});

describe('parseMode', () => {
  test('octal permission bits', () => {
    expect(parseMode('600')).toBe(0o600);
    expect(parseMode('0644')).toBe(0o644);
    expect(parseMode('0')).toBe(0);
    for (const s of ['800', '1777', '7777', 'rw', '', '0x1']) expect(() => parseMode(s)).toThrow(UsageError);
  });
});

describe('parseCount, parseInteger, parseSeconds', () => {
  test('counts', () => {
    expect(parseCount('5', 'nsems')).toBe(5);
    expect(() => parseCount('-1', 'nsems')).toThrow("invalid nsems: '-1'");
    expect(() => parseCount('9', 'nsems', 8)).toThrow(UsageError);
  });
  test('integers', () => {
    expect(parseInteger('-3', 'value')).toBe(-3);
    expect(() => parseInteger('1.5', 'value')).toThrow(UsageError);
  });
  test('seconds to milliseconds', () => {
    expect(parseSeconds('1')).toBe(1000);
    expect(parseSeconds('0.5')).toBe(500);
    expect(parseSeconds('.25')).toBe(250);
    expect(() => parseSeconds('-1')).toThrow("invalid timeout: '-1' (seconds expected)");
    expect(() => parseSeconds('1s')).toThrow(UsageError);
  });
  test('seconds: up to MAX_SECONDS (INT_MAX, about 68 years); above it a usage error', () => {
    expect(MAX_SECONDS).toBe(2147483647);
    expect(parseSeconds('3000000')).toBe(3e9);
    expect(parseSeconds(String(MAX_SECONDS))).toBe(MAX_SECONDS * 1000);
    expect(() => parseSeconds('2147483648')).toThrow(
      "invalid timeout: '2147483648' (at most 2147483647 seconds)",
    );
    expect(() => parseSeconds('99999999999999999999999')).toThrow(UsageError);
  });
});
