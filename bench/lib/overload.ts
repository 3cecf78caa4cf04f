import { type BenchEnv, platformDeployment, type TransportKind } from './deployment.ts';
import { type OpenLoopResult, openLoop, registerUsers, Target, type User } from './load.ts';
import { log, type Settings } from './phases.ts';
import { PlatformChild } from './platform.ts';
import { findSaturation } from './saturation-search.ts';
import { round } from './stats.ts';

/** One offered rate beyond (or at) saturation: what was completed, refused and failed. */
export interface OverloadStep extends OpenLoopResult {
  /** Offered rate ÷ the saturation rate. */
  multiple: number;
  /** Completed create-order sagas per second ÷ the saturation rate. */
  goodputShare: number;
}

export interface OverloadRun {
  transport: TransportKind;
  status: 'ok' | 'failed';
  reason?: string;
  /** `SAGAS_IN_FLIGHT_LIMIT` of the platform measured ('default' when not set). */
  limit: string;
  /** The saturation rate the multiples are of: found by the open-loop search (or `BENCH_OVERLOAD_SATURATION`). */
  saturationPerSecond?: number;
  steps?: OverloadStep[];
  /** The same highest rate on a fresh deployment with admission control off (`SAGAS_IN_FLIGHT_LIMIT=0`). */
  unlimited?: OverloadStep;
}

const MULTIPLES = [1, 2, 3];

/**
 * Overload, open loop, on the one-process platform of `kind`, in two fresh deployments:
 *
 * 1. With the limit under test (the default, or `SAGAS_IN_FLIGHT_LIMIT` in `BENCH_PLATFORM_ENV`):
 *    the saturation rate, found by the open-loop search of the other phases with short steps (or
 *    given as `BENCH_OVERLOAD_SATURATION`), then 1×, 2× and 3× that rate offered, open loop. A
 *    step of the search keeps up when ≥ 99 % of its orders are CREATED within
 *    `BENCH_OVERLOAD_WITHIN_MS` (2 s: a busy shared machine's floor is near the usual 1 s) and none
 *    is refused, failed or left behind.
 * 2. With admission control off (`SAGAS_IN_FLIGHT_LIMIT=0`): 3× again, as the platform answered
 *    overload before (`BENCH_OVERLOAD_UNLIMITED=0` skips it).
 *
 * Each rate is held for a measured window and drained. Reported per rate: goodput (create-order
 * sagas completed per second, and as a share of saturation), orders refused at once (503
 * `OVERLOADED`) and how fast, other failures, and the latency of the admitted ones.
 */
export async function overloadRun(kind: TransportKind, env: BenchEnv, s: Settings): Promise<OverloadRun> {
  const label = `overload ${kind}`;
  const limit = process.env.BENCH_PLATFORM_ENV?.match(/SAGAS_IN_FLIGHT_LIMIT=(\d+)/)?.[1] ?? 'default';
  const top = MULTIPLES.at(-1)!;
  const warm = (t: Target, users: User[]) =>
    // A fresh process is slow until its code is compiled and its statements prepared.
    openLoop(t, users, { rate: Math.max(1, s.startRate / 2), warmupS: 0, measureS: 5, drainS: 60 });
  try {
    let saturation = Number(process.env.BENCH_OVERLOAD_SATURATION ?? 0);
    const steps = await onDeployment(kind, env, {}, label, s.customers, async (t, users) => {
      await warm(t, users);
      if (!(saturation > 0)) {
        log(label, `saturation, open loop from ${s.startRate}/s ×${s.rateGrowth}…`);
        const found = await findSaturation(t, users, {
          startRate: s.startRate,
          growth: s.rateGrowth,
          refine: 3,
          warmupS: s.stepWarmupS,
          measureS: s.stepMeasureS * s.scale,
          withinMs: Number(process.env.BENCH_OVERLOAD_WITHIN_MS ?? 2000),
          onStep: (x) =>
            log(
              label,
              `  ${x.offeredPerSecond}/s: ${round(x.createdInTime * 100, 1)} % CREATED ≤ ${x.createdWithinMs} ms, ${x.shed} refused, ${x.incomplete} left, ${x.errors} errors → ${x.kept ? 'kept up' : 'lost'}`,
            ),
        });
        saturation = found.sagasPerSecond;
        log(label, `saturation: ${saturation} sagas/s`);
      }
      if (!(saturation > 0)) throw new Error('no saturation rate found');
      const out: OverloadStep[] = [];
      for (const multiple of MULTIPLES) out.push(await step(label, t, users, saturation, multiple, s));
      return out;
    });
    let unlimited: OverloadStep | undefined;
    if (process.env.BENCH_OVERLOAD_UNLIMITED !== '0') {
      const noLimit = `${label} (no limit)`;
      unlimited = await onDeployment(kind, env, { SAGAS_IN_FLIGHT_LIMIT: '0' }, noLimit, s.customers, async (t, users) => {
        await warm(t, users);
        return step(noLimit, t, users, saturation, top, s, 600);
      });
    }
    return { transport: kind, status: 'ok', limit, saturationPerSecond: saturation, steps, ...(unlimited ? { unlimited } : {}) };
  } catch (err) {
    log(label, `failed: ${(err as Error).message.split('\n')[0]}`);
    return { transport: kind, status: 'failed', limit, reason: (err as Error).message.slice(0, 2000) };
  }
}

/** One rate, drained: with no limit a backlog of minutes builds up, and all of it is waited for. */
async function step(label: string, t: Target, users: User[], saturation: number, multiple: number, s: Settings, drainS = 120) {
  t.observer.seen.clear();
  const rate = round(saturation * multiple, 1);
  const r = await openLoop(t, users, { rate, warmupS: 3, measureS: 20 * s.scale, drainS });
  const goodputShare = round(r.achievedPerSecond / saturation, 2);
  const step: OverloadStep = { ...r, multiple, goodputShare };
  log(
    label,
    `${multiple}× = ${rate}/s offered: goodput ${r.achievedPerSecond}/s (${Math.round(goodputShare * 100)} % of saturation); ` +
      `shed ${r.shed} of ${r.sent} (503 p99 ${r.shedLatencyMs.p99} ms); ${r.errors} failed; ${r.incomplete} admitted but not CREATED (${r.undone} undone); ` +
      `admitted: 202 p99 ${r.postLatencyMs.p99} ms, CREATED p99 ${r.createdLatencyMs.p99} ms`,
  );
  return step;
}

/** A fresh one-process deployment with its own customers, given to `fn`, then removed. */
async function onDeployment<T>(
  kind: TransportKind,
  env: BenchEnv,
  extra: Record<string, string>,
  label: string,
  customers: number,
  fn: (t: Target, users: User[]) => Promise<T>,
): Promise<T> {
  const dep = await platformDeployment(kind, env, extra);
  let child: PlatformChild | undefined;
  let t: Target | undefined;
  try {
    child = await PlatformChild.start({ env: dep.env, observe: true, label });
    t = new Target([child.url], child);
    return await fn(t, await registerUsers(t, customers));
  } finally {
    t?.close();
    await child?.stop().catch(() => {});
    await dep.drop().catch(() => {});
  }
}
