// The Prometheus text exposition format (version 0.0.4): one `# HELP` and `# TYPE` line per
// family, then its samples; label values escaped (\\, \", \n); integers written exactly (bigint),
// other numbers as Go's strconv would read them (NaN, +Inf, -Inf).

export type MetricType = 'gauge' | 'counter' | 'untyped';

export interface Sample {
  labels?: Record<string, string>;
  value: number | bigint;
}

export interface MetricFamily {
  /** Full name, svipc_ prefix included; `_total` only for counters. */
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

/** The content type a scrape gets. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function formatValue(v: number | bigint): string {
  if (typeof v === 'bigint') return v.toString();
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** The exposition text of the families (families without samples are left out). */
export function exposition(families: readonly MetricFamily[]): string {
  let out = '';
  for (const f of families) {
    if (f.samples.length === 0) continue;
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {});
      const l =
        labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
      out += `${f.name}${l} ${formatValue(s.value)}\n`;
    }
  }
  return out;
}
