// util-linux's size_to_human_string(SIZE_SUFFIX_1LETTER, bytes) (lib/strutils.c, 2.38):
// powers of 1024, one letter (B K M G T P E), one decimal rounded half up, a trailing
// ".0" dropped: 1984 -> "1.9K", 1000000 -> "976.6K", 2^64 - 2^24 -> "16E".
const U64_MAX = (1n << 64n) - 1n;
const LETTERS = 'BKMGTPE';

/** The exponent: 0, 10, 20, ... 60 (2^exp <= n < 2^(exp+10), capped at E). */
function exponent(n: bigint): number {
  let shift = 10;
  for (; shift <= 60; shift += 10) {
    if (n < 1n << BigInt(shift)) break;
  }
  return shift - 10;
}

export function sizeToHumanString(size: number | bigint): string {
  const n = BigInt.asUintN(64, BigInt(size));
  const exp = exponent(n);
  const suffix = LETTERS[exp / 10]!;
  const e = BigInt(exp);
  let dec = exp ? n >> e : n;
  let frac = exp ? n % (1n << e) : 0n;
  if (frac) {
    // three digits after the point, then rounded to one
    if (frac >= U64_MAX / 1000n) frac = ((frac / 1024n) * 1000n) / (1n << (e - 10n));
    else frac = (frac * 1000n) / (1n << e);
    frac = ((frac + 50n) / 100n) * 10n;
    if (frac === 100n) {
      dec += 1n;
      frac = 0n;
    }
  }
  if (frac) {
    let digits = frac.toString().padStart(2, '0');
    if (digits.endsWith('0')) digits = digits.slice(0, -1);
    return `${dec}.${digits}${suffix}`;
  }
  return `${dec}${suffix}`;
}

/** strmode() of the permission bits, without the file type: "rw-r--r--". */
export function permString(mode: number): string {
  let s = '';
  for (const shift of [6, 3, 0]) {
    const b = (mode >> shift) & 7;
    s += `${b & 4 ? 'r' : '-'}${b & 2 ? 'w' : '-'}${b & 1 ? 'x' : '-'}`;
  }
  return s;
}

/** "1 message", "2 messages": a count and its noun, for people. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
