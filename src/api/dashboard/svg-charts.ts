/**
 * Small server-side SVG charts for the dashboard: stacked columns over days and horizontal bars. No script, no
 * external font; every label is escaped. Each bar carries a <title>, so hovering shows the exact number.
 */

export interface Series {
  name: string;
  color: string;
  values: number[];
}

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';
const INK = '#213343';
const MUTED = '#516f90';
const GRID = '#eaf0f6';

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(n: number, unit = ''): string {
  if (unit === '$') return n >= 100 ? `$${Math.round(n)}` : `$${n.toFixed(n >= 1 ? 2 : 4)}`;
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  if (n >= 10_000) return `${Math.round(n / 1000)}k`;
  if (n >= 1_000) return `${(n / 1000).toFixed(1)}k`;
  return String(Math.round(n * 100) / 100);
}

/** Below this width a chart lays itself out for a phone: bar labels above their bars, fewer day labels. */
export const NARROW = 480;

/** The legend, wrapped onto as many lines as the width needs; returns its markup and the lines it took. */
function legend(series: Array<{ name: string; color: string }>, x: number, y: number, maxX: number): { markup: string; lines: number } {
  let dx = x;
  let dy = y;
  let lines = series.length ? 1 : 0;
  const markup = series
    .map((s) => {
      const w = 24 + s.name.length * 6.2;
      if (dx > x && dx + w - 10 > maxX) {
        dx = x;
        dy += 16;
        lines++;
      }
      const out = `<rect x="${dx}" y="${dy - 9}" width="10" height="10" rx="2" fill="${s.color}"/><text x="${dx + 14}" y="${dy}" font-size="11" fill="${MUTED}" ${FONT}>${esc(s.name)}</text>`;
      dx += w;
      return out;
    })
    .join('');
  return { markup, lines };
}

/** Stacked columns, one per label (days), with a y axis and a legend. */
export function stackedColumns(opts: { title: string; labels: string[]; series: Series[]; unit?: string; width?: number; height?: number }): string {
  const width = opts.width ?? 560;
  const left = 44;
  const right = 8;
  const key = legend(opts.series, left, 14, width - right);
  // Each extra legend line pushes the plot down rather than squeezing it.
  const top = 28 + Math.max(0, key.lines - 1) * 16;
  const height = (opts.height ?? 240) + (top - 28);
  const bottom = 34;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const totals = opts.labels.map((_, i) => opts.series.reduce((s, x) => s + (x.values[i] ?? 0), 0));
  // Counts and tokens are whole numbers: a top divisible by the 4 grid steps keeps every tick whole (not 6.25).
  const top0 = niceMax(Math.max(0, ...totals));
  const max = opts.unit === '$' ? top0 : Math.ceil(top0 / 4) * 4;
  const step = plotW / Math.max(1, opts.labels.length);
  const barW = Math.max(4, Math.min(36, step * 0.7));
  const parts: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    const y = top + plotH - (plotH * t) / 4;
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y}" y2="${y}" stroke="${GRID}"/>`);
    const tick = opts.unit === '$' ? `$${v >= 10 ? Math.round(v) : v.toFixed(2)}` : fmt(v);
    parts.push(`<text x="${left - 6}" y="${y + 4}" font-size="11" text-anchor="end" fill="${MUTED}" ${FONT}>${esc(tick)}</text>`);
  }
  opts.labels.forEach((label, i) => {
    const x = left + step * i + (step - barW) / 2;
    let y = top + plotH;
    for (const s of opts.series) {
      const v = s.values[i] ?? 0;
      if (v <= 0) continue;
      const h = (plotH * v) / max;
      y -= h;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${esc(`${label} · ${s.name}: ${fmt(v, opts.unit)}`)}</title></rect>`);
    }
    // Day labels are ~44 px wide: as many as fit without touching (8 at most).
    const every = Math.ceil(opts.labels.length / Math.max(2, Math.min(8, Math.floor(plotW / 56))));
    const last = opts.labels.length - 1;
    if (i % every === 0 ? i === last || last - i >= every || every === 1 : i === last) {
      parts.push(`<text x="${(left + step * i + step / 2).toFixed(1)}" y="${height - bottom + 16}" font-size="11" text-anchor="middle" fill="${MUTED}" ${FONT}>${esc(label)}</text>`);
    }
  });
  if (totals.every((t) => t === 0)) {
    parts.push(`<text x="${left + plotW / 2}" y="${top + plotH / 2}" font-size="13" text-anchor="middle" fill="${MUTED}" ${FONT}>Nothing yet in this period</text>`);
  }
  return svg(width, height, opts.title, [key.markup, ...parts].join(''));
}

/**
 * Horizontal bars with a value label; `max` fixes the scale (1 for rates). Narrower than NARROW, each row puts its
 * label above its bar, so the bar keeps most of the width instead of a third of it.
 */
export function horizontalBars(opts: { title: string; rows: Array<{ label: string; value: number | null; color: string; note?: string }>; max?: number; percent?: boolean; width?: number }): string {
  const width = opts.width ?? 560;
  const narrow = width < NARROW;
  const rowH = narrow ? 40 : 26;
  const left = narrow ? 0 : 150;
  const right = narrow ? 96 : 110;
  const barTop = narrow ? 18 : 4;
  const height = Math.max(1, opts.rows.length) * rowH + 16;
  const max = opts.max ?? niceMax(Math.max(0, ...opts.rows.map((r) => r.value ?? 0)));
  const plotW = width - left - right;
  const parts = opts.rows.map((r, i) => {
    const y = 8 + i * rowH;
    const w = r.value === null ? 0 : (plotW * r.value) / (max || 1);
    const text = r.value === null ? 'no data' : opts.percent ? `${Math.round(r.value * 100)}%` : fmt(r.value);
    const label = narrow
      ? `<text x="0" y="${y + 12}" font-size="12" fill="${INK}" ${FONT}>${esc(r.label)}</text>`
      : `<text x="${left - 8}" y="${y + 15}" font-size="12" text-anchor="end" fill="${INK}" ${FONT}>${esc(r.label)}</text>`;
    return [
      label,
      `<rect x="${left}" y="${y + barTop}" width="${plotW}" height="14" rx="3" fill="${GRID}"/>`,
      `<rect x="${left}" y="${y + barTop}" width="${w.toFixed(1)}" height="14" rx="3" fill="${r.color}"><title>${esc(`${r.label}: ${text}${r.note ? ` (${r.note})` : ''}`)}</title></rect>`,
      `<text x="${left + plotW + 8}" y="${y + barTop + 11}" font-size="12" fill="${r.value === null ? MUTED : INK}" ${FONT}>${esc(text)}${r.note ? `<tspan fill="${MUTED}" font-size="11"> ${esc(r.note)}</tspan>` : ''}</text>`,
    ].join('');
  });
  if (opts.rows.length === 0) parts.push(`<text x="${width / 2}" y="20" font-size="13" text-anchor="middle" fill="${MUTED}" ${FONT}>Nothing yet in this period</text>`);
  return svg(width, height, opts.title, parts.join(''));
}

function svg(width: number, height: number, title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>${body}</svg>`;
}
