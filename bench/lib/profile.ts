import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { summarizeProfile } from './cpuprofile.ts';
import { type BenchEnv, platformDeployment, type TransportKind } from './deployment.ts';
import { registerUsers, saturation, Target } from './load.ts';
import { log, type Settings } from './phases.ts';
import { PlatformChild } from './platform.ts';
import { round } from './stats.ts';

/**
 * The saturation benchmark on one deployment with the platform process under `--cpu-prof`, plus a
 * count of every SQL statement (and, on PGlite, the time transactions hold its single lock).
 * A second, unprofiled run gives the throughput without the profiler's overhead.
 */
export async function profileRun(kind: TransportKind, env: BenchEnv, s: Settings, dir: string) {
  const run = async (profiled: boolean) => {
    const dep = await platformDeployment(kind, env);
    const profDir = path.join(dir, `${kind}-${Date.now()}`);
    if (profiled) mkdirSync(profDir, { recursive: true });
    const child = await PlatformChild.start({
      env: { ...dep.env, BENCH_SQL_STATS: profiled ? '1' : '0' },
      observe: true,
      label: `profile ${kind}`,
      execArgv: profiled ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=500'] : [],
    });
    const t = new Target([child.url], child);
    try {
      const users = await registerUsers(t, s.customers);
      if (profiled) await child.call({ cmd: 'sqlstats', reset: true });
      const sat = await saturation(t, users, { concurrency: s.concurrency, warmupS: 5, measureS: 15 * s.scale });
      const sql = profiled
        ? await child.call<{
            transactions: { n: number; ms: number };
            statements: { sql: string; n: number; ms: number; avgMs: number }[];
          }>({
            cmd: 'sqlstats',
          })
        : undefined;
      return { sat, sql, profDir };
    } finally {
      t.close();
      await child.stop();
      await dep.drop();
    }
  };
  log('profile', `${kind}: unprofiled saturation…`);
  const plain = await run(false);
  log('profile', `${kind}: ${plain.sat.sagasPerSecond} sagas/s; profiled run…`);
  const prof = await run(true);
  const file = readdirSync(prof.profDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(prof.profDir, f))[0];
  const summary = file ? summarizeProfile(file, 20) : undefined;
  if (file && !process.env.BENCH_KEEP_PROFILES) rmSync(prof.profDir, { recursive: true, force: true });
  // Sagas started while the statements were counted: the window includes warm-up and drain.
  const started = prof.sql?.statements.find((x) => x.sql.includes('insert into sagas.instances'))?.n ?? 0;
  const total = prof.sql?.statements.reduce((a, x) => a + x.n, 0) ?? 0;
  const statementMs = prof.sql?.statements.reduce((a, x) => a + x.ms, 0) ?? 0;
  return {
    transport: kind,
    sagasPerSecond: plain.sat.sagasPerSecond,
    sagasPerSecondProfiled: prof.sat.sagasPerSecond,
    cpu: summary && {
      durationMs: summary.durationMs,
      idlePct: summary.idlePct,
      byArea: summary.byArea,
      byAreaWithCallsCharged: summary.byAreaWithCallsCharged,
      topSelf: summary.topSelf,
    },
    sql: prof.sql && {
      sagasStarted: started,
      statements: total,
      statementsPerSaga: started ? round(total / started, 1) : null,
      // PGlite's transactions are counted by the wrapper; on PostgreSQL they are the BEGIN statements.
      transactionsPerSaga: started
        ? round((prof.sql.transactions.n || (prof.sql.statements.find((x) => x.sql === 'BEGIN')?.n ?? 0)) / started, 1)
        : null,
      meanStatementMs: total ? round(statementMs / total, 3) : null,
      top: prof.sql.statements.slice(0, 25).map((x) => ({ ...x, perSaga: started ? round(x.n / started, 2) : null })),
    },
  };
}
