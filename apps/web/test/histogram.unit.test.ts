import { describe, expect, it } from 'vitest';
import { bucketsOf, quantileBetween } from '../src/console/histogram.ts';
import { parseMetrics } from '../src/console/metrics-text.ts';

/** How the Health page turns two readings of a /metrics histogram into the p50 and p95 of what happened between them. */

const NAME = 'campusg_message_handler_duration_seconds';

/** A /metrics text with one histogram per group: cumulative counts at 0.01, 0.1, 1 and +Inf. */
function reading(byGroup: Record<string, [number, number, number, number]>): string {
  return Object.entries(byGroup)
    .flatMap(([group, [a, b, c, inf]]) => [
      `${NAME}_bucket{le="0.01",group="${group}",type="t"} ${a}`,
      `${NAME}_bucket{le="0.1",group="${group}",type="t"} ${b}`,
      `${NAME}_bucket{le="1",group="${group}",type="t"} ${c}`,
      `${NAME}_bucket{le="+Inf",group="${group}",type="t"} ${inf}`,
      `${NAME}_count{group="${group}",type="t"} ${inf}`,
    ])
    .join('\n');
}

describe('histogram quantiles between two readings', () => {
  it('sums the label sets, and interpolates within the bucket where the rank falls', () => {
    const before = bucketsOf(parseMetrics(reading({ a: [10, 10, 10, 10], b: [0, 0, 0, 0] })), NAME);
    const after = bucketsOf(parseMetrics(reading({ a: [10, 60, 110, 110], b: [0, 0, 0, 0] })), NAME);
    expect(after).toEqual([
      [0.01, 10],
      [0.1, 60],
      [1, 110],
      [Number.POSITIVE_INFINITY, 110],
    ]);
    // Between them: 50 observations in (0.01, 0.1] and 50 in (0.1, 1].
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(0.1, 9);
    expect(quantileBetween(before, after, 0.25)).toBeCloseTo(0.055, 9);
    expect(quantileBetween(before, after, 0.95)).toBeCloseTo(0.91, 9);
  });

  it('reads one group on its own when asked', () => {
    const text = reading({ a: [0, 0, 4, 4], b: [4, 4, 4, 4] });
    expect(quantileBetween([], bucketsOf(parseMetrics(text), NAME, { group: 'a' }), 0.5)).toBeCloseTo(0.55, 9);
    expect(quantileBetween([], bucketsOf(parseMetrics(text), NAME, { group: 'b' }), 0.5)).toBeCloseTo(0.005, 9);
  });

  it('answers the highest finite bound for the +Inf bucket, and nothing for an empty or reset interval', () => {
    const slow = bucketsOf(parseMetrics(reading({ a: [0, 0, 0, 3] })), NAME);
    expect(quantileBetween([], slow, 0.95)).toBe(1);
    expect(quantileBetween(slow, slow, 0.5)).toBeNull();
    expect(quantileBetween(slow, bucketsOf(parseMetrics(reading({ a: [0, 0, 0, 1] })), NAME), 0.5)).toBeNull();
  });
});
