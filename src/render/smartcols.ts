// libsmartcols 2.38.1's output formats, as util-linux's lsipc prints a table that is not on a
// terminal: the plain table (no truncation: without a tty libsmartcols ignores $COLUMNS),
// raw (-r), export (-e), export with newlines (-n) and JSON (-J); --noheadings and the shell
// variable names of -y. Strings here are byte strings (one char = one byte, as 'latin1'
// decodes), because util-linux escapes bytes: the caller writes the result as latin1.

export interface ScolsColumn {
  /** The header (util-linux's column name, e.g. "USE%"). */
  name: string;
  /** SCOLS_FL_RIGHT: right-aligned (data and header). */
  right?: boolean;
}

export type ScolsMode = 'table' | 'raw' | 'export' | 'newline' | 'json';

export interface ScolsTable {
  /** The JSON array's name; null prints util-linux 2.38.1's `""`. */
  name: string | null;
  columns: readonly ScolsColumn[];
  /** One cell per column; null = no data (an empty cell, JSON null). */
  rows: readonly (readonly (string | null)[])[];
}

export interface ScolsOptions {
  mode: ScolsMode;
  noheadings?: boolean;
  /** -y: names usable as shell variables ("USE%" -> "USE_PCT"). */
  shellvar?: boolean;
  /**
   * With noheadings, whether the hidden header still counts in a column's width: it does in
   * libsmartcols 2.38.1 (the default), not in 2.42.2 (util-linux's POSIX listings).
   */
  hiddenHeaderWidth?: boolean;
}

const hex = (c: number): string => `\\x${c.toString(16).padStart(2, '0')}`;
/** isprint() in the C locale. */
const printable = (c: number): boolean => c >= 0x20 && c < 0x7f;

/** Each byte for which `escaped(code, next char)` holds as \xNN, the others as they are. */
function escapeBytes(s: string, escaped: (c: number, next: string | undefined) => boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += escaped(c, s[i + 1]) ? hex(c) : s[i];
  }
  return out;
}

/** mbs_safe_encode() in the C locale: unprintable bytes as \xNN, and "\" before "x" too. */
export const safeEncode = (s: string): string =>
  escapeBytes(s, (c, next) => (c === 0x5c && next === 'x') || !printable(c));

/** Raw mode: blanks, backslashes and unprintable bytes as \xNN. */
export const rawEncode = (s: string): string =>
  escapeBytes(s, (c) => c === 0x5c || c === 0x20 || !printable(c));

/** Export mode's value inside "...": the shell's specials (" $ \ `) and unprintable bytes as \xNN. */
export const exportEncode = (s: string): string =>
  escapeBytes(s, (c) => c === 0x22 || c === 0x24 || c === 0x5c || c === 0x60 || !printable(c));

const JSON_ESCAPES: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };

/** A JSON string's inside: quote and backslash escaped, control bytes as \t... or \u00NN; others raw. */
export function jsonEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += `\\${s[i]}`;
    else if (c < 0x20) out += JSON_ESCAPES[c] ?? `\\u${c.toString(16).padStart(4, '0')}`;
    else out += s[i];
  }
  return out;
}

/** scols_shellvar_name(): "USE%" -> "USE_PCT", other non-alphanumerics -> "_", no leading digit. */
export function shellvarName(name: string): string {
  const s = name.replace(/%$/, '_PCT').replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** The whole output of scols_print_table() for `table`. */
export function renderScols(table: ScolsTable, o: ScolsOptions): string {
  const header = (c: ScolsColumn) => (o.shellvar ? shellvarName(c.name) : c.name);
  if (o.mode === 'json') return renderJson(table, header);
  if (table.rows.length === 0) return '';
  const cell = (v: string | null) => v ?? '';
  let out = '';
  switch (o.mode) {
    case 'raw':
      if (!o.noheadings) out += `${table.columns.map((c) => rawEncode(header(c))).join(' ')}\n`;
      for (const row of table.rows) out += `${row.map((v) => rawEncode(cell(v))).join(' ')}\n`;
      return out;
    case 'export':
    case 'newline': {
      const sep = o.mode === 'export' ? ' ' : '\n';
      for (const row of table.rows) {
        out += `${table.columns.map((c, i) => `${header(c)}="${exportEncode(cell(row[i] ?? null))}"`).join(sep)}\n`;
      }
      return out;
    }
    default:
      return renderPlain(table, header, !!o.noheadings, o.hiddenHeaderWidth ?? true);
  }
}

/**
 * The plain table: each column as wide as its widest cell or its header (the header counts
 * under --noheadings unless hiddenHeaderWidth is false, and with -y it is the original name
 * that counts); single-space separators; the last column is not padded on the right, and an
 * empty right-aligned last cell not at all.
 */
function renderPlain(
  table: ScolsTable,
  header: (c: ScolsColumn) => string,
  noheadings: boolean,
  hiddenHeaderWidth: boolean,
): string {
  const rows = table.rows.map((r) => table.columns.map((_, i) => safeEncode(r[i] ?? '')));
  const headerWidth = (c: ScolsColumn) => (noheadings && !hiddenHeaderWidth ? 0 : c.name.length);
  const widths = table.columns.map((c, i) => Math.max(headerWidth(c), ...rows.map((r) => r[i]!.length)));
  const last = table.columns.length - 1;
  const line = (cells: readonly string[]): string => {
    let s = '';
    table.columns.forEach((c, i) => {
      const data = cells[i]!;
      const pad = ' '.repeat(Math.max(0, widths[i]! - data.length));
      if (c.right && data !== '') s += pad + data;
      else s += i === last ? data : data + pad;
      if (i !== last) s += ' ';
    });
    return `${s}\n`;
  };
  let out = noheadings ? '' : line(table.columns.map((c) => safeEncode(header(c))));
  for (const r of rows) out += line(r);
  return out;
}

/** JSON as libsmartcols 2.38.1 writes it: every value a string (or null for no data). */
function renderJson(table: ScolsTable, header: (c: ScolsColumn) => string): string {
  const keys = table.columns.map((c) => jsonEncode(header(c).toLowerCase()));
  const objects = table.rows.map((row) => {
    const fields = keys.map((k, i) => {
      const v = row[i];
      return `         "${k}": ${v === null || v === undefined || v === '' ? 'null' : `"${jsonEncode(v)}"`}`;
    });
    return `{\n${fields.join(',\n')}\n      }`;
  });
  const body = objects.length ? `      ${objects.join(',')}\n` : '\n';
  return `{\n   "${jsonEncode(table.name ?? '')}": [\n${body}   ]\n}\n`;
}
