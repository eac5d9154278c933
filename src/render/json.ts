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
  | { [key: string]: JsonValue };

/** Roughly how many characters jsonChunks() gathers before it yields them. */
export const CHUNK = 64 * 1024;

function scalar(v: null | undefined | boolean | number | bigint | string): string {
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

/** Appends the text of `v` to `out` (pieces), without building nested strings. */
function emit(v: JsonValue | undefined, indent: string, step: string, out: string[]): void {
  if (v === null || v === undefined || typeof v !== 'object') {
    out.push(scalar(v));
    return;
  }
  const inner = indent + step;
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push('[]');
      return;
    }
    out.push('[\n');
    for (let i = 0; i < v.length; i++) {
      out.push(i === 0 ? inner : `,\n${inner}`);
      emit(v[i], inner, step, out);
    }
    out.push(`\n${indent}]`);
    return;
  }
  let first = true;
  for (const k in v) {
    if (!Object.hasOwn(v, k) || v[k] === undefined) continue;
    out.push(first ? `{\n${inner}` : `,\n${inner}`, JSON.stringify(k), ': ');
    first = false;
    emit(v[k], inner, step, out);
  }
  out.push(first ? '{}' : `\n${indent}}`);
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
  // Yields what is gathered once it reaches `size`; `out` only ever holds about one chunk.
  function* flush(force: boolean): Generator<string> {
    for (; counted < out.length; counted++) pending += out[counted]!.length;
    if (pending === 0 || (!force && pending < size)) return;
    yield out.join('');
    out.length = 0;
    counted = 0;
    pending = 0;
  }
  function* nested(v: JsonValue | undefined, indent: string): Generator<string> {
    if (v === null || v === undefined || typeof v !== 'object') {
      out.push(scalar(v));
      return;
    }
    const inner = indent + step;
    if (Array.isArray(v)) {
      if (v.length === 0) {
        out.push('[]');
        return;
      }
      out.push('[\n');
      for (let i = 0; i < v.length; i++) {
        out.push(i === 0 ? inner : `,\n${inner}`);
        // Big arrays (the listings) are walked element by element; small values at once.
        if (indent.length < 2 * step.length) yield* nested(v[i], inner);
        else emit(v[i], inner, step, out);
        yield* flush(false);
      }
      out.push(`\n${indent}]`);
      return;
    }
    let first = true;
    for (const k in v) {
      if (!Object.hasOwn(v, k) || v[k] === undefined) continue;
      out.push(first ? `{\n${inner}` : `,\n${inner}`, JSON.stringify(k), ': ');
      first = false;
      if (indent.length < 2 * step.length) yield* nested(v[k], inner);
      else emit(v[k], inner, step, out);
      yield* flush(false);
    }
    out.push(first ? '{}' : `\n${indent}}`);
  }
  yield* nested(value, '');
  out.push('\n');
  yield* flush(true);
}
