// A validator for the subset of JSON Schema (2020-12) that schema/ipcs.schema.json uses:
// $ref (local), type, const, enum, properties, required, additionalProperties: false,
// unevaluatedProperties: false (properties of the schema and its allOf), items, allOf,
// oneOf, pattern, minimum, maximum. Any other keyword throws, so the schema cannot grow a
// feature this validator would silently ignore. (Written instead of adding ajv: ~100 lines,
// no new dependency for a package other engineers install too.)

export type Schema = { [k: string]: unknown } | boolean;

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', '$defs']);
const KEYWORDS = new Set([
  '$ref',
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'unevaluatedProperties',
  'items',
  'allOf',
  'oneOf',
  'pattern',
  'minimum',
  'maximum',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' || typeof v === 'bigint')
    return Number.isInteger(Number(v)) ? 'integer' : 'number';
  return typeof v;
}

function matchesType(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

export class SchemaValidator {
  constructor(private readonly root: { [k: string]: unknown }) {}

  private resolve(ref: string): Schema {
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let node: unknown = this.root;
    for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)[part];
    if (node === undefined) throw new Error(`dangling $ref ${ref}`);
    return node as Schema;
  }

  /** Every error, as "path: message"; empty when valid. */
  validate(value: unknown, schema: Schema = this.root, path = '$'): string[] {
    if (schema === true) return [];
    if (schema === false) return [`${path}: not allowed`];
    const errors: string[] = [];
    for (const k of Object.keys(schema)) {
      if (!KEYWORDS.has(k) && !ANNOTATIONS.has(k)) throw new Error(`unsupported keyword ${k} at ${path}`);
    }
    const s = schema as Record<string, unknown>;
    if (typeof s.$ref === 'string') errors.push(...this.validate(value, this.resolve(s.$ref), path));
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((t) => matchesType(value, t)))
        errors.push(`${path}: ${typeOf(value)} is not ${types.join('|')}`);
    }
    if ('const' in s && value !== s.const)
      errors.push(`${path}: ${JSON.stringify(value)} !== ${JSON.stringify(s.const)}`);
    if (Array.isArray(s.enum) && !s.enum.includes(value))
      errors.push(`${path}: ${JSON.stringify(value)} not in enum`);
    if (
      typeof value === 'string' &&
      typeof s.pattern === 'string' &&
      !new RegExp(s.pattern, 'u').test(value)
    ) {
      errors.push(`${path}: '${value}' does not match ${s.pattern}`);
    }
    if (typeof value === 'number') {
      if (typeof s.minimum === 'number' && value < s.minimum) errors.push(`${path}: ${value} < ${s.minimum}`);
      if (typeof s.maximum === 'number' && value > s.maximum) errors.push(`${path}: ${value} > ${s.maximum}`);
    }
    if (Array.isArray(s.allOf))
      for (const sub of s.allOf) errors.push(...this.validate(value, sub as Schema, path));
    if (Array.isArray(s.oneOf)) {
      const passing = s.oneOf.filter((sub) => this.validate(value, sub as Schema, path).length === 0).length;
      if (passing !== 1) errors.push(`${path}: matches ${passing} of oneOf, not exactly 1`);
    }
    if (Array.isArray(value) && s.items !== undefined) {
      for (const [i, x] of value.entries())
        errors.push(...this.validate(x, s.items as Schema, `${path}[${i}]`));
    }
    if (typeOf(value) === 'object') {
      const obj = value as Record<string, unknown>;
      const props = (s.properties ?? {}) as Record<string, Schema>;
      for (const [k, sub] of Object.entries(props)) {
        if (k in obj) errors.push(...this.validate(obj[k], sub, `${path}.${k}`));
      }
      for (const k of (s.required ?? []) as string[]) if (!(k in obj)) errors.push(`${path}: missing ${k}`);
      if (s.additionalProperties === false) {
        for (const k of Object.keys(obj)) if (!(k in props)) errors.push(`${path}: unexpected ${k}`);
      }
      if (s.unevaluatedProperties === false) {
        const known = this.evaluated(s);
        for (const k of Object.keys(obj)) if (!known.has(k)) errors.push(`${path}: unexpected ${k}`);
      }
    }
    return errors;
  }

  /** Property names declared by a schema and its allOf / $ref (the simplified unevaluatedProperties). */
  private evaluated(s: Record<string, unknown>): Set<string> {
    const out = new Set(Object.keys((s.properties ?? {}) as object));
    const subs: unknown[] = [...((s.allOf as unknown[]) ?? [])];
    if (typeof s.$ref === 'string') subs.push(this.resolve(s.$ref));
    for (const sub of subs) {
      const r = sub as Record<string, unknown>;
      const target = typeof r.$ref === 'string' ? (this.resolve(r.$ref) as Record<string, unknown>) : r;
      for (const k of this.evaluated(target)) out.add(k);
    }
    return out;
  }
}
