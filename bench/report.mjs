// The pure half of `npm run bench`: statistics over the pairs, the results file
// (Markdown) and its chart (SVG, drawn here by hand). No process is run here.

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function range(xs) {
  return xs.length ? [Math.min(...xs), Math.max(...xs)] : [Number.NaN, Number.NaN];
}

/** Per-pair ratios a[i] / b[i] (the svipc run over the baseline run of the same pair). */
export function ratios(a, b) {
  const n = Math.min(a.length, b.length);
  const out = [];
  for (let i = 0; i < n; i++) if (b[i] > 0) out.push(a[i] / b[i]);
  return out;
}

/** A row's figures: medians, ranges, per-pair ratios of time and of peak memory. */
export function summarize(row) {
  if (row.status !== 'ok') return { ...row };
  const t = ratios(row.a.values, row.b.values);
  const m = row.a.kb?.length && row.b.kb?.length ? ratios(row.a.kb, row.b.kb) : [];
  return {
    ...row,
    aMedian: median(row.a.values),
    aRange: range(row.a.values),
    bMedian: median(row.b.values),
    bRange: range(row.b.values),
    aKb: row.a.kb?.length ? median(row.a.kb) : undefined,
    bKb: row.b.kb?.length ? median(row.b.kb) : undefined,
    ratio: median(t),
    ratioRange: range(t),
    memRatio: m.length ? median(m) : undefined,
    memRatioRange: m.length ? range(m) : undefined,
  };
}

function num(x, unit) {
  if (!Number.isFinite(x)) return '-';
  if (unit === 'ms') return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 2 : 1)} ms`;
  if (unit === 'ns/op') return x >= 1000 ? `${(x / 1000).toFixed(2)} us` : `${x.toFixed(0)} ns`;
  return `${x.toPrecision(3)} ${unit}`;
}

const mem = (kb) => (kb === undefined ? '-' : kb >= 10240 ? `${(kb / 1024).toFixed(0)} MB` : `${kb} KB`);
const rx = (x) => (Number.isFinite(x) ? `${x.toFixed(x >= 10 ? 1 : 2)}x` : '-');
const cell = (s) => String(s).replaceAll('|', '\\|').replaceAll('\n', ' ');

/** Markdown table of summarized rows. */
export function table(rows) {
  const out = [
    '| figure | svipc: median (min-max) | baseline | baseline: median (min-max) | time ratio (per pair: median, min-max) | peak memory svipc / baseline | memory ratio |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    if (r.status !== 'ok') {
      out.push(`| ${cell(r.name)} | ${cell(r.status)} | ${cell(r.b?.label ?? '')} | | | | |`);
      continue;
    }
    const u = r.unit;
    const extra = (m) =>
      r.rate ? `, ${Math.round(r.rate / (m / 1000)).toLocaleString('en-US')} ${r.rateUnit}` : '';
    out.push(
      `| ${cell(r.name)} | ${num(r.aMedian, u)} (${num(r.aRange[0], u)}-${num(r.aRange[1], u)})${extra(r.aMedian)} ` +
        `| ${cell(r.b.label)} | ${num(r.bMedian, u)} (${num(r.bRange[0], u)}-${num(r.bRange[1], u)})${extra(r.bMedian)} ` +
        `| ${rx(r.ratio)} (${rx(r.ratioRange[0])}-${rx(r.ratioRange[1])}) ` +
        `| ${mem(r.aKb)} / ${mem(r.bKb)} ` +
        `| ${r.memRatio === undefined ? '-' : `${rx(r.memRatio)} (${rx(r.memRatioRange[0])}-${rx(r.memRatioRange[1])})`} |`,
    );
  }
  return out.join('\n');
}

const esc = (s) =>
  String(s)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

/**
 * The chart: one line per measured row, its time ratio (bar at the median, whisker from
 * min to max of the per-pair ratios) and, when measured, its memory ratio (thinner bar),
 * on a log scale with 1x (parity with the baseline) marked.
 */
export function svg(rows, title) {
  const shown = rows.filter((r) => r.status === 'ok' && Number.isFinite(r.ratio));
  const labelW = 430;
  const plotW = 520;
  const rowH = 26;
  const top = 48;
  const W = labelW + plotW + 70;
  const H = top + Math.max(shown.length, 1) * rowH + 40;
  const all = shown.flatMap((r) => [r.ratioRange[0], r.ratioRange[1], r.memRatioRange?.[1] ?? 1]);
  const lo = Math.min(0.5, ...all.map((x) => x / 1.2));
  const hi = Math.max(2, ...all.map((x) => x * 1.2));
  const x = (v) =>
    labelW + ((Math.log(Math.max(v, lo)) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * plotW;
  const p = [];
  p.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12" role="img" aria-label="${esc(title)}">`,
  );
  p.push(`<title>${esc(title)}</title>`);
  p.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  p.push(`<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`);
  p.push(
    `<text x="10" y="38" fill="#444">svipc / baseline per pair, log scale: bar = median time ratio, whisker = min-max; thin bar = peak-memory ratio</text>`,
  );
  const ticks = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].filter((t) => t >= lo && t <= hi);
  const bottom = top + shown.length * rowH;
  for (const t of ticks) {
    p.push(
      `<line x1="${x(t).toFixed(1)}" y1="${top - 4}" x2="${x(t).toFixed(1)}" y2="${bottom}" stroke="${t === 1 ? '#000' : '#ddd'}" stroke-width="${t === 1 ? 1.5 : 1}"/>`,
    );
    p.push(`<text x="${x(t).toFixed(1)}" y="${bottom + 16}" text-anchor="middle">${t}x</text>`);
  }
  shown.forEach((r, i) => {
    const y = top + i * rowH;
    p.push(
      `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${esc(r.name.replaceAll('`', ''))}</text>`,
    );
    const x0 = x(lo);
    p.push(
      `<rect class="time" x="${x0.toFixed(1)}" y="${y + 4}" width="${(x(r.ratio) - x0).toFixed(1)}" height="12" fill="#4a7ebb"><title>${esc(`${r.name}: time ${r.ratio.toFixed(2)}x`)}</title></rect>`,
    );
    p.push(
      `<line x1="${x(r.ratioRange[0]).toFixed(1)}" y1="${y + 10}" x2="${x(r.ratioRange[1]).toFixed(1)}" y2="${y + 10}" stroke="#1d3557" stroke-width="2"/>`,
    );
    if (r.memRatio !== undefined) {
      p.push(
        `<rect class="memory" x="${x0.toFixed(1)}" y="${y + 18}" width="${(x(r.memRatio) - x0).toFixed(1)}" height="5" fill="#e07a1f"><title>${esc(`${r.name}: memory ${r.memRatio.toFixed(2)}x`)}</title></rect>`,
      );
    }
    p.push(
      `<text x="${(x(Math.max(r.ratio, r.ratioRange[1])) + 4).toFixed(1)}" y="${y + 14}" fill="#333">${r.ratio.toFixed(2)}x</text>`,
    );
  });
  if (!shown.length) p.push(`<text x="${labelW}" y="${top + 15}">no measured rows</text>`);
  p.push('</svg>');
  return `${p.join('\n')}\n`;
}
