// `svipc top`'s views of a sample: the screen (a header with the kernel limits, one row per
// object, a key line), the same table once for a pipe, and the NDJSON document. Pure: the
// terminal is src/live/terminal.ts's.
import { inspect } from 'node:util';
import { userName } from '../ipc/users.js';
import { permString, sizeToHumanString } from '../render/human.js';
import type { JsonValue } from '../render/json.js';
import { type LiveRow, percent, type Sample } from './sample.js';

export const SORT_KEYS = ['id', 'kind', 'owner', 'depth', 'rate', 'waiters', 'age'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export const KINDS = ['msg', 'sem', 'shm'] as const;
export type KindFilter = (typeof KINDS)[number] | 'all';

export interface ViewState {
  sort: SortKey;
  kind: KindFilter;
  /** Only objects of this owner (a user name or a uid), or null for all. */
  owner: string | null;
}

const KIND_ORDER = { msg: 0, sem: 1, shm: 2 } as const;

export function ownerName(uid: number): string {
  return userName(uid) ?? String(uid);
}

/** The rows the state lets through, sorted (largest first for depth, rate, waiters, age). */
export function visibleRows(sample: Sample, state: ViewState): LiveRow[] {
  const rows = sample.rows.filter(
    (r) =>
      (state.kind === 'all' || r.record.kind === state.kind) &&
      (state.owner === null ||
        ownerName(r.record.uid) === state.owner ||
        String(r.record.uid) === state.owner),
  );
  const byId = (a: LiveRow, b: LiveRow) =>
    KIND_ORDER[a.record.kind] - KIND_ORDER[b.record.kind] || a.record.id - b.record.id;
  const num = (f: (r: LiveRow) => number) => (a: LiveRow, b: LiveRow) => f(b) - f(a) || byId(a, b);
  const cmp: Record<SortKey, (a: LiveRow, b: LiveRow) => number> = {
    id: (a, b) => a.record.id - b.record.id || byId(a, b),
    kind: byId,
    owner: (a, b) => ownerName(a.record.uid).localeCompare(ownerName(b.record.uid)) || byId(a, b),
    depth: num(fraction),
    rate: num((r) => Math.abs(r.rates?.netBytes ?? 0) + (r.rates?.bytesIn ?? 0) + (r.rates?.bytesOut ?? 0)),
    waiters: num((r) => r.waiters ?? -1),
    age: num((r) => sample.time - r.record.ctime),
  };
  return rows.sort(cmp[state.sort]);
}

/** How full an object is, 0..1: queues cbytes/qbytes; others depth against the largest of their kind. */
function fraction(r: LiveRow, scale?: Map<string, number>): number {
  if (r.record.kind === 'msg') return r.depthOf ? Math.min(1, r.depth / r.depthOf) : 0;
  const max = scale?.get(r.record.kind) ?? Math.max(1, r.depth);
  return max > 0 ? Math.min(1, r.depth / max) : 0;
}

function scales(rows: LiveRow[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(r.record.kind, Math.max(m.get(r.record.kind) ?? 1, r.depth));
  return m;
}

/** Seconds as the shortest readable age: 42s, 7m03s, 5h12m, 3d04h. */
export function age(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor(s / 3600) % 24).padStart(2, '0')}h`;
}

const rate = (n: number | null | undefined, unit: 'msgs' | 'bytes'): string => {
  if (n === null || n === undefined) return '?';
  if (unit === 'bytes') return sizeToHumanString(Math.round(Math.abs(n)));
  return (Math.round(Math.abs(n) * 10) / 10).toString();
};

function depthText(r: LiveRow): string {
  const rec = r.record;
  if (rec.kind === 'msg')
    return `${sizeToHumanString(r.depth)}/${r.depthOf === null ? '?' : sizeToHumanString(r.depthOf)}`;
  if (rec.kind === 'shm') return `${rec.nattch} att`;
  if (!rec.elements) return '?';
  const vals = rec.elements.map((e) => e.value).join(',');
  return vals.length > 12 ? `${vals.slice(0, 11)}…` : vals;
}

function ratesText(r: LiveRow): string {
  if (r.record.kind !== 'msg') return '-';
  const q = r.rates;
  if (!q) return '…';
  return `+${rate(q.msgsIn, 'msgs')}/-${rate(q.msgsOut, 'msgs')} ${rate(q.bytesIn, 'bytes')}/${rate(q.bytesOut, 'bytes')}`;
}

function sizeText(r: LiveRow): string {
  const rec = r.record;
  if (rec.kind === 'msg') return `${rec.qnum} msg`;
  if (rec.kind === 'sem') return `${rec.nsems} sem`;
  return sizeToHumanString(rec.size);
}

interface Column {
  title: string;
  width: number;
  right?: boolean;
  get: (r: LiveRow, now: number) => string;
}

const COLUMNS: Column[] = [
  { title: 'KIND', width: 4, get: (r) => r.record.kind },
  { title: 'ID', width: 7, right: true, get: (r) => String(r.record.id) },
  {
    title: 'KEY',
    width: 10,
    get: (r) => `0x${(r.record.key >>> 0).toString(16).padStart(8, '0')}`,
  },
  { title: 'OWNER', width: 8, get: (r) => ownerName(r.record.uid) },
  { title: 'PERMS', width: 9, get: (r) => permString(r.record.mode) },
  { title: 'SIZE', width: 8, right: true, get: sizeText },
  { title: 'DEPTH', width: 13, right: true, get: depthText },
  {
    title: 'WAIT',
    width: 4,
    right: true,
    get: (r) => (r.record.kind === 'shm' ? '-' : r.waiters === null ? '?' : String(r.waiters)),
  },
  { title: 'IN/OUT MSG/S  B/S', width: 17, right: true, get: ratesText },
  { title: 'AGE', width: 6, right: true, get: (r, now) => age(now - r.record.ctime) },
];

function cell(s: string, width: number, right = false): string {
  const t = s.length > width ? `${s.slice(0, width - 1)}…` : s;
  return right ? t.padStart(width) : t.padEnd(width);
}

/** A bar of `width` cells, `f` of it full. */
export function bar(f: number, width: number): string {
  const full = Math.round(Math.max(0, Math.min(1, f)) * width);
  return `${'#'.repeat(full)}${'.'.repeat(width - full)}`;
}

type Style = 'inverse' | 'dim' | 'red' | 'yellow' | 'green';

/**
 * `s` in a style, with the SGR codes of Node's own table (util.inspect.colors). Not
 * util.styleText: Node 20.20's checks the stream and treats an empty NO_COLOR as set, where
 * no-color.org (and top, which decides itself: `color`) lets only a non-empty one turn colour off.
 */
function sgr(style: Style, s: string): string {
  const [on, off] = inspect.colors[style] ?? [0, 0];
  return `\u001b[${on}m${s}\u001b[${off}m`;
}

export interface FrameOptions {
  width: number;
  /** Lines available; Infinity for a pipe. */
  height: number;
  color: boolean;
  /** The key line at the bottom (the interactive screen only). */
  keys: boolean;
  interval: number;
}

/** The view as lines of at most `width` characters (colour escapes aside). */
export function frame(sample: Sample, state: ViewState, o: FrameOptions): string[] {
  const paint = (fmt: Style, s: string) => (o.color ? sgr(fmt, s) : s);
  const lines: string[] = [];
  const clip = (s: string) => (s.length > o.width ? s.slice(0, o.width) : s);
  const when = new Date(sample.time * 1000).toISOString().replace('T', ' ').slice(0, 19);
  const shown = visibleRows(sample, state);
  lines.push(
    clip(
      `svipc top - ${when} UTC, every ${o.interval}s - ${shown.length} of ${sample.rows.length} objects` +
        ` - sort: ${state.sort}, kind: ${state.kind}, owner: ${state.owner ?? 'all'}`,
    ),
  );
  const lim = sample.limits.map((u) => {
    const p = percent(u);
    return `${u.name} ${u.used}/${u.limit} ${p === null ? '?' : `${p}%`}`;
  });
  for (let i = 0; i < lim.length; i += 3) lines.push(clip(`  ${lim.slice(i, i + 3).join('  ')}`));
  if (sample.waitBlind) lines.push(clip(`  WAIT may miss threads: ${sample.waitBlind}`));
  const fixed = COLUMNS.reduce((a, c) => a + c.width + 1, 0);
  const barWidth = Math.max(0, Math.min(20, o.width - fixed - 1));
  const head = COLUMNS.map((c) => cell(c.title, c.width, c.right)).join(' ');
  const title = `${head}${barWidth ? ` ${cell('FILL', barWidth)}` : ''}`;
  lines.push(paint('inverse', clip(o.keys ? title.padEnd(o.width) : title.trimEnd())));
  const footer = o.keys ? 1 : 0;
  const room = o.height - lines.length - footer;
  const sc = scales(sample.rows);
  // When not all fit, the last line says how many more there are.
  const rows = shown.slice(0, Math.max(0, shown.length > room ? room - 1 : room));
  for (const r of rows) {
    const text = COLUMNS.map((c) => cell(c.get(r, sample.time), c.width, c.right)).join(' ');
    const f = fraction(r, sc);
    let b = barWidth ? ` ${bar(f, barWidth)}` : '';
    if (o.color && b) b = paint(f >= 0.9 ? 'red' : f >= 0.6 ? 'yellow' : 'green', b);
    lines.push(barWidth ? `${clip(text)}${b}` : clip(text));
  }
  if (shown.length > rows.length) lines.push(clip(`  … ${shown.length - rows.length} more`));
  if (o.keys) {
    while (lines.length < o.height - 1) lines.push('');
    lines.length = Math.min(lines.length, Math.max(0, o.height - 1));
    lines.push(
      paint(
        'dim',
        clip(
          'q quit  sort: i id, k kind, o owner, d depth, r rate, w waiters, a age  f kind filter  u owner filter',
        ),
      ),
    );
  }
  return lines;
}

/** One sample as one JSON line's document: exact numbers, no human sizes. */
export function sampleJson(sample: Sample, state: ViewState, interval: number): JsonValue {
  return {
    schemaVersion: 1,
    time: sample.time,
    interval,
    limits: sample.limits.map((u) => ({ name: u.name, used: u.used, limit: u.limit, percent: percent(u) })),
    waitBlind: sample.waitBlind,
    objects: visibleRows(sample, state).map((r) => {
      const rec = r.record;
      const base: { [k: string]: JsonValue } = {
        kind: rec.kind,
        id: rec.id,
        key: rec.key,
        uid: rec.uid,
        owner: userName(rec.uid),
        perms: rec.mode & 0o777,
        ageSeconds: Math.max(0, Math.floor(sample.time - rec.ctime)),
        waiters: r.waiters,
      };
      if (rec.kind === 'msg')
        return {
          ...base,
          cbytes: rec.cbytes,
          qbytes: r.depthOf,
          qnum: rec.qnum,
          rates: r.rates && { ...r.rates },
        };
      if (rec.kind === 'shm') return { ...base, size: rec.size, nattch: rec.nattch };
      return {
        ...base,
        nsems: rec.nsems,
        values: rec.elements ? rec.elements.map((e) => e.value) : null,
        ncount: rec.elements ? rec.elements.reduce((a, e) => a + e.ncount, 0) : null,
        zcount: rec.elements ? rec.elements.reduce((a, e) => a + e.zcount, 0) : null,
      };
    }),
  };
}
