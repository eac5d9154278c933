// util-linux's number parsing, reproduced exactly: strtosize() (lib/strutils.c parse_size:
// K..Y and KiB..YiB are powers of 1024, KB..YB powers of 1000, decimals like 1.5K), and the
// C conversions it and the drop-ins are built on (glibc strtoumax/strtoimax with their
// whitespace, sign, base prefixes and ERANGE), plus util-linux's strtos32. Values are BigInt,
// as the C ones are 64-bit. `ipcmk -M` uses parseSize; `svipc shm create SIZE` uses sizeArg.
import { UsageError } from './exit.js';

export const UINTMAX_MAX = (1n << 64n) - 1n;
const INTMAX_MAX = (1n << 63n) - 1n;
const INTMAX_MIN = -(1n << 63n);

/** C's isspace in the C locale. */
const isSpace = (c: string | undefined): boolean => c !== undefined && ' \t\n\v\f\r'.includes(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

function digitValue(c: string | undefined): number {
  if (c === undefined) return 99;
  const d = Number.parseInt(c, 36);
  return Number.isNaN(d) ? 99 : d;
}

export interface Conversion {
  /** The value as C returns it (negated modulo 2^64 for strtoumax of "-N"; clamped on overflow). */
  value: bigint;
  /** Index of the first character not converted; 0 when nothing was (C's end == str). */
  end: number;
  /** errno would be ERANGE. */
  erange: boolean;
}

/** The magnitude part shared by strtoumax and strtoimax. */
function scan(
  s: string,
  base: number,
): { negative: boolean; magnitude: bigint; end: number; overflow: boolean } {
  let i = 0;
  while (isSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  let b = base;
  if (
    (b === 0 || b === 16) &&
    s[i] === '0' &&
    (s[i + 1] === 'x' || s[i + 1] === 'X') &&
    digitValue(s[i + 2]) < 16
  ) {
    i += 2;
    b = 16;
  } else if (b === 0) b = s[i] === '0' ? 8 : 10;
  const start = i;
  let magnitude = 0n;
  let overflow = false;
  const big = BigInt(b);
  while (digitValue(s[i]) < b) {
    magnitude = magnitude * big + BigInt(digitValue(s[i]));
    if (magnitude > UINTMAX_MAX) overflow = true;
    i++;
  }
  if (i === start) return { negative: false, magnitude: 0n, end: 0, overflow: false };
  return { negative, magnitude, end: i, overflow };
}

/** glibc strtoumax/strtoul (64-bit): "-1" is 2^64-1, overflow gives UINTMAX_MAX and ERANGE. */
export function strtoumax(s: string, base: 0 | 8 | 10 | 16): Conversion {
  const r = scan(s, base);
  if (r.overflow) return { value: UINTMAX_MAX, end: r.end, erange: true };
  const value = r.negative ? (UINTMAX_MAX + 1n - r.magnitude) & UINTMAX_MAX : r.magnitude;
  return { value, end: r.end, erange: false };
}

/** glibc strtoimax/strtol (64-bit): clamps to INTMAX_MIN/INTMAX_MAX with ERANGE. */
export function strtoimax(s: string, base: 0 | 8 | 10 | 16): Conversion {
  const r = scan(s, base);
  const v = r.negative ? -r.magnitude : r.magnitude;
  if (r.overflow || v > INTMAX_MAX)
    return { value: r.negative ? INTMAX_MIN : INTMAX_MAX, end: r.end, erange: true };
  if (v < INTMAX_MIN) return { value: INTMAX_MIN, end: r.end, erange: true };
  return { value: v, end: r.end, erange: false };
}

/** A C conversion that failed, with the errno util-linux would report. */
export class ConversionError extends Error {
  constructor(
    readonly code: 'EINVAL' | 'ERANGE',
    readonly input: string,
  ) {
    super(`${code === 'ERANGE' ? 'out of range' : 'invalid number'}: '${input}'`);
    this.name = 'ConversionError';
  }
}

/** util-linux ul_strtos32 (base 10) as strtos32_or_err uses it: whole string, int32 range. */
export function strtos32(s: string): number {
  if (s === '') throw new ConversionError('EINVAL', s);
  const r = strtoimax(s, 10);
  if (r.erange) throw new ConversionError('ERANGE', s);
  if (r.end === 0 || r.end !== s.length) throw new ConversionError('EINVAL', s);
  if (r.value < -0x80000000n || r.value > 0x7fffffffn) throw new ConversionError('ERANGE', s);
  return Number(r.value);
}

/** C's (int) cast of an unsigned long: the low 32 bits, signed. */
export const toInt32 = (v: bigint): number => Number(BigInt.asIntN(32, v));

const SUFFIXES = 'KMGTPEZY';
const SUFFIXES_LOWER = 'kmgtpezy';

/** do_scale_by_power: multiply by base^power, or stop (and say so) before overflowing. */
function scaleByPower(x: bigint, base: bigint, power: number): { x: bigint; overflow: boolean } {
  let v = x;
  for (let n = power; n > 0; n--) {
    if (UINTMAX_MAX / base < v) return { x: v, overflow: true };
    v *= base;
  }
  return { x: v, overflow: false };
}

/**
 * util-linux strtosize(): "4096", "1K" (1024), "1KiB" (1024), "1KB" (1000), "1.5M", "0x1000"
 * (strtoumax base 0, so hex and octal too), leading blanks and '+' allowed, no '-'.
 * Suffixes K M G T P E Z Y (or lower case k..y); 'iB' (or 'ib') after it: powers of 1024;
 * 'B' (or 'b'): powers of 1000. A fraction needs a suffix. Throws ConversionError with
 * EINVAL or ERANGE, as parse_size() fails. Returns the size in bytes (up to 2^64-1).
 */
export function parseSize(str: string): bigint {
  const fail = (code: 'EINVAL' | 'ERANGE'): never => {
    throw new ConversionError(code, str);
  };
  const at = (i: number): string => str[i] ?? '\0';
  if (str === '') fail('EINVAL');
  let p = 0;
  while (isSpace(str[p])) p++;
  if (str[p] === '-') fail('EINVAL');

  const first = strtoumax(str, 0);
  if (first.end === 0) fail('EINVAL');
  if (first.erange) fail('ERANGE');
  let x = first.value;
  if (first.end === str.length) return x; // without suffix
  p = first.end;

  let base = 1024n;
  let frac = 0n;
  let fracZeros = 0;
  for (;;) {
    // check_suffix: in C, past the end of the string is undefined; "1.0" ends here (EINVAL).
    if (p >= str.length) fail('EINVAL');
    if (at(p + 1) === 'i' && (at(p + 2) === 'B' || at(p + 2) === 'b') && p + 3 === str.length) {
      base = 1024n; // XiB, 2^N
    } else if ((at(p + 1) === 'B' || at(p + 1) === 'b') && p + 2 === str.length) {
      base = 1000n; // XB, 10^N
    } else if (p + 1 < str.length) {
      // A decimal point (the C locale's '.') and the fraction, then the suffix again.
      if (frac === 0n && at(p) === '.') {
        let f = p + 1;
        while (at(f) === '0') {
          fracZeros++;
          f++;
        }
        let end = f;
        if (isDigit(str[f])) {
          const r = strtoumax(str.slice(f), 0);
          if (r.end === 0) fail('EINVAL');
          if (r.erange) fail('ERANGE');
          frac = r.value;
          end = f + r.end;
        }
        if (frac !== 0n && end >= str.length) fail('EINVAL'); // a fraction without a suffix
        p = end;
        continue;
      }
      fail('EINVAL'); // unexpected suffix
    }
    break;
  }

  let power = SUFFIXES.indexOf(at(p)) + 1;
  if (power === 0) power = SUFFIXES_LOWER.indexOf(at(p)) + 1;
  if (power === 0) fail('EINVAL');

  const scaled = scaleByPower(x, base, power);
  x = scaled.x;
  if (frac !== 0n) {
    // Exactly util-linux's digit-by-digit sum, 64-bit wrap-around included.
    const fracBase = scaleByPower(1n, base, power).x;
    let fracDiv = 10n;
    let fracPoz = 1n;
    const u64 = (v: bigint) => BigInt.asUintN(64, v);
    while (fracDiv < frac) {
      if (fracDiv <= UINTMAX_MAX / 10n) fracDiv *= 10n;
      else frac /= 10n;
    }
    for (let i = 0; i < fracZeros; i++) {
      if (fracDiv <= UINTMAX_MAX / 10n) fracDiv *= 10n;
      else frac /= 10n;
    }
    do {
      const seg = frac % 10n;
      const segDiv = fracDiv / fracPoz;
      frac /= 10n;
      fracPoz = u64(fracPoz * 10n);
      if (seg !== 0n && segDiv / seg !== 0n) x = u64(x + fracBase / (segDiv / seg));
    } while (frac !== 0n);
  }
  if (scaled.overflow) fail('ERANGE');
  return x;
}

/**
 * A size argument for svipc's own commands (`svipc shm create 1M`): util-linux's syntax,
 * as a JS number of bytes. Throws UsageError "invalid size: '...'".
 */
export function sizeArg(s: string, what = 'size'): number {
  let v: bigint;
  try {
    v = parseSize(s);
  } catch (e) {
    if (e instanceof ConversionError) {
      const why = e.code === 'ERANGE' ? ' (too large)' : ' (a number, optionally with K, M, G... KiB, KB...)';
      throw new UsageError(`invalid ${what}: '${s}'${why}`);
    }
    throw e;
  }
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new UsageError(`invalid ${what}: '${s}' (too large)`);
  return Number(v);
}
