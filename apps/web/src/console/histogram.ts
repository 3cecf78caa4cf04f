import type { Sample } from './metrics-text.ts';

/** A histogram's cumulative bucket counts by upper bound (`le`; +Inf is `Infinity`), ascending. */
export type Buckets = [le: number, count: number][];

/** The buckets of histogram `name` in a /metrics reading, summed over its label sets that match `where`. */
export function bucketsOf(samples: Sample[], name: string, where: Record<string, string> = {}): Buckets {
  const byBound = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || !Object.entries(where).every(([k, v]) => s.labels[k] === v)) continue;
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    byBound.set(le, (byBound.get(le) ?? 0) + s.value);
  }
  return [...byBound].sort((a, b) => a[0] - b[0]);
}

/**
 * The q-quantile (0 to 1) of what a histogram observed between two readings (`after` less `before`),
 * interpolated within its bucket as Prometheus' `histogram_quantile` does (from 0 in the first
 * bucket; the highest finite bound in the +Inf one). Null when nothing was observed in between, or
 * when a count went down (a process restarted or left): that interval cannot be told.
 */
export function quantileBetween(before: Buckets, after: Buckets, q: number): number | null {
  const earlier = new Map(before);
  const counts = after.map(([le, n]) => [le, n - (earlier.get(le) ?? 0)] as const);
  if (counts.some(([, n]) => n < 0)) return null;
  const total = counts.at(-1)?.[1] ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, n] of counts) {
    if (n >= rank && n > below) return le === Number.POSITIVE_INFINITY ? lower : lower + (le - lower) * ((rank - below) / (n - below));
    lower = le;
    below = n;
  }
  return lower;
}
