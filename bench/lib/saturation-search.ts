import { type OpenLoopResult, openLoop, type Target, type User } from './load.ts';
import { round } from './stats.ts';

/** What one step cost, measured around it (CPU, statements): see `costProbe`. */
export interface StepProbe<C> {
  start(): Promise<void>;
  /** `sagas`: every order the step sent, all of them drained. */
  stop(sagas: number): Promise<C>;
}

/** One offered rate of the search, and whether the platform kept up with it. */
export interface SearchStep<C = unknown> extends OpenLoopResult {
  /** Share of the measured orders that reached CREATED within `withinMs` of their intended send time. */
  createdInTime: number;
  kept: boolean;
  cost?: C;
}

export interface OpenLoopSaturation<C = unknown> {
  method: 'open loop';
  /** The highest offered rate the platform kept up with (sagas/s). */
  sagasPerSecond: number;
  /** What it completed per second at that rate. */
  achievedPerSecond: number;
  /** The rule a rate had to pass. */
  rule: string;
  /** The step at the saturation rate (the highest kept), with its cost. */
  atSaturation?: SearchStep<C>;
  steps: SearchStep<C>[];
}

export interface SearchOptions<C> {
  /** The first offered rate (orders/s). */
  startRate: number;
  /** Each rate is this many times the last while the platform keeps up (default 1.5). */
  growth?: number;
  /** Halvings of the gap between the last kept and the first lost rate (default 2). */
  refine?: number;
  warmupS: number;
  measureS: number;
  /** An order must reach CREATED within this many ms of its intended send time (default 1000). */
  withinMs?: number;
  /** Share of orders that must make it in time (default 0.99). */
  share?: number;
  /** The highest rate worth offering (default 2000/s). */
  maxRate?: number;
  /** The lowest rate worth offering when the first is too much (default 0.5/s). */
  minRate?: number;
  /** Seconds to wait for stragglers after a step's last order (default 30). */
  drainS?: number;
  onStep?: (step: SearchStep<C>) => void;
  probe?: StepProbe<C>;
}

/**
 * Saturation found open loop: fixed offered rates, rising, each held for a measured window, until
 * the platform no longer keeps up. A rate is kept when at least `share` of its orders reach
 * CREATED within `withinMs` of their intended send time, no request failed or was refused as
 * overload, and nothing is left behind after the drain. Unlike a closed loop of N in flight, this can see any throughput: a
 * closed loop caps what it measures at N / latency (Little's law).
 */
export async function findSaturation<C = unknown>(t: Target, users: User[], o: SearchOptions<C>): Promise<OpenLoopSaturation<C>> {
  const within = o.withinMs ?? 1000;
  const share = o.share ?? 0.99;
  const steps: SearchStep<C>[] = [];
  const tryRate = async (rate: number): Promise<SearchStep<C>> => {
    t.observer.seen.clear();
    await o.probe?.start();
    const r = await openLoop(t, users, { rate, warmupS: o.warmupS, measureS: o.measureS, drainS: o.drainS ?? 30, createdWithinMs: within });
    const cost = await o.probe?.stop(r.allSent);
    t.observer.seen.clear();
    const createdInTime = r.sent === 0 ? 0 : r.createdWithin / r.sent;
    const kept = r.errors === 0 && r.shed === 0 && r.incomplete === 0 && createdInTime >= share;
    const step: SearchStep<C> = { ...r, createdInTime: round(createdInTime, 4), kept, ...(cost === undefined ? {} : { cost }) };
    steps.push(step);
    o.onStep?.(step);
    return step;
  };
  let kept: SearchStep<C> | undefined;
  let lost: SearchStep<C> | undefined;
  const growth = o.growth ?? 1.5;
  // Up while it keeps up; if even the first rate is too much, down until it does.
  const first = await tryRate(o.startRate);
  if (first.kept) {
    kept = first;
    for (let rate = o.startRate * growth; rate <= (o.maxRate ?? 2000); rate *= growth) {
      const step = await tryRate(round(rate, 1));
      if (!step.kept) {
        lost = step;
        break;
      }
      kept = step;
    }
  } else {
    lost = first;
    for (let rate = o.startRate / growth; rate >= (o.minRate ?? 0.5); rate /= growth) {
      const step = await tryRate(round(rate, 1));
      if (step.kept) {
        kept = step;
        break;
      }
      lost = step;
    }
  }
  for (let i = 0; i < (o.refine ?? 2) && lost; i++) {
    const low = kept?.offeredPerSecond ?? 0;
    const mid = round((low + lost.offeredPerSecond) / 2, 1);
    if (mid <= low || mid >= lost.offeredPerSecond) break;
    const step = await tryRate(mid);
    if (step.kept) kept = step;
    else lost = step;
  }
  return {
    method: 'open loop',
    sagasPerSecond: kept?.offeredPerSecond ?? 0,
    achievedPerSecond: kept?.achievedPerSecond ?? 0,
    rule: `≥ ${share * 100} % of orders CREATED within ${within} ms of their intended send time, no failed or refused request, nothing left after the drain`,
    ...(kept ? { atSaturation: kept } : {}),
    steps,
  };
}
