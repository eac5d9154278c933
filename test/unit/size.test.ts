// util-linux's strtosize and the C conversions under it (src/cli/size.ts). The exhaustive
// comparison with util-linux itself is in test/e2e/ipcmk.test.ts; these pin the rules.
import { describe, expect, test } from 'vitest';
import { UsageError } from '../../src/cli/exit.js';
import {
  ConversionError,
  parseSize,
  sizeArg,
  strtoimax,
  strtos32,
  strtoumax,
  toInt32,
  UINTMAX_MAX,
} from '../../src/cli/size.js';

const K = 1024n;
const code = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof ConversionError) return e.code;
    throw e;
  }
};

describe('parseSize: suffixes', () => {
  const letters = 'KMGTPE';
  test.each([...letters].map((l, i) => [l, i + 1] as const))('%s, %siB, %sB and lower case', (l, n) => {
    const bin = K ** BigInt(n);
    const dec = 1000n ** BigInt(n);
    expect(parseSize(`1${l}`)).toBe(bin);
    expect(parseSize(`1${l.toLowerCase()}`)).toBe(bin);
    expect(parseSize(`1${l}iB`)).toBe(bin);
    expect(parseSize(`1${l}ib`)).toBe(bin);
    expect(parseSize(`1${l.toLowerCase()}iB`)).toBe(bin);
    expect(parseSize(`1${l}B`)).toBe(dec);
    expect(parseSize(`1${l}b`)).toBe(dec);
    expect(parseSize(`3${l}`)).toBe(3n * bin);
  });

  test('Z and Y overflow 64 bits (ERANGE), 15E does not, 16E does', () => {
    for (const s of ['1Z', '1ZiB', '1Y', '1YB', '1ZB', '16E', '16384P'])
      expect(code(() => parseSize(s))).toBe('ERANGE');
    expect(parseSize('15E')).toBe(15n * K ** 6n);
    expect(parseSize('1EB')).toBe(10n ** 18n);
  });

  test('no suffix: strtoumax base 0 (hex, octal), blanks and + first', () => {
    expect(parseSize('0')).toBe(0n);
    expect(parseSize('4096')).toBe(4096n);
    expect(parseSize('0x1000')).toBe(4096n);
    expect(parseSize('0X10')).toBe(16n);
    expect(parseSize('010')).toBe(8n);
    expect(parseSize(' 1K')).toBe(K);
    expect(parseSize('\t+5')).toBe(5n);
    expect(parseSize('18446744073709551615')).toBe(UINTMAX_MAX);
    expect(code(() => parseSize('18446744073709551616'))).toBe('ERANGE');
  });
});

describe('parseSize: decimals (util-linux digit-by-digit arithmetic)', () => {
  test.each([
    ['1.5K', 1536n],
    ['1.5KB', 1500n],
    ['0.5k', 512n],
    ['00.5K', 512n],
    ['1.0K', 1024n],
    ['1.K', 1024n],
    ['4096.K', 4096n * K],
    ['1.05K', 1075n],
    ['1.25M', 1310719n], // each digit's share is rounded down
    ['1..5K', 1536n], // a second '.' is read as another decimal point
    ['2.5G', 2684354560n],
    // util-linux adds base/(10^k/digit) per digit with integer division: .9 of 1024 is 1024.
    ['1.999999K', 2150n],
    ['0.5Y', 2n ** 59n], // the fraction's base stops at 2^60 without an error
  ])('%s = %s', (s, v) => {
    expect(parseSize(s)).toBe(v);
  });
});

describe('parseSize: what util-linux refuses', () => {
  test.each([
    '',
    'abc',
    '-1',
    ' -1',
    '1.5',
    '1.',
    '1.0',
    '.5K',
    '1B',
    '1b',
    '1iB',
    '1Ki',
    '1KIB',
    '1 K',
    '1K ',
    '1KiBx',
    '1XB',
    '1e3',
    '1,5K',
    '08',
    '0x',
    '1.5iB',
    '1.5.5K',
    'K',
  ])('%j: EINVAL', (s) => {
    expect(code(() => parseSize(s))).toBe('EINVAL');
  });

  test('a fraction too long for 64 bits: ERANGE', () => {
    expect(code(() => parseSize('1.99999999999999999999999K'))).toBe('ERANGE');
  });
});

describe('sizeArg (svipc shm create SIZE)', () => {
  test('bytes as a number', () => {
    expect(sizeArg('1M')).toBe(1048576);
    expect(sizeArg('10KB')).toBe(10000);
  });
  test('usage errors name the value', () => {
    expect(() => sizeArg('abc')).toThrow(UsageError);
    expect(() => sizeArg('abc')).toThrow("invalid size: 'abc'");
    expect(() => sizeArg('1Y')).toThrow("invalid size: '1Y' (too large)");
    expect(() => sizeArg('8P', 'segment size')).toThrow("invalid segment size: '8P' (too large)");
  });
});

describe('C conversions', () => {
  test('strtoumax: sign wraps, overflow clamps, end index', () => {
    expect(strtoumax('-1', 0)).toEqual({ value: UINTMAX_MAX, end: 2, erange: false });
    expect(strtoumax('99999999999999999999', 10)).toEqual({ value: UINTMAX_MAX, end: 20, erange: true });
    expect(strtoumax('0x', 0)).toEqual({ value: 0n, end: 1, erange: false });
    expect(strtoumax('0x1g', 16)).toEqual({ value: 1n, end: 3, erange: false });
    expect(strtoumax('  ', 10).end).toBe(0);
    expect(strtoumax('777', 8).value).toBe(511n);
    expect(strtoumax('8', 8).end).toBe(0);
  });

  test('strtoimax clamps to 64-bit signed', () => {
    expect(strtoimax('-9223372036854775809', 10)).toMatchObject({ value: -(2n ** 63n), erange: true });
    expect(strtoimax('9223372036854775807', 10)).toMatchObject({ value: 2n ** 63n - 1n, erange: false });
  });

  test('strtos32: base 10, whole string, int32', () => {
    expect(strtos32(' +5')).toBe(5);
    expect(strtos32('-2147483648')).toBe(-2147483648);
    expect(code(() => strtos32('2147483648'))).toBe('ERANGE');
    expect(code(() => strtos32('99999999999999999999'))).toBe('ERANGE');
    expect(code(() => strtos32('0x5'))).toBe('EINVAL');
    expect(code(() => strtos32(''))).toBe('EINVAL');
    expect(code(() => strtos32('5x'))).toBe('EINVAL');
  });

  test('toInt32: the low 32 bits, signed', () => {
    expect(toInt32(UINTMAX_MAX)).toBe(-1);
    expect(toInt32(0x100001000n)).toBe(0x1000);
    expect(toInt32(0x80000000n)).toBe(-0x80000000);
  });
});
