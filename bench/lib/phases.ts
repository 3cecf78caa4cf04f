import { fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchEnv, platformDeployment, type TransportKind } from './deployment.ts';
import {
  type LifecycleResult,
  lifecycle,
  type OpenLoopResult,
  openLoop,
  registerUsers,
  type SaturationResult,
  saturation,
  Target,
  type User,
} from './load.ts';
import { type CpuReport, cpuMeter } from './machine.ts';
import { PlatformChild, ROOT } from './platform.ts';
import { round } from './stats.ts';

export interface Settings {
  scale: number;
  concurrency: number;
  lifecycleConcurrency: number;
  customers: number;
  runners: number;
  /** Wait (up to 3 minutes) for the 1-minute load average to drop below this before each phase. */
  quietLoad: number | null;
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

/** Pids of the processes a phase owns (for the CPU meter): this process and the platform's. */
export function ours(children: PlatformChild[]): () => Record<string, number[]> {
  return () => ({ 'bench driver': [process.pid], platform: children.map((c) => c.child.pid!).filter(Boolean) });
}

export interface WithCpu {
  cpu: CpuReport;
  /** CPU milliseconds per completed saga, by process class: independent of other jobs on the machine. */
  cpuMsPerSaga?: Record<string, number>;
}

/** CPU cost per saga: the cores each class used during the phase, divided by the sagas per second. */
export function withCost<T extends WithCpu & { sagasPerSecond: number }>(r: T): T {
  if (!(r.sagasPerSecond > 0)) return r;
  const cost: Record<string, number> = {};
  for (const [k, cores] of Object.entries(r.cpu.cores)) {
    if (k !== 'platform' && k !== 'postgres (this deployment)' && k !== 'bench driver') continue;
    cost[k] = round((cores / r.sagasPerSecond) * 1000, 1);
  }
  return { ...r, cpuMsPerSaga: cost };
}

export interface PlatformRun {
  transport: string;
  status: 'ok' | 'failed' | 'skipped';
  reason?: string;
  saturation?: SaturationResult & WithCpu;
  latency?: (OpenLoopResult & WithCpu & { fractionOfSaturation: number })[];
  lifecycle?: LifecycleResult & WithCpu;
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
    let cpu = cpuMeter(ours(children), children[0]!.database);
    let reference = o.reference ?? 0;
    if (!o.fixedRates) {
      log(label, 'saturation…');
      const sat = await saturation(t, customers, { concurrency: s.concurrency, warmupS: 5, measureS: 15 * s.scale });
      out.saturation = withCost({ ...sat, cpu: cpu.stop() });
      reference = sat.sagasPerSecond;
      log(label, `saturation: ${sat.sagasPerSecond} sagas/s (closed loop of ${sat.concurrency}), saga p50 ${sat.sagaLatencyMs.p50} ms`);
      children[0]!.seen.clear();
    }
    out.latency = [];
    const rates = o.fixedRates ?? (o.fractions ?? [0.25, 0.5, 0.75]).map((f) => f * reference);
    for (const rate of rates) {
      if (!(rate > 0)) continue;
      await waitQuiet(s);
      await sleep(1000);
      cpu = cpuMeter(ours(children), children[0]!.database);
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
      cpu = cpuMeter(ours(children), children[0]!.database);
      const lc = await lifecycle(t, customers, runners, { concurrency: s.lifecycleConcurrency, warmupS: 3, measureS: 15 * s.scale });
      const lcCpu = cpu.stop();
      log(label, `lifecycle: ${lc.lifecyclesPerSecond}/s; checking invariants…`);
      let violations: string[] | null = null;
      try {
        violations = await children[0]!.call<string[]>({ cmd: 'invariants', timeoutMs: 180_000 }, 240_000);
      } catch (err) {
        log(label, `invariant check failed to run: ${(err as Error).message.split('\n')[0]}`);
      }
      out.lifecycle = {
        ...lc,
        cpu: lcCpu,
        invariantViolations: violations?.length ?? null,
        violationsSample: violations?.slice(0, 5) ?? [],
      };
      log(label, `invariants: ${violations === null ? 'not checked' : `${violations.length} violations`}`);
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
