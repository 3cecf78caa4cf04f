import { useEffect, useRef, useState } from 'react';

/** How many samples a live chart keeps: at one every few seconds, the last few minutes. */
const KEEP = 90;

/**
 * Remembers the values a polled query gave, per series name, for as long as the page is open: the
 * short history a live chart draws. A new sample is added whenever `at` (the data's time) changes.
 */
export function useSeries(at: number | undefined, sample: () => Record<string, number>): Record<string, number[]> {
  const [series, setSeries] = useState<Record<string, number[]>>({});
  const sampleRef = useRef(sample);
  sampleRef.current = sample;
  useEffect(() => {
    if (at === undefined) return;
    const values = sampleRef.current();
    setSeries((old) => {
      const next: Record<string, number[]> = {};
      for (const [name, value] of Object.entries(values)) next[name] = [...(old[name] ?? []), value].slice(-KEEP);
      return next;
    });
  }, [at]);
  return series;
}

/** Per-second rates between consecutive samples of a growing counter taken at `times` (seconds). */
export function rates(values: number[], times: number[]): number[] {
  return values.slice(1).map((v, i) => Math.max(0, (v - values[i]!) / Math.max(0.001, (times[i + 1] ?? 0) - (times[i] ?? 0))));
}
