import { setTimeout as sleep } from 'node:timers/promises';
import { type Journey, journeys, registerCast } from './journeys.ts';
import { startOnSchedule } from './schedule.ts';
import { fetchClient, pollSagaEnd } from './steps.ts';

/**
 * The load generator: an open-loop stream of real user journeys against a running CampusG over
 * HTTP. Journeys start at a fixed rate whether or not earlier ones have finished, and mix the ways
 * an order can go: full deliveries, declined cards, customer cancels, acceptance timeouts, and
 * several runners racing for one order.
 */
export interface LoadOptions {
  url: string;
  /** Journeys started per second. */
  rate: number;
  durationS: number;
  /** How long to wait for journeys still running when the time is up. */
  drainS?: number;
  /** Where the server's acceptance window is short enough for timeouts to happen in the run. */
  withTimeouts?: boolean;
}

export interface LoadReport {
  offered: number;
  startedPerSecond: number;
  finished: Record<Journey, number>;
  failures: { journey: Journey; error: string }[];
  seconds: number;
  latencyMs: { p50: number; p95: number; p99: number };
}

/** The share of each journey; timeouts only where the acceptance window is short. */
function mixOf(withTimeouts: boolean): [Journey, number][] {
  return withTimeouts
    ? [
        ['delivered', 0.45],
        ['declined', 0.15],
        ['cancelled', 0.15],
        ['timed-out', 0.1],
        ['raced', 0.15],
      ]
    : [
        ['delivered', 0.5],
        ['declined', 0.15],
        ['cancelled', 0.2],
        ['raced', 0.15],
      ];
}

/** Runs the load for `durationS`, waits up to `drainS` for the journeys still running, and reports. */
export async function runLoad(o: LoadOptions): Promise<LoadReport> {
  const api = fetchClient(o.url);
  const run = journeys(api, pollSagaEnd(api), await registerCast(api));
  const mix = mixOf(o.withTimeouts ?? false);
  const choose = (): Journey => {
    let x = Math.random();
    for (const [j, p] of mix) {
      x -= p;
      if (x < 0) return j;
    }
    return 'delivered';
  };

  const finished = { delivered: 0, declined: 0, cancelled: 0, 'timed-out': 0, raced: 0 };
  const failures: LoadReport['failures'] = [];
  const latencies: number[] = [];
  const startedAt = performance.now();
  const total = Math.round(o.rate * o.durationS);
  const running = await startOnSchedule({ count: total, intervalMs: 1000 / o.rate, firstDue: startedAt }, () => {
    const journey = choose();
    const t0 = performance.now();
    return run[journey]().then(
      () => {
        finished[journey]++;
        latencies.push(performance.now() - t0);
      },
      (err: Error) => void failures.push({ journey, error: err.message }),
    );
  });
  const offeredSeconds = (performance.now() - startedAt) / 1000;
  await Promise.race([Promise.all(running), sleep((o.drainS ?? 60) * 1000, undefined, { ref: false })]);
  latencies.sort((a, b) => a - b);
  const q = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0);
  return {
    offered: total,
    startedPerSecond: Math.round((total / offeredSeconds) * 10) / 10,
    finished,
    failures,
    seconds: Math.round((performance.now() - startedAt) / 100) / 10,
    latencyMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99) },
  };
}
