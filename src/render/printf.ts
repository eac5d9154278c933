// The few printf(3) conversions the util-linux formats need, byte for byte: widths and
// precisions count bytes (a UTF-8 user name pads as C pads it), not UTF-16 code units.

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

// Padding is taken from a table, not made with repeat(): a listing pads every cell of every
// line, and at 4,000 lines the calls show (a builtin call costs more than the lookup, most of
// all before V8 has optimized the caller).
const PADS: string[] = Array.from({ length: 33 }, (_, n) => ' '.repeat(n));
const spaces = (n: number): string => (n < PADS.length ? PADS[n]! : ' '.repeat(n));

/** %-Ns: left-justified in N bytes. */
export function left(value: string | number | bigint, width: number): string {
  // A number's text is ASCII: its length is its width in bytes (no Buffer call on the hot path).
  const s = typeof value === 'number' ? `${value}` : String(value);
  const pad = width - (typeof value === 'string' ? bytes(s) : s.length);
  return pad > 0 ? s + spaces(pad) : s;
}

/** %Ns: right-justified in N bytes. */
export function right(value: string | number | bigint, width: number): string {
  const s = typeof value === 'number' ? `${value}` : String(value);
  const pad = width - (typeof value === 'string' ? bytes(s) : s.length);
  return pad > 0 ? spaces(pad) + s : s;
}

/** %.Ns: at most N bytes (a multi-byte character cut in two is dropped whole). */
export function truncate(s: string, precision: number): string {
  if (bytes(s) <= precision) return s;
  let out = '';
  let n = 0;
  for (const ch of s) {
    const b = bytes(ch);
    if (n + b > precision) break;
    out += ch;
    n += b;
  }
  return out;
}

/** %-W.Ps */
export function leftTrunc(s: string, width: number, precision: number): string {
  return left(truncate(s, precision), width);
}

/** %*s / %*ju with util-linux's signed width: negative left-justifies, 0 prints as is. */
export function widthed(value: string | number | bigint, width: number): string {
  if (width < 0) return left(value, -width);
  if (width > 0) return right(value, width);
  return String(value);
}

/** %o */
export function octal(n: number): string {
  return (n >>> 0).toString(8);
}

/** %#o: a leading 0 unless the value is 0. */
export function octalAlt(n: number): string {
  return n === 0 ? '0' : `0${octal(n)}`;
}

/** %u of a C int: the unsigned 32-bit value. */
export function unsigned32(n: number): string {
  return String(n >>> 0);
}

/** %d of a C int: the signed 32-bit value. */
export function signed32(n: number): string {
  return String(n | 0);
}
