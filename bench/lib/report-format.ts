/** What the benchmark report's charts and tables share: the results' shape and how numbers print. */
import type { PlatformRun } from './phases.ts';

/** A results file, or a section of one, as read back from docs/bench/results.json. */
export type Json = Record<string, unknown>;

/** Written by hand into docs/bench/results.json from back-to-back runs (see docs/performance.md). */
export interface Optimization {
  fixes: { name: string; files: string[]; measures: { metric: string; short?: string; before: number; after: number; method: string }[] }[];
}

/** How each deployment is named in charts and tables. */
export const LABEL: Record<string, string> = {
  embedded: 'embedded (PGlite)',
  kafka: 'Kafka + PostgreSQL',
  rabbitmq: 'RabbitMQ + PostgreSQL',
};

/** A number as the report prints it: whole from 100 up, else `digits` decimals; `–` when there is none. */
export const n = (v: unknown, digits = 1): string => {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  return v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10 ** digits) / 10 ** digits);
};
/** Milliseconds, or seconds from 1000 ms up. */
export const ms = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? (v >= 1000 ? `${n(v / 1000, 2)} s` : `${n(v)} ms`) : '–');

/** The platform's runs, one per deployment. */
export const platformRuns = (r: Json) => Object.values((r.platform as Record<string, PlatformRun> | undefined) ?? {});
export const ok = (p: PlatformRun) => p.status === 'ok';
