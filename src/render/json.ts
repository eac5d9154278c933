// JSON text with exact 64-bit integers: a bigint is written as its digits (a JSON number),
// where JSON.stringify would throw. Two-space indentation, a newline at the end.
// jsonChunks() yields the same text in pieces of about CHUNK characters, so a large listing
// is written as it is serialized instead of being held whole in one string.

export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | JsonValue[]
  | JsonRows
  | { [key: string]: JsonValue };

/**
 * An array written element by element from its source and never held whole: a listing's
 * rows, each made into its JSON object only when its turn comes (37,000 objects stay 37,000
 * records, not 37,000 records and as many documents).
 */
export class JsonRows {
  private constructor(
    readonly rows: () => Iterable<JsonValue>,
    /** The rows' text at an indentation, when the source writes it directly (see `of`). */
    readonly texts?: (indent: string, step: string) => Iterable<string>,
  ) {}

  /**
   * The rows `row` makes of `source`'s items, one at a time. `rowText`, when given, writes an
   * item's text at once, without the row (a listing's 37,000 objects, 250 elements each in a
   * set): it must write exactly what the row's text would be (its test compares them).
   */
  static of<T>(
    source: Iterable<T>,
    row: (item: T) => JsonValue,
    rowText?: (item: T, indent: string, step: string) => string,
  ): JsonRows {
    return new JsonRows(
      function* () {
        for (const item of source) yield row(item);
      },
      rowText &&
        function* (indent, step) {
          for (const item of source) yield rowText(item, indent, step);
        },
    );
  }
}

/** JSON.stringify of a member name, once per name (a listing repeats the same few). */
const quotedNames = new Map<string, string>();
function quoted(k: string): string {
  let q = quotedNames.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quotedNames.size < 4096) quotedNames.set(k, q);
  }
  return q;
}

/** Roughly how many characters jsonChunks() gathers before it yields them. */
export const CHUNK = 64 * 1024;

/** A scalar's JSON text (undefined and non-finite numbers are null, as in text()). */
export function scalar(v: null | undefined | boolean | number | bigint | string): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'bigint':
      return v.toString();
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return JSON.stringify(v);
  }
}

/** The text of `v` at this indentation (one string: V8 joins the pieces as ropes, cheaply). */
function text(v: JsonValue | undefined, indent: string, step: string): string {
  if (v === null || v === undefined || typeof v !== 'object') return scalar(v);
  const inner = indent + step;
  if (Array.isArray(v) || v instanceof JsonRows) {
    let out = '';
    for (const item of elements(v)) out += `${out === '' ? '[\n' : ',\n'}${inner}${text(item, inner, step)}`;
    return out === '' ? '[]' : `${out}\n${indent}]`;
  }
  let out = '';
  for (const k in v) {
    if (!Object.hasOwn(v, k) || v[k] === undefined) continue;
    out += `${out === '' ? '{\n' : ',\n'}${inner}${quoted(k)}: ${text(v[k], inner, step)}`;
  }
  return out === '' ? '{}' : `${out}\n${indent}}`;
}

/** The elements of an array, or of rows as they are made. */
function elements(v: JsonValue[] | JsonRows): Iterable<JsonValue> {
  return Array.isArray(v) ? v : v.rows();
}

/** The document as JSON text, ending with a newline. */
export function toJson(value: JsonValue, step = '  '): string {
  return [...jsonChunks(value, step)].join('');
}

/**
 * The text of toJson(value), in order, as strings of about `size` characters: a top-level
 * array's elements, or a top-level object's members, are serialized one at a time.
 */
export function* jsonChunks(value: JsonValue, step = '  ', size = CHUNK): Generator<string> {
  const out: string[] = [];
  let counted = 0; // how many pieces of `out` are in `pending`
  let pending = 0;
  // What is gathered once it reaches `size` (or anything, when forced); `out` only ever
  // holds about one chunk. A plain function: this runs once per listed object.
  function take(force: boolean): string | null {
    for (; counted < out.length; counted++) pending += out[counted]!.length;
    if (pending === 0 || (!force && pending < size)) return null;
    const chunk = out.join('');
    out.length = 0;
    counted = 0;
    pending = 0;
    return chunk;
  }
  // The top two levels (the document, its listings) are walked here, yielding between
  // elements; anything deeper (one object of a listing) is serialized at once by text().
  function* nested(v: JsonValue | undefined, indent: string): Generator<string> {
    if (v === null || v === undefined || typeof v !== 'object' || indent.length >= 2 * step.length) {
      out.push(text(v, indent, step));
      return;
    }
    const inner = indent + step;
    if (Array.isArray(v) || v instanceof JsonRows) {
      let i = 0;
      const deep = inner.length >= 2 * step.length; // a listing's objects: no generator each
      if (deep && v instanceof JsonRows && v.texts !== undefined) {
        for (const t of v.texts(inner, step)) {
          out.push(i++ === 0 ? `[\n${inner}` : `,\n${inner}`, t);
          const chunk = take(false);
          if (chunk !== null) yield chunk;
        }
        out.push(i === 0 ? '[]' : `\n${indent}]`);
        return;
      }
      for (const item of elements(v)) {
        out.push(i++ === 0 ? `[\n${inner}` : `,\n${inner}`);
        if (deep) out.push(text(item, inner, step));
        else yield* nested(item, inner);
        const chunk = take(false);
        if (chunk !== null) yield chunk;
      }
      out.push(i === 0 ? '[]' : `\n${indent}]`);
      return;
    }
    let first = true;
    for (const k in v) {
      if (!Object.hasOwn(v, k) || v[k] === undefined) continue;
      out.push(first ? `{\n${inner}` : `,\n${inner}`, quoted(k), ': ');
      first = false;
      yield* nested(v[k], inner);
      const chunk = take(false);
      if (chunk !== null) yield chunk;
    }
    out.push(first ? '{}' : `\n${indent}}`);
  }
  yield* nested(value, '');
  out.push('\n');
  const last = take(true);
  if (last !== null) yield last;
}
