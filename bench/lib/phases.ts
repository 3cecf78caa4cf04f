import { fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { costProbe, ours, type SqlPerSaga, type StepCost, type StoragePerOrder, storagePerOrder, storageSnapshot } from './cost.ts';
import { type BenchEnv, platformDeployment, type TransportKind } from './deployment.ts';
import { type LifecycleResult, lifecycle, type OpenLoopResult, openLoop, registerUsers, Target, type User } from './load.ts';
import { type CpuReport, cpuMeter } from './machine.ts';
import { PlatformChild, ROOT } from './platform.ts';
import { findSaturation, type OpenLoopSaturation } from './saturation-search.ts';
import { round } from './stats.ts';

export { ours };

export interface Settings {
  scale: number;
  lifecycleConcurrency: number;
  customers: number;
  runners: number;
  /** Wait (up to 3 minutes) for the 1-minute load average to drop below this before each phase. */
  quietLoad: number | null;
  /** The saturation search: first offered rate, and the factor between rates while the platform keeps up. */
  startRate: number;
  rateGrowth: number;
  /** Seconds of warm-up and of measuring at each offered rate of the search. */
  stepWarmupS: number;
  stepMeasureS: number;
}

export const log = (...a: unknown[]) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${a.join(' ')}\n`);

/** Other jobs on a shared machine distort every figure: optionally wait for a calmer moment, and say how busy it was. */
export async function waitQuiet(s: Settings): Promise<number> {
  const t0 = Date.now();
  if (s.quietLoad !== null) {
    while (os.loadavg()[0]! > s.quietLoad && Date.now() - t0 < 180_000) await sleep(5000);
  }
  return round((Date.now() - t0) / 1000);
}

export interface WithCpu {
  cpu: CpuReport;
  /** CPU milliseconds per completed saga, by process class: independent of other jobs on the machine. */
  cpuMsPerSaga?: Record<string, number>;
}

/** Saturation found open loop, with the cost figures of the step at the saturation rate lifted to the top. */
export type Saturation = OpenLoopSaturation<StepCost> & WithCpu & { sql?: SqlPerSaga };

/** The open-loop saturation search on one deployment, logged step by step. */
export async function searchSaturation(
  label: string,
  t: Target,
  users: User[],
  children: PlatformChild[],
  s: Settings,
): Promise<Saturation> {
  // A fresh process is slow at first (JIT, statements not yet prepared, cold caches): not what is measured.
  const warm = Math.max(1, s.startRate / 2);
  log(label, `warming up at ${warm}/s…`);
  await openLoop(t, users, { rate: warm, warmupS: 0, measureS: 5, drainS: 60 });
  t.observer.seen.clear();
  log(label, `saturation, open loop from ${s.startRate}/s ×${s.rateGrowth}…`);
  const sat = await findSaturation(t, users, {
    startRate: s.startRate,
    growth: s.rateGrowth,
    refine: s.rateGrowth >= 2 ? 3 : 2,
    warmupS: s.stepWarmupS,
    measureS: s.stepMeasureS * s.scale,
    probe: costProbe(children),
    onStep: (x) =>
      log(
        label,
        `  ${x.offeredPerSecond}/s: ${round(x.createdInTime * 100, 1)} % CREATED ≤ ${x.createdWithinMs} ms, p99 ${x.createdLatencyMs.p99} ms, ${x.incomplete} left, ${x.errors} errors → ${x.kept ? 'kept up' : 'lost'}`,
      ),
  });
  const cost = sat.atSaturation?.cost;
  const out: Saturation = cost
    ? { ...sat, cpu: cost.cpu, cpuMsPerSaga: cost.cpuMsPerSaga, ...(cost.sql ? { sql: cost.sql } : {}) }
    : (sat as Saturation);
  log(label, `saturation: ${sat.sagasPerSecond} sagas/s (open loop)${costLine(out)}`);
  return out;
}

/** CPU, statements and transactions per saga, for the log. */
export function costLine(x: { cpuMsPerSaga?: Record<string, number>; sql?: SqlPerSaga }): string {
  const parts: string[] = [];
  const c = x.cpuMsPerSaga;
  if (c) {
    const broker = (c.kafka ?? 0) + (c.rabbitmq ?? 0);
    parts.push(
      `CPU/saga: platform ${c.platform ?? '–'} ms` +
        (c['postgres (this deployment)'] !== undefined ? `, PostgreSQL ${c['postgres (this deployment)']} ms` : '') +
        (broker ? `, broker ${round(broker)} ms` : '') +
        (c.temporal !== undefined ? `, Temporal server ${c.temporal} ms` : ''),
    );
  }
  if (x.sql)
    parts.push(
      `${x.sql.statementsPerSaga} statements/saga, ${x.sql.transactionsPerSaga} transactions/saga (+ ${x.sql.standalonePerSaga} standalone)` +
        (x.sql.kafkaRequestsPerSaga
          ? `; Kafka requests/saga ${Object.entries(x.sql.kafkaRequestsPerSaga)
              .map(([api, n]) => `${api} ${n}`)
              .join(', ')}`
          : ''),
    );
  return parts.length ? `; ${parts.join('; ')}` : '';
}

export interface PlatformRun {
  transport: string;
  status: 'ok' | 'failed' | 'skipped';
  reason?: string;
  saturation?: Saturation;
  latency?: (OpenLoopResult & WithCpu & { fractionOfSaturation: number })[];
  lifecycle?: LifecycleResult & WithCpu & { storage?: StoragePerOrder };
  memoryMiB?: number;
  startSeconds?: number;
}

const latencyWindow = (rate: number, s: Settings) => Math.min(20, Math.max(10, 150 / rate)) * s.scale;

/** Saturation, latency at 25/50/75 % of it, and (for the platform) the whole lifecycle with the invariant check. */
export async function measureDeployment(
  label: string,
  children: PlatformChild[],
  s: Settings,
  o: { lifecycle: boolean; fractions?: number[]; fixedRates?: number[]; reference?: number },
): Promise<Omit<PlatformRun, 'transport' | 'status'>> {
  const t = new Target(
    children.map((c) => c.url),
    children[0]!,
  );
  const out: Omit<PlatformRun, 'transport' | 'status'> = {};
  try {
    const customers = await registerUsers(t, s.customers);
    const runners = o.lifecycle ? await registerUsers(t, s.runners, true) : [];
    await waitQuiet(s);
    let reference = o.reference ?? 0;
    if (!o.fixedRates) {
      out.saturation = await searchSaturation(label, t, customers, children, s);
      reference = out.saturation.sagasPerSecond;
      children[0]!.seen.clear();
    }
    out.latency = [];
    const rates = o.fixedRates ?? (o.fractions ?? [0.25, 0.5, 0.75]).map((f) => f * reference);
    for (const rate of rates) {
      if (!(rate > 0)) continue;
      await waitQuiet(s);
      await sleep(1000);
      const cpu = cpuMeter(ours(children), children[0]!.database);
      const r = await openLoop(t, customers, { rate, warmupS: 3, measureS: latencyWindow(rate, s), drainS: 30 });
      out.latency.push({ ...r, cpu: cpu.stop(), fractionOfSaturation: round(rate / reference, 2) });
      log(
        label,
        `${round(rate)}/s offered: created p50 ${r.createdLatencyMs.p50} p95 ${r.createdLatencyMs.p95} p99 ${r.createdLatencyMs.p99} ms (${r.incomplete} incomplete)`,
      );
      children[0]!.seen.clear();
    }
    if (o.lifecycle) {
      await waitQuiet(s);
      log(label, 'lifecycle…');
      // Settled first, so the tables hold only finished work on either side of the run.
      await children[0]!.call({ cmd: 'invariants', timeoutMs: 60_000 }, 120_000).catch(() => {});
      const before = await storageSnapshot(children[0]!).catch(() => undefined);
      const cpu = cpuMeter(ours(children), children[0]!.database);
      const lc = await lifecycle(t, customers, runners, { concurrency: s.lifecycleConcurrency, warmupS: 3, measureS: 15 * s.scale });
      const lcCpu = cpu.stop();
      log(label, `lifecycle: ${lc.lifecyclesPerSecond}/s; checking invariants…`);
      let violations: string[] | null = null;
      try {
        violations = await children[0]!.call<string[]>({ cmd: 'invariants', timeoutMs: 180_000 }, 240_000);
      } catch (err) {
        log(label, `invariant check failed to run: ${(err as Error).message.split('\n')[0]}`);
      }
      const after = await storageSnapshot(children[0]!).catch(() => undefined);
      const storage = before && after ? storagePerOrder(before, after) : undefined;
      out.lifecycle = {
        ...lc,
        cpu: lcCpu,
        invariantViolations: violations?.length ?? null,
        violationsSample: violations?.slice(0, 5) ?? [],
        ...(storage ? { storage } : {}),
      };
      log(label, `invariants: ${violations === null ? 'not checked' : `${violations.length} violations`}`);
      if (storage) log(label, `stored: ${storage.bytesPerCompletedOrder} bytes per completed order (${storage.completedOrders} orders)`);
    }
    const stats = await children[0]!.call<{ memory: { rss: number } }>({ cmd: 'stats' }).catch(() => undefined);
    if (stats) out.memoryMiB = Math.round(stats.memory.rss / 2 ** 20);
  } finally {
    t.close();
  }
  return out;
}

/** One transport: a fresh deployment of the one-process platform, measured, then removed. */
export async function platformRun(kind: TransportKind, env: BenchEnv, s: Settings): Promise<PlatformRun> {
  const dep = await platformDeployment(kind, env);
  let child: PlatformChild | undefined;
  try {
    const t0 = performance.now();
    child = await PlatformChild.start({ env: dep.env, observe: true, label: kind });
    const startSeconds = round((performance.now() - t0) / 1000);
    log(kind, `platform ready in ${startSeconds} s`);
    const m = await measureDeployment(kind, [child], s, { lifecycle: true });
    return { transport: kind, status: 'ok', startSeconds, ...m };
  } catch (err) {
    log(kind, `failed: ${(err as Error).message.split('\n')[0]}`);
    return { transport: kind, status: 'failed', reason: (err as Error).message.slice(0, 2000) };
  } finally {
    await child?.stop().catch(() => {});
    await dep.drop().catch(() => {});
  }
}

/** Runs a scenario script in a process of its own and returns what it reports. */
export function runScript<T>(script: string, env: Record<string, string>, timeoutMs = 900_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(ROOT, script), [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let err = '';
    child.stderr?.on('data', (d) => (err = (err + d).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    let result: T | undefined;
    child.on('message', (m: { result?: T; error?: string }) => {
      if (m.result) result = m.result;
      if (m.error) err += m.error;
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (result !== undefined) resolve(result);
      else reject(new Error(`${script} exited ${code}: ${err}`));
    });
  });
}

export type { User };
