// A snapshot read as it streams in, for `svipc diff`: the document is checked as JSON.parse
// would check it, byte by byte, without building it. Of each record only its top-level members
// are made into values (as JSON.parse makes them); a member holding an object or an array is
// checked and passed over (a set's 250 `elements` are never made; a list of scalars and flat
// objects, as they are, by one regular expression, FLAT_LIST). A 50 MB snapshot is read in
// 1 MiB pieces and leaves one small object per record (src/hygiene/snapshot.ts keeps less).
//
// The scan accepts only text JSON.parse accepts. Anything it does not follow (not JSON, a
// top-level value that is not an object, a section named twice) ends it with `Unscanned`: the
// caller then reads the document whole as before, so that its messages stay JSON.parse's own.

/** The scan cannot say: read the document whole (JSON.parse gives the verdict and its words). */
export class Unscanned extends Error {}

/** More bytes are needed to finish the step (internal: the step is made again with them). */
const MORE = Symbol('more');

export type Member = null | boolean | number | string | object;

/** What a scan passes on: the document's other members, and each record of a section. */
export interface ScanSink {
  /** Which members hold sections (arrays of records); the others are given to `member`. */
  isSection(key: string): boolean;
  /** The record members record() is given; the others are checked and passed over. */
  readonly wanted: ReadonlySet<string>;
  /** A member that is not a section (or a section member that is not an array), parsed. */
  member(key: string, value: unknown): void;
  /** A section opens: `key` and its elements follow. */
  section(key: string): void;
  /**
   * An element of the open section: its `wanted` top-level members as JSON.parse makes them;
   * null when the element is not an object.
   */
  /**
   * `text` gives the element's text, if asked for at once (the bytes move on); `from` and `to`
   * are where it is in the input (byte offsets), to read it again.
   */
  record(members: Record<string, Member> | null, text: () => string, from: number, to: number): void;
}

