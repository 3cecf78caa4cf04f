/** A minimal SVG chart writer (grouped bars and lines), so the charts need no package. */

const COLORS = ['#2563eb', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#0ea5e9', '#84cc16', '#64748b'];
let W = 760;
const H = 380;
const M = { top: 48, right: 24, bottom: 78, left: 72 };

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 10_000) return `${Math.round(v / 1000)}k`;
  if (Math.abs(v) >= 1000) return `${(v / 1000).toFixed(1)}k`;
  if (Math.abs(v) >= 100) return String(Math.round(v));
  if (Math.abs(v) >= 10) return v.toFixed(1).replace(/\.0$/, '');
  return v.toFixed(2).replace(/0$/, '').replace(/\.0$/, '');
}

interface Scale {
  y(v: number): number;
  ticks: number[];
}

function scale(max: number, log: boolean, min = 1): Scale {
  const h = H - M.top - M.bottom;
  if (log) {
    const lo = 10 ** Math.floor(Math.log10(Math.max(min, 1e-9)));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(max, lo * 10)));
    const ticks: number[] = [];
    for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
    return {
      y: (v) => M.top + h - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * h,
      ticks,
    };
  }
  const raw = max <= 0 ? 1 : max * 1.1;
  const step = 10 ** Math.floor(Math.log10(raw / 5));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * step).find((s) => raw / s <= 6) ?? step * 10;
  const top = Math.ceil(raw / nice) * nice;
  const ticks: number[] = [];
  for (let t = 0; t <= top + 1e-9; t += nice) ticks.push(t);
  return { y: (v) => M.top + h - (Math.max(0, v) / top) * h, ticks };
}

function frame(title: string, yLabel: string, s: Scale, subtitle?: string): string[] {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${esc(title)}</text>`,
  ];
  if (subtitle) out.push(`<text x="${W / 2}" y="38" text-anchor="middle" font-size="11" fill="#555">${esc(subtitle)}</text>`);
  for (const t of s.ticks) {
    const y = s.y(t);
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${M.left - 6}" y="${y + 4}" text-anchor="end" fill="#444">${fmt(t)}</text>`);
  }
  out.push(
    `<text transform="translate(16 ${(H - M.bottom + M.top) / 2}) rotate(-90)" text-anchor="middle" fill="#333">${esc(yLabel)}</text>`,
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/>`,
  );
  return out;
}

function legend(names: string[], out: string[]) {
  let x = M.left;
  const y = H - 16;
  names.forEach((n, i) => {
    out.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${x + 16}" y="${y}" fill="#333">${esc(n)}</text>`);
    x += 28 + n.length * 6.5;
  });
}

function goalLine(goals: { value: number; label: string }[] | undefined, s: Scale, out: string[]) {
  for (const g of goals ?? []) {
    const y = s.y(g.value);
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#dc2626" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${M.left + 4}" y="${y - 4}" text-anchor="start" fill="#dc2626" font-size="11">${esc(g.label)}</text>`);
  }
}

export interface BarChart {
  title: string;
  subtitle?: string;
  yLabel: string;
  categories: string[];
  series: { name: string; values: (number | null)[] }[];
  log?: boolean;
  goals?: { value: number; label: string }[];
}

/** The y scale over every value and goal of a chart, and the frame drawn on it. */
function axes(c: {
  title: string;
  subtitle?: string;
  yLabel: string;
  series: { values: (number | null)[] }[];
  log?: boolean;
  goals?: { value: number }[];
}) {
  const all = c.series.flatMap((x) => x.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const max = Math.max(...all, ...(c.goals ?? []).map((g) => g.value), 0);
  const min = Math.min(...all.filter((v) => v > 0), 1);
  const s = scale(max, c.log ?? false, min);
  return { s, out: frame(c.title, c.yLabel, s, c.subtitle) };
}

export function barChart(c: BarChart): string {
  // Wide enough for every group's bars and its label.
  W = Math.max(760, M.left + M.right + c.categories.length * Math.max(84, c.series.length * 26));
  const { s, out } = axes(c);
  const plotW = W - M.left - M.right;
  const groupW = plotW / Math.max(1, c.categories.length);
  const barW = Math.min(48, (groupW * 0.8) / Math.max(1, c.series.length));
  c.categories.forEach((cat, i) => {
    const x0 = M.left + i * groupW + (groupW - barW * c.series.length) / 2;
    c.series.forEach((ser, j) => {
      const v = ser.values[i];
      const x = x0 + j * barW;
      if (v === null || v === undefined || !Number.isFinite(v)) {
        out.push(`<text x="${x + barW / 2}" y="${H - M.bottom - 6}" text-anchor="middle" fill="#999" font-size="10">n/a</text>`);
        return;
      }
      const y = s.y(v);
      out.push(`<rect x="${x + 1}" y="${y}" width="${barW - 2}" height="${H - M.bottom - y}" fill="${COLORS[j % COLORS.length]}"/>`);
      out.push(`<text x="${x + barW / 2}" y="${y - 4}" text-anchor="middle" fill="#111" font-size="10">${fmt(v)}</text>`);
    });
    const lines = cat.split('\n');
    lines.forEach((l, k) => {
      out.push(
        `<text x="${M.left + i * groupW + groupW / 2}" y="${H - M.bottom + 16 + k * 13}" text-anchor="middle" fill="#333">${esc(l)}</text>`,
      );
    });
  });
  goalLine(c.goals, s, out);
  if (c.series.length > 1)
    legend(
      c.series.map((x) => x.name),
      out,
    );
  out.push('</svg>');
  return out.join('\n');
}

export interface LineChart {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  x: number[];
  xLabels?: string[];
  series: { name: string; values: (number | null)[] }[];
  log?: boolean;
  goals?: { value: number; label: string }[];
}

export function lineChart(c: LineChart): string {
  W = 760;
  const { s, out } = axes(c);
  const plotW = W - M.left - M.right;
  const xs = c.x.map((_, i) => M.left + (c.x.length === 1 ? plotW / 2 : 20 + (i * (plotW - 40)) / (c.x.length - 1)));
  c.x.forEach((v, i) => {
    out.push(`<text x="${xs[i]}" y="${H - M.bottom + 16}" text-anchor="middle" fill="#333">${esc(c.xLabels?.[i] ?? fmt(v))}</text>`);
  });
  out.push(`<text x="${M.left + plotW / 2}" y="${H - M.bottom + 34}" text-anchor="middle" fill="#333">${esc(c.xLabel)}</text>`);
  c.series.forEach((ser, j) => {
    const color = COLORS[j % COLORS.length];
    const pts = ser.values.map((v, i) => (v === null || !Number.isFinite(v) ? null : ([xs[i]!, s.y(v), v] as const)));
    let d = '';
    for (const p of pts) d += p ? `${d && !d.endsWith('|') ? 'L' : 'M'}${p[0].toFixed(1)},${p[1].toFixed(1)} ` : '|';
    out.push(`<path d="${d.replaceAll('|', '').trim()}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of pts) {
      if (!p) continue;
      out.push(`<circle cx="${p[0]}" cy="${p[1]}" r="3.5" fill="${color}"/>`);
      out.push(`<text x="${p[0] + 5}" y="${p[1] - 6}" fill="${color}" font-size="10">${fmt(p[2])}</text>`);
    }
  });
  goalLine(c.goals, s, out);
  legend(
    c.series.map((x) => x.name),
    out,
  );
  out.push('</svg>');
  return out.join('\n');
}
