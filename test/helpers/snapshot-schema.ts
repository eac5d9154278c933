// schema/snapshot.schema.json refers to ipcs.schema.json's System V records
// ("ipcs.schema.json#/$defs/queue"). The subset validator resolves local references only, so
// the two files are joined here: ipcs.schema.json's $defs added to the snapshot schema's (no
// name is in both: checked) and the references made local.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SchemaValidator } from '../unit/ipcs-schema-validator.js';
import { ROOT } from './run.js';

const load = (f: string) => JSON.parse(readFileSync(join(ROOT, 'schema', f), 'utf8'));

function localRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(localRefs);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' ? v.replace(/^ipcs\.schema\.json#/, '#') : localRefs(v),
    ]),
  );
}

/** The snapshot schema, joined with ipcs.schema.json's definitions. */
export function snapshotSchema(): Record<string, unknown> {
  const snap = load('snapshot.schema.json');
  const ipcs = load('ipcs.schema.json');
  const both = Object.keys(snap.$defs).filter((k) => k in ipcs.$defs);
  if (both.length > 0)
    throw new Error(`snapshot.schema.json and ipcs.schema.json both define ${both.join(', ')}`);
  return localRefs({ ...snap, $defs: { ...ipcs.$defs, ...snap.$defs } }) as Record<string, unknown>;
}

/** A validator of one of the snapshot schema's definitions (default: the snapshot document). */
export function snapshotValidator(def?: string): SchemaValidator {
  const schema = snapshotSchema();
  return new SchemaValidator(def === undefined ? schema : { ...schema, $ref: `#/$defs/${def}` });
}