const WS = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const DIGIT = (c: number) => c >= 0x30 && c <= 0x39;
const HEX = (c: number) => DIGIT(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

// The value skippers below check the bytes as JSON.parse checks the text, one tight loop each
// over the buffer (no method call or throw per byte): most of a snapshot (a set's 250
// `elements`, the indentation) is only checked, and this is where a diff spends its time.
// They return -1 where the bytes run out before the value ends.

/** Whether the last string skipString passed had an escape (its bytes are not its value). */
let escaped = false;

/** The end of the string starting at `at` (a quote); -1: the bytes run out. */
function skipString(b: Uint8Array, at: number): number {
  const n = b.length;
  escaped = false;
  at++;
  for (;;) {
    if (at >= n) return -1;
    const c = b[at]!;
    if (c === 0x22) return at + 1;
    if (c === 0x5c) {
      escaped = true;
      if (at + 1 >= n) return -1;
      const e = b[at + 1]!;
      if (e === 0x75) {
        if (at + 6 > n) return -1;
        for (let i = 2; i < 6; i++) if (!HEX(b[at + i]!)) throw new Unscanned('bad \\u escape');
        at += 6;
      } else if (
        e === 0x22 ||
        e === 0x5c ||
        e === 0x2f ||
        e === 0x62 ||
        e === 0x66 ||
        e === 0x6e ||
        e === 0x72 ||
        e === 0x74
      ) {
        at += 2;
      } else throw new Unscanned('bad escape');
    } else if (c < 0x20) throw new Unscanned('control character in a string');
    else at++;
  }
}

/**
 * The end of the number starting at `at`; -1: the bytes run out (at the end of the input,
 * `eof`, a number may end with it).
 */
function skipNumber(b: Uint8Array, at: number, eof: boolean): number {
  const n = b.length;
  const ends = eof ? n : -1; // the bytes run out where a number may end
  if (at < n && b[at] === 0x2d) at++;
  if (at >= n) return -1;
  const first = b[at]!;
  if (first === 0x30) at++;
  else if (first >= 0x31 && first <= 0x39) while (++at < n && DIGIT(b[at]!));
  else throw new Unscanned('bad number');
  if (at >= n) return ends;
  if (b[at] === 0x2e) {
    if (++at >= n) return -1;
    if (!DIGIT(b[at]!)) throw new Unscanned('bad number');
    while (++at < n && DIGIT(b[at]!));
    if (at >= n) return ends;
  }
  const e = b[at];
  if (e === 0x65 || e === 0x45) {
    if (++at >= n) return -1;
    let c = b[at]!;
    if (c === 0x2b || c === 0x2d) {
      if (++at >= n) return -1;
      c = b[at]!;
    }
    if (!DIGIT(c)) throw new Unscanned('bad number');
    while (++at < n && DIGIT(b[at]!));
    if (at >= n) return ends;
  }
  return at;
}

/** The end of `word` (true, false, null) at `at`; -1: the bytes run out. */
function skipLiteral(b: Uint8Array, at: number, word: string): number {
  for (let i = 0; i < word.length; i++) {
    if (at + i >= b.length) return -1;
    if (b[at + i] !== word.charCodeAt(i)) throw new Unscanned('bad literal');
  }
  return at + word.length;
}

/**
 * The end of the value starting at `at` (no white space before it); -1: the bytes run out
 * (at the end of the input, `eof`, that is Unscanned). Containers by an explicit stack of
 * their closing bytes, no recursion.
 */
function skipValue(b: Uint8Array, at: number, eof: boolean): number {
  const n = b.length;
  let stack: number[] | null = null; // made at the first container within a container
  let close = 0; // the closing byte of the innermost open container; 0: none
  let c = 0;
  for (;;) {
    // at: the start of a value
    if (at >= n) break;
    c = b[at]!;
    if (c === 0x7b || c === 0x5b) {
      if (close !== 0) {
        stack ??= [];
        stack.push(close);
      }
      close = c === 0x7b ? 0x7d : 0x5d;
      while (++at < n && WS(b[at]!));
      if (at >= n) break;
      c = b[at]!;
      if (c !== close) {
        if (close === 0x7d) {
          at = skipMemberName(b, at);
          if (at < 0) break;
        }
        continue;
      }
      at++; // an empty one: a whole value
      close = stack?.pop() ?? 0;
      if (close === 0) return at;
    } else {
      if (c === 0x22) at = skipString(b, at);
      else if (c === 0x74) at = skipLiteral(b, at, 'true');
      else if (c === 0x66) at = skipLiteral(b, at, 'false');
      else if (c === 0x6e) at = skipLiteral(b, at, 'null');
      else at = skipNumber(b, at, eof && close === 0);
      if (at < 0) break;
      if (close === 0) return at;
    }
    // after a value inside a container: ',' and the next, or the end of its container (and
    // of the ones it ends)
    for (;;) {
      while (at < n && WS(b[at]!)) at++;
      if (at >= n) break;
      c = b[at]!;
      if (c === 0x2c) {
        while (++at < n && WS(b[at]!));
        if (close === 0x7d && at < n) at = skipMemberName(b, at);
        break;
      }
      if (c !== close) throw new Unscanned("',' or end expected");
      at++;
      close = stack?.pop() ?? 0;
      if (close === 0) return at;
    }
    if (at < 0 || at >= n) break;
  }
  if (eof) throw new Unscanned('end of input');
  return -1;
}

// A list of scalars and flat objects (a set's `elements`: two thirds of a snapshot) is checked
// by one regular expression over the bytes as latin1 text (one character per byte).
const J_WS = '[ \\t\\n\\r]*';
const J_STRING = '"(?:[^"\\\\\\x00-\\x1f]|\\\\(?:["\\\\/bfnrt]|u[0-9a-fA-F]{4}))*"';
const J_NUMBER = '-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?';
const J_SCALAR = `(?:${J_STRING}|${J_NUMBER}|true|false|null)`;
const J_MEMBER = `${J_STRING}${J_WS}:${J_WS}${J_SCALAR}`;
const J_FLAT = `\\{${J_WS}(?:${J_MEMBER}(?:${J_WS},${J_WS}${J_MEMBER})*${J_WS})?\\}`;
const J_ITEM = `(?:${J_SCALAR}|${J_FLAT})`;
/** A JSON array of scalars and flat objects, from `lastIndex` (sticky). */
export const FLAT_LIST = new RegExp(`\\[${J_WS}(?:${J_ITEM}(?:${J_WS},${J_WS}${J_ITEM})*${J_WS})?\\]`, 'y');

/** A member's name and ':' at `at`, and the white space after: the start of its value; -1: the bytes run out. */
function skipMemberName(b: Uint8Array, at: number): number {
  const n = b.length;
  if (b[at] !== 0x22) throw new Unscanned('member name expected');
  at = skipString(b, at);
  if (at < 0) return -1;
  while (at < n && WS(b[at]!)) at++;
  if (at >= n) return -1;
  if (b[at] !== 0x3a) throw new Unscanned("':' expected");
  while (++at < n && WS(b[at]!));
  return at < n ? at : -1;
}

class Scanner {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  eof = false;

  private byte(at: number): number {
    if (at >= this.buf.length) throw this.eof ? new Unscanned('end of input') : MORE;
    return this.buf[at]!;
  }

  ws(at: number): number {
    const b = this.buf;
    for (; at < b.length; at++) {
      const c = b[at]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return at;
    }
    while (WS(this.byte(at))) at++;
    return at;
  }

  /** Just inside a container: its `close` byte at once (empty) leads to `closed`, else to `first`. */
  opened(at: number, close: number, closed: State, first: State): [number, State] {
    at = this.ws(at);
    return this.buf[at] === close ? [at + 1, closed] : [at, first];
  }

  /**
   * After a member or an element: a ',' (and the white space after it) leads to `more`, the
   * container's `close` byte to `closed`; anything else is `expected`.
   */
  separator(at: number, close: number, more: State, closed: State, expected: string): [number, State] {
    at = this.ws(at);
    if (this.buf[at] === 0x2c) return [this.ws(at + 1), more];
    if (this.buf[at] === close) return [at + 1, closed];
    throw new Unscanned(expected);
  }

  /** The end of the string starting at `at` (a quote). */
  string(at: number): number {
    const end = skipString(this.buf, at);
    if (end < 0) throw this.eof ? new Unscanned('end of input') : MORE;
    return end;
  }

  /** The end of the value starting at `at` (no whitespace before it). */
  value(at: number): number {
    const end = skipValue(this.buf, at, this.eof);
    if (end < 0) throw MORE;
    return end;
  }

  /**
   * The end of the list starting at `at`: FLAT_LIST over the bytes up to the first ']' after
   * it, as latin1 text (a list of flat objects ends there unless a string holds a ']'), else
   * skipValue, which says what the list is (nested, longer, not JSON, cut off by the bytes).
   */
  list(at: number): number {
    const close = this.buf.indexOf(0x5d, at);
    if (close < 0) return this.value(at);
    const text = this.buf.toString('latin1', at, close + 1);
    FLAT_LIST.lastIndex = 0;
    let matched = false;
    try {
      matched = FLAT_LIST.test(text) && FLAT_LIST.lastIndex === text.length;
    } catch {
      // a list too long for the expression's stack: the byte loop checks it
    }
    return matched ? close + 1 : this.value(at);
  }

  /** The text from `from` to `to`, as JSON.parse would see it. */
  text(from: number, to: number): string {
    return this.buf.toString('utf8', from, to);
  }

  /** A string's value (its span includes the quotes). */
  stringValue(from: number, to: number): string {
    const b = this.buf;
    for (let i = from + 1; i < to - 1; i++)
      if (b[i] === 0x5c) return JSON.parse(this.text(from, to)) as string;
    return this.text(from + 1, to - 1);
  }

  /** The wanted names compared as bytes (all of them ASCII), or null: names are decoded. */
  private ascii: string[] | null | undefined;

  /**
   * The member name at `from`..`to` (its span includes the quotes) if it is one of `wanted`,
   * else null. A name without escapes is compared byte for byte, and only a wanted one is made.
   */
  wantedName(from: number, to: number, wanted: ReadonlySet<string>): string | null {
    this.ascii ??= [...wanted].every((w) => /^[\x20-\x7e]*$/.test(w)) ? [...wanted] : null;
    const list = this.ascii;
    if (list === null || escaped) {
      const k = this.stringValue(from, to);
      return wanted.has(k) ? k : null;
    }
    // Without escapes the name is its bytes: one above ASCII is never an ASCII name.
    const b = this.buf;
    const len = to - from - 2;
    next: for (const w of list) {
      if (w.length !== len) continue;
      for (let i = 0; i < len; i++) if (w.charCodeAt(i) !== b[from + 1 + i]) continue next;
      return w;
    }
    return null;
  }

  /** A scalar's value, as JSON.parse makes it. */
  scalar(from: number, to: number): Member {
    const c = this.buf[from]!;
    if (c === 0x22) return this.short(from, to) ?? this.stringValue(from, to);
    if (c === 0x74) return true;
    if (c === 0x66) return false;
    if (c === 0x6e) return null;
    return this.integer(from, to) ?? Number(this.text(from, to));
  }

  /** Short ASCII strings already made: a record's kind is one of a few. */
  private made: string[] = [];

  /** A string of at most 8 ASCII bytes without escapes (quotes included in its span), made once; null for others. */
  private short(from: number, to: number): string | null {
    const b = this.buf;
    const len = to - from - 2;
    if (len > 8) return null;
    for (let i = from + 1; i < to - 1; i++) if (b[i]! >= 0x80 || b[i] === 0x5c) return null;
    next: for (const w of this.made) {
      if (w.length !== len) continue;
      for (let i = 0; i < len; i++) if (w.charCodeAt(i) !== b[from + 1 + i]) continue next;
      return w;
    }
    const w = this.text(from + 1, to - 1);
    if (this.made.length < 16) this.made.push(w);
    return w;
  }

  /**
   * An integer of at most 15 digits (an id, a key) made from its bytes, exactly as Number()
   * makes it (-0 too); null for any other number.
   */
  private integer(from: number, to: number): number | null {
    const b = this.buf;
    const negative = b[from] === 0x2d;
    const first = negative ? from + 1 : from;
    if (to - first > 15) return null;
    let v = 0;
    for (let i = first; i < to; i++) {
      const d = b[i]! - 0x30;
      if (d < 0 || d > 9) return null;
      v = v * 10 + d;
    }
    return negative ? -v : v;
  }

  /**
   * The record starting at `at`: its `wanted` top-level members (never `__proto__`, which
   * JSON.parse would make a member and an assignment a prototype). Returns the end.
   */
  record(at: number, out: { members: Record<string, Member> | null }, wanted: ReadonlySet<string>): number {
    if (this.byte(at) !== 0x7b) {
      out.members = null;
      return this.value(at);
    }
    const b = this.buf; // ws() returns a place inside it, or throws
    const members: Record<string, Member> = {};
    at = this.ws(at + 1);
    if (b[at] === 0x7d) {
      out.members = members;
      return at + 1;
    }
    for (;;) {
      if (b[at] !== 0x22) throw new Unscanned('member name expected');
      const k0 = at;
      at = this.string(at);
      const key = this.wantedName(k0, at, wanted);
      at = this.ws(at);
      if (b[at] !== 0x3a) throw new Unscanned("':' expected");
      at = this.ws(at + 1);
      const v0 = at;
      const c = b[at]!;
      at = key === null && c === 0x5b ? this.list(at) : this.value(at);
      // Only what the reader wants is made: a set's 250 `elements` (the bulk of a snapshot),
      // times and names are checked and passed over.
      if (key === null) {
        // passed over
      } else if (c !== 0x7b && c !== 0x5b) members[key] = this.scalar(v0, at);
      else members[key] = JSON.parse(this.text(v0, at)) as Member;
      at = this.ws(at);
      const sep = b[at];
      if (sep === 0x7d) break;
      if (sep !== 0x2c) throw new Unscanned("',' or '}' expected");
      at = this.ws(at + 1);
    }
    out.members = members;
    return at + 1;
  }
}

type State = 'begin' | 'key' | 'after' | 'first' | 'element' | 'next' | 'end';

/**
 * Scan the document in `chunks` into `sink`. Throws Unscanned where the caller must read it
 * whole instead (and whatever the chunks throw: read errors, the size limit, a signal).
 */
export async function scanDocument(chunks: AsyncIterable<Buffer>, sink: ScanSink): Promise<void> {
  const it = chunks[Symbol.asyncIterator]();
  try {
    await scanFrom(it, sink);
  } finally {
    await it.return?.(); // a file left early is closed now, not by the garbage collector
  }
}

async function scanFrom(it: AsyncIterator<Buffer>, sink: ScanSink): Promise<void> {
  const s = new Scanner();
  let state: State = 'begin';
  const seen = new Set<string>();
  const rec: { members: Record<string, Member> | null } = { members: null };
  let work = Buffer.allocUnsafe(2 * 1024 * 1024);
  let base = 0; // the input's offset of s.buf[0]
  for (;;) {
    try {
      let at = s.pos;
      switch (state) {
        case 'begin':
          at = s.ws(at);
          if (s.buf[at] !== 0x7b) throw new Unscanned('not an object');
          [at, state] = s.opened(at + 1, 0x7d, 'end', 'key');
          break;
        case 'key': {
          if (s.buf[at] !== 0x22) throw new Unscanned('member name expected');
          const k0 = at;
          at = s.string(at);
          const key = s.stringValue(k0, at);
          at = s.ws(at);
          if (s.buf[at] !== 0x3a) throw new Unscanned("':' expected");
          at = s.ws(at + 1);
          if (sink.isSection(key) && s.buf[at] === 0x5b) {
            if (seen.has(key)) throw new Unscanned(`'${key}' twice`);
            seen.add(key);
            sink.section(key);
            state = 'first';
            at++;
          } else {
            // JSON.parse keeps the last of a name given twice: so does member(), but a
            // section named twice is left to it.
            if (sink.isSection(key)) {
              if (seen.has(key)) throw new Unscanned(`'${key}' twice`);
              seen.add(key);
            }
            const v0 = at;
            at = s.value(at);
            sink.member(key, JSON.parse(s.text(v0, at)));
            state = 'after';
          }
          break;
        }
        case 'after':
          [at, state] = s.separator(at, 0x7d, 'key', 'end', "',' or '}' expected");
          break;
        case 'first':
          [at, state] = s.opened(at, 0x5d, 'after', 'element');
          break;
        case 'element': {
          const from = at;
          at = s.record(at, rec, sink.wanted);
          const to = at;
          sink.record(rec.members, () => s.text(from, to), base + from, base + to);
          state = 'next';
          break;
        }
        case 'next':
          [at, state] = s.separator(at, 0x5d, 'element', 'after', "',' or ']' expected");
          break;
        case 'end':
          while (at < s.buf.length && WS(s.buf[at]!)) at++;
          if (at < s.buf.length) throw new Unscanned('text after the document');
          if (s.eof) return;
          throw MORE;
      }
      s.pos = at;
    } catch (e) {
      if (e !== MORE) throw e;
      // The step needs bytes past the end: move what is not consumed to the front of the
      // one work buffer, add at least a piece and at least as much again as is kept (a value
      // longer than a piece is not scanned again for every piece), and make the step again.
      // Pieces are copied at once: a reader may reuse its buffer for the next.
      const kept = s.buf.length - s.pos;
      base += s.pos;
      s.buf.copy(work, 0, s.pos);
      let size = kept;
      while (size <= 2 * kept) {
        const r = await it.next();
        if (r.done) {
          s.eof = true;
          break;
        }
        if (size + r.value.length > work.length) {
          const bigger = Buffer.allocUnsafe(Math.max(2 * work.length, size + r.value.length));
          work.copy(bigger, 0, 0, size);
          work = bigger;
        }
        size += r.value.copy(work, size);
      }
      s.buf = work.subarray(0, size);
      s.pos = 0;
    }
  }
}
