/**
 * Small charts drawn as plain SVG: a line of recent values and labelled bars. Each has a text
 * equivalent (its `label`) for screen readers; the numbers are also shown beside it.
 */

import type { ReactNode } from 'react';

/** The drawing area every chart shares: stretched to its container, named for screen readers. */
function ChartFrame({ width, height, label, children }: { width: number; height: number; label: string; children: ReactNode }) {
  return (
    <svg
      className="chart"
      viewBox={`0 0 ${width} ${height}`}
      width="100%"
      height={height}
      role="img"
      aria-label={label}
      preserveAspectRatio="none"
    >
      {children}
    </svg>
  );
}

interface LineProps {
  values: number[];
  label: string;
  width?: number;
  height?: number;
}

/** A line over the last values (oldest first), scaled to its own maximum. */
export function LineChart({ values, label, width = 240, height = 48 }: LineProps) {
  return <LinesChart lines={[{ name: label, values }]} label={label} width={width} height={height} />;
}

interface LinesProps {
  /** Each line's values, oldest first, all of one length; null is a gap (nothing to show then). */
  lines: { name: string; values: (number | null)[]; tone?: 'strong' }[];
  label: string;
  width?: number;
  height?: number;
  /** Floor of the scale, so that small values do not fill the chart. */
  min?: number;
}

/** Lines over the same span of time on one scale (the largest value), each broken where it has no value. */
export function LinesChart({ lines, label, width = 240, height = 48, min = 1 }: LinesProps) {
  const max = Math.max(min, ...lines.flatMap((l) => l.values.filter((v): v is number => v !== null)));
  const y = (v: number) => (height - 2 - (v / max) * (height - 4)).toFixed(1);
  return (
    <ChartFrame width={width} height={height} label={label}>
      <line x1="0" y1={height - 1} x2={width} y2={height - 1} className="chart__axis" />
      {lines.map((line) => {
        const step = line.values.length > 1 ? width / (line.values.length - 1) : width;
        return runs(line.values, Math.max(1, line.values.length - 1)).map((run) => (
          <polyline
            key={`${line.name}:${run[0]![0]}`}
            points={run.map(([i, v]) => `${(i * step).toFixed(1)},${y(v)}`).join(' ')}
            className={line.tone ? `chart__line chart__line--${line.tone}` : 'chart__line'}
          />
        ));
      })}
    </ChartFrame>
  );
}

/** The stretches of a series without a gap, each point with its index; a lone point is drawn as a dash toward the inside. */
function runs(values: (number | null)[], last: number): [number, number][][] {
  const out: [number, number][][] = [];
  let current: [number, number][] = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (current.length > 0) out.push(current);
      current = [];
    } else current.push([i, v]);
  });
  if (current.length > 0) out.push(current);
  return out.map((run) => {
    if (run.length > 1) return run;
    const [i, v] = run[0]!;
    return [
      [Math.max(0, i - 0.3), v],
      [Math.min(last, i + 0.3), v],
    ];
  });
}

interface BarsProps {
  bars: { label: string; value: number; tone?: 'good' | 'bad' | 'neutral' }[];
  label: string;
  format?: (value: number) => string;
}

/** Horizontal bars, one per row, each with its label and value. */
export function BarChart({ bars, label, format = String }: BarsProps) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  return (
    <ul className="bars" aria-label={label}>
      {bars.map((b) => (
        <li key={b.label} className="bars__row">
          <span className="bars__label">{b.label}</span>
          <span className="bars__track" aria-hidden="true">
            <span className={`bars__fill bars__fill--${b.tone ?? 'neutral'}`} style={{ width: `${(b.value / max) * 100}%` }} />
          </span>
          <span className="bars__value">{format(b.value)}</span>
        </li>
      ))}
    </ul>
  );
}

/** Columns over time (oldest first), e.g. orders per hour, with the first and last label under them. */
export function ColumnChart({
  columns,
  label,
  height = 90,
}: {
  columns: { label: string; value: number }[];
  label: string;
  height?: number;
}) {
  const max = Math.max(1, ...columns.map((c) => c.value));
  const width = Math.max(1, columns.length) * 14;
  return (
    <figure className="columns">
      <ChartFrame width={width} height={height} label={label}>
        {columns.map((c, i) => {
          const h = (c.value / max) * (height - 2);
          return (
            <rect key={c.label} x={i * 14 + 2} y={height - h} width="10" height={h} className="chart__column">
              <title>{`${c.label}: ${c.value}`}</title>
            </rect>
          );
        })}
      </ChartFrame>
      {columns.length > 0 && (
        <figcaption className="columns__axis small muted">
          <span>{columns[0]!.label}</span>
          <span>{columns[columns.length - 1]!.label}</span>
        </figcaption>
      )}
    </figure>
  );
}
