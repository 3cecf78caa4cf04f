import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { costProbe, type StepCost } from './cost.ts';
import { summarizeProfile } from './cpuprofile.ts';
import { type BenchEnv, platformDeployment, type TransportKind } from './deployment.ts';
import { openLoop, registerUsers, Target } from './load.ts';
import { costLine, log, type Saturation, type Settings, searchSaturation } from './phases.ts';
import { PlatformChild } from './platform.ts';

/**
 * One deployment at its saturation rate with the platform process under `--cpu-prof`, plus a
 * count of every SQL statement (and, on PGlite, the time transactions hold its single lock).
 * The saturation rate comes from an unprofiled open-loop search first (the profiler's overhead
 * would lower it); the profiled run then offers that rate, open loop, for a fixed window.
 */
export async function profileRun(kind: TransportKind, env: BenchEnv, s: Settings, dir: string) {
  let found: Saturation | undefined;
  const run = async (profiled: boolean) => {
    const dep = await platformDeployment(kind, env);
    const profDir = path.join(dir, `${kind}-${Date.now()}`);
    if (profiled) mkdirSync(profDir, { recursive: true });
    const child = await PlatformChild.start({
      env: { ...dep.env, BENCH_SQL_STATS: '1' },
      observe: true,
      label: `profile ${kind}`,
      execArgv: profiled ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=500'] : [],
    });
    const t = new Target([child.url], child);
    try {
      const users = await registerUsers(t, s.customers);
      if (!profiled) {
        found = await searchSaturation(`profile ${kind}`, t, users, [child], s);
        return { cost: found.atSaturation?.cost, profDir };
      }
      const rate = found?.sagasPerSecond || s.startRate;
      const probe = costProbe([child]);
      await probe.start();
      const r = await openLoop(t, users, { rate, warmupS: s.stepWarmupS, measureS: 15 * s.scale, drainS: 60 });
      const cost: StepCost = await probe.stop(r.allSent);
      log('profile', `${kind} profiled at ${rate}/s: created p99 ${r.createdLatencyMs.p99} ms, ${r.incomplete} left${costLine(cost)}`);
      return { cost, profDir };
    } finally {
      t.close();
      await child.stop();
      await dep.drop();
    }
  };
  log('profile', `${kind}: unprofiled saturation…`);
  const plain = await run(false);
  log('profile', `${kind}: ${found?.sagasPerSecond} sagas/s; profiled run at that rate…`);
  const prof = await run(true);
  const file = readdirSync(prof.profDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(prof.profDir, f))[0];
  const summary = file ? summarizeProfile(file, 20) : undefined;
  if (file && !process.env.BENCH_KEEP_PROFILES) rmSync(prof.profDir, { recursive: true, force: true });
  return {
    transport: kind,
    sagasPerSecond: found?.sagasPerSecond ?? 0,
    saturation: found,
    cpu: summary && {
      durationMs: summary.durationMs,
      idlePct: summary.idlePct,
      byArea: summary.byArea,
      byAreaWithCallsCharged: summary.byAreaWithCallsCharged,
      topSelf: summary.topSelf,
    },
    // Counted on the unprofiled run at saturation (the profiler does not change what runs, only how fast).
    cpuMsPerSaga: plain.cost?.cpuMsPerSaga,
    sql: plain.cost?.sql ?? prof.cost?.sql,
  };
}
