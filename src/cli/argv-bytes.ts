// File names are bytes. Node decodes process.argv as UTF-8 and replaces every invalid
// sequence with U+FFFD, so a name that is not UTF-8 would reach the kernel as another name
// (and ftok would give the key of another file, or of none). The kernel's copy of the
// arguments, /proc/self/cmdline, still has the exact bytes: this module finds them.
import { readFileSync } from 'node:fs';
import { UsageError } from './exit.js';

const REPLACEMENT = '\uFFFD';

/** A file name as the kernel should see it: the text itself, or its exact bytes. */
export type PathArg = string | Buffer;

let cached: Buffer[] | undefined;

/** The arguments after the script, as raw bytes (the tail of /proc/self/cmdline). */
function rawArgs(): Buffer[] {
  if (cached === undefined) {
    let all: Buffer[] = [];
    try {
      const raw = readFileSync('/proc/self/cmdline');
      let start = 0;
      for (let i = 0; i < raw.length; i++) {
        if (raw[i] === 0) {
          all.push(raw.subarray(start, i));
          start = i + 1;
        }
      }
    } catch {
      all = [];
    }
    // cmdline is node [node options] script args...: the user's arguments are its last ones.
    const n = Math.max(0, process.argv.length - 2);
    cached = all.length >= n ? all.slice(all.length - n) : [];
  }
  return cached;
}

/**
 * The exact bytes of a file-name argument. Text without U+FFFD is returned as is (it was
 * valid UTF-8, or the user typed U+FFFD itself: both encode back to the same bytes). Text
 * with U+FFFD is looked up among the raw arguments: a whole argument (`PATH`), or the value
 * of `--option=VALUE`; its bytes come back as a Buffer. `what` names it in the error when
 * the bytes cannot be found (e.g. the text did not come from the command line).
 */
export function pathArg(text: string, what = 'path'): PathArg {
  if (!text.includes(REPLACEMENT)) return text;
  for (const raw of rawArgs()) {
    const decoded = raw.toString('utf8');
    if (decoded === text) return Buffer.from(raw);
    const eq = raw.indexOf(0x3d); // '='
    if (decoded.startsWith('-') && eq > 0 && raw.subarray(eq + 1).toString('utf8') === text)
      return Buffer.from(raw.subarray(eq + 1));
  }
  // Bytes we cannot recover: refuse rather than use a different name.
  throw new UsageError(`${what} is not valid UTF-8 and its bytes could not be recovered: '${text}'`);
}

/** A path for messages: its text, with invalid bytes shown as \xNN. */
export function showPath(p: PathArg): string {
  if (typeof p === 'string') return p;
  let out = '';
  let i = 0;
  while (i < p.length) {
    // Take the longest valid UTF-8 run, escape one byte otherwise.
    let j = i;
    while (j < p.length && p[j]! < 0x80) j++;
    if (j > i) {
      out += p.subarray(i, j).toString('latin1');
      i = j;
      continue;
    }
    const len = p[i]! >= 0xf0 ? 4 : p[i]! >= 0xe0 ? 3 : p[i]! >= 0xc0 ? 2 : 1;
    const s = p.subarray(i, i + len).toString('utf8');
    if (len > 1 && i + len <= p.length && !s.includes(REPLACEMENT)) {
      out += s;
      i += len;
    } else {
      out += `\\x${p[i]!.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}
