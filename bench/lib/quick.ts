import type { StepCost } from './cost.ts';
import { costProbe } from './cost.ts';
import { type BenchEnv, platformDeployment, type TransportKind } from './deployment.ts';
import { type OpenLoopResult, openLoop, registerUsers, Target } from './load.ts';
import { costLine, log, type Saturation, type Settings, searchSaturation } from './phases.ts';
import { PlatformChild } from './platform.ts';
import { round } from './stats.ts';

export interface QuickRun {
  transport: TransportKind;
  /** What ran the sagas (`CAMPUSG_SAGA_ENGINE`). */
  engine: 'bus' | 'temporal';
  status: 'ok' | 'failed';
  reason?: string;
  saturation?: Saturation;
  atHalf?: OpenLoopResult & { cost: StepCost };
  summary?: string;
}

/**
 * The before/after check of one change on one transport (≈ 2–3 minutes): saturation found open
 * loop with short steps (rates doubling, then three halvings of the gap), the cost per saga at
 * that rate, and p99 POST → CREATED at half of it (or at `latencyRate`, to compare two runs at
 * one load), over about 300 sagas. Coarser than the platform phase; compare runs
 * of the same command, interleaved, and quote medians. `engine`: settings of the platform under
 * test that choose its saga engine (over BENCH_PLATFORM_ENV's).
 */
export async function quickRun(
  kind: TransportKind,
  env: BenchEnv,
  s: Settings,
  engine: Record<string, string> = {},
  latencyRate?: number,
): Promise<QuickRun> {
  const dep = await platformDeployment(kind, env, engine);
  const engineName = dep.env.CAMPUSG_SAGA_ENGINE === 'temporal' ? 'temporal' : 'bus';
  const label = `quick ${kind}${engineName === 'temporal' ? ' on Temporal' : ''}`;
  let child: PlatformChild | undefined;
  let t: Target | undefined;
  try {
    child = await PlatformChild.start({ env: dep.env, observe: true, label });
    t = new Target([child.url], child);
    const users = await registerUsers(t, s.customers);
    const sat = await searchSaturation(label, t, users, [child], s);
    // At a given rate, two runs compare at the same load, not at half of each one's own saturation.
    const rate = latencyRate ?? sat.sagasPerSecond / 2;
    let atHalf: QuickRun['atHalf'];
    if (rate > 0) {
      const probe = costProbe([child]);
      await probe.start();
      const r = await openLoop(t, users, { rate, warmupS: 2, measureS: Math.min(30, Math.max(8, 300 / rate)) * s.scale, drainS: 30 });
      atHalf = { ...r, cost: await probe.stop(r.allSent) };
    }
    const c = sat.cpuMsPerSaga ?? {};
    const broker = (c.kafka ?? 0) + (c.rabbitmq ?? 0);
    const summary =
      `${kind}, ${engineName} engine: saturation ${sat.sagasPerSecond}/s (open loop); ` +
      `p99 POST→CREATED at ${round(rate)}/s: ${atHalf?.createdLatencyMs.p99 ?? '–'} ms; ` +
      `CPU/saga platform ${c.platform ?? '–'} ms` +
      (c['postgres (this deployment)'] !== undefined ? ` + PostgreSQL ${c['postgres (this deployment)']} ms` : '') +
      (broker ? ` + broker ${round(broker)} ms` : '') +
      (c.temporal !== undefined ? ` + Temporal server ${c.temporal} ms` : '') +
      `; ${sat.sql?.statementsPerSaga ?? '–'} statements/saga; ${sat.sql?.transactionsPerSaga ?? '–'} transactions/saga (+ ${sat.sql?.standalonePerSaga ?? '–'} standalone)` +
      `; load average ${sat.cpu?.loadAverage.join(' / ') ?? '–'}`;
    log('quick', summary);
    if (atHalf) log('quick', `  at ${round(rate)}/s: ${costLine(atHalf.cost).slice(2)}`);
    return { transport: kind, engine: engineName, status: 'ok', saturation: sat, ...(atHalf ? { atHalf } : {}), summary };
  } catch (err) {
    log('quick', `${label} failed: ${(err as Error).message.split('\n')[0]}`);
    return { transport: kind, engine: engineName, status: 'failed', reason: (err as Error).message.slice(0, 2000) };
  } finally {
    t?.close();
    await child?.stop().catch(() => {});
    await dep.drop().catch(() => {});
  }
}
