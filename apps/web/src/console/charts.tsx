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
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`).join(' ');
  return (
    <ChartFrame width={width} height={height} label={label}>
      <line x1="0" y1={height - 1} x2={width} y2={height - 1} className="chart__axis" />
      {values.length > 0 && <polyline points={points} className="chart__line" />}
    </ChartFrame>
  );
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
