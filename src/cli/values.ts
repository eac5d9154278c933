// Parsers for the values users type: ids, keys, modes, seconds. Each throws UsageError
// with a message naming what was wrong.
import { UsageError } from './exit.js';

/** strtoul(s, NULL, 0)-style: 0x hex, leading-0 octal, else decimal. No sign, no junk. */
export function parseCNumber(s: string): number | undefined {
  const t = s.trim();
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) v = Number.parseInt(t.slice(2), 16);
  else if (/^0[0-7]*$/.test(t)) v = Number.parseInt(t, 8);
  else if (/^[1-9][0-9]*$/.test(t)) v = Number.parseInt(t, 10);
  else return undefined;
  return Number.isSafeInteger(v) ? v : undefined;
}

/** An IPC key: decimal, 0x hex or 0 octal, 32 bits (negative decimal allowed, as key_t is signed). */
export function parseKey(s: string): number {
  const neg = /^-[1-9][0-9]*$/.test(s.trim());
  const v = neg ? -Number(s.trim().slice(1)) : parseCNumber(s);
  if (v === undefined || v < -0x80000000 || v > 0xffffffff) throw new UsageError(`invalid key: '${s}'`);
  return v | 0;
}

/** An IPC id: a non-negative decimal int. */
export function parseId(s: string, what = 'id'): number {
  if (!/^[0-9]+$/.test(s) || Number(s) > 0x7fffffff) throw new UsageError(`invalid ${what}: '${s}'`);
  return Number(s);
}

/** Permission bits in octal, like chmod: 600, 0644. */
export function parseMode(s: string): number {
  if (!/^[0-7]{1,4}$/.test(s) || Number.parseInt(s, 8) > 0o777) throw new UsageError(`invalid mode: '${s}'`);
  return Number.parseInt(s, 8);
}

/** A non-negative integer (decimal). */
export function parseCount(s: string, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^[0-9]+$/.test(s) || Number(s) > max) throw new UsageError(`invalid ${what}: '${s}'`);
  return Number(s);
}

/** A signed integer (decimal). */
export function parseInteger(s: string, what: string): number {
  if (!/^-?[0-9]+$/.test(s) || !Number.isSafeInteger(Number(s)))
    throw new UsageError(`invalid ${what}: '${s}'`);
  return Number(s);
}

/** The largest number of seconds any option takes: INT_MAX, about 68 years (a 32-bit time_t). */
export const MAX_SECONDS = 0x7fffffff;

/** Seconds, fractions allowed (--timeout 0.5), at most MAX_SECONDS; returns milliseconds. */
export function parseSeconds(s: string, what = 'timeout'): number {
  if (!/^[0-9]+(\.[0-9]+)?$|^\.[0-9]+$/.test(s))
    throw new UsageError(`invalid ${what}: '${s}' (seconds expected)`);
  if (Number(s) > MAX_SECONDS)
    throw new UsageError(`invalid ${what}: '${s}' (at most ${MAX_SECONDS} seconds)`);
  return Number(s) * 1000;
}

/** HOST:PORT, [IPv6]:PORT or :PORT (all addresses); port 0 picks a free one. */
export function parseListen(s: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):([0-9]{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) throw new UsageError(`invalid --listen address: '${s}' (HOST:PORT expected)`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}
