// lsipc's layouts: the table in libsmartcols' formats (table, raw, export, newline, JSON) and
// --id/--name's "pretty" listing (one "Label:   value" line per column with data, and a
// semaphore set's "Elements:" table). Values come from the column getters (lsipc-columns.ts).
import type { SemElement } from '../ipc/inventory.js';
import { type CellContext, cellValue, type LsipcColumn, type LsipcRow } from './lsipc-columns.js';
import { renderScols, type ScolsMode } from './smartcols.js';

export interface LsipcLayout {
  mode: 'table' | 'list' | 'pretty' | ScolsMode;
  noheadings: boolean;
  shellvar: boolean;
  /** A command line with a POSIX option: libsmartcols 2.42.2's widths under --noheadings. */
  posix: boolean;
}

/** The whole output of one lsipc run. */
export function renderLsipc(
  layout: LsipcLayout,
  tableName: string | null,
  cols: readonly LsipcColumn[],
  rows: readonly LsipcRow[],
  cells: CellContext,
  elements: readonly SemElement[] | null,
): string {
  const data = rows.map((row) => cols.map((c) => cellValue(c, row, cells)));
  if (layout.mode === 'pretty') {
    const first = data[0];
    if (!first) return '';
    let s = '';
    cols.forEach((c, i) => {
      const v = first[i];
      if (v !== null && v !== undefined)
        s += `${c.pretty}:${' '.repeat(35 - c.pretty.length)}${v.padEnd(36)}\n`;
    });
    if (elements !== null) s += `Elements:\n\n${elementsTable(elements, cells)}`;
    return s;
  }
  return renderScols(
    { name: tableName, columns: cols.map((c) => ({ name: c.name, right: c.right })), rows: data },
    {
      mode: layout.mode === 'list' ? 'table' : layout.mode,
      noheadings: layout.noheadings,
      shellvar: layout.shellvar,
      hiddenHeaderWidth: !layout.posix,
    },
  );
}

/** The --id listing's "Elements:" table of a semaphore set. */
function elementsTable(elements: readonly SemElement[], cells: CellContext): string {
  const names = ['SEMNUM', 'VALUE', 'NCOUNT', 'ZCOUNT', 'PID', 'COMMAND'];
  return renderScols(
    {
      name: 'elements',
      columns: names.map((name) => ({ name, right: true })),
      rows: elements.map((e) => [
        String(e.semnum),
        String(e.value),
        String(e.ncount),
        String(e.zcount),
        String(e.pid),
        cells.command(e.pid),
      ]),
    },
    { mode: 'table' },
  );
}
