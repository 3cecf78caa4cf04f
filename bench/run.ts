/**
 * `npm run bench`: what the platform exists for — orders flowing through sagas — measured in one
 * run per transport on this machine, with the original's approach measured side by side.
 *
 *   npm run bench                        platform (embedded, Kafka + PostgreSQL, RabbitMQ + PostgreSQL),
 *                                        both saga engines side by side, baseline, bus alone, timers, bytes
 *                                        per completed order at a steady state (≈ 17 minutes)
 *   npm run bench -- bytes               bytes stored per completed order once retention has done its work
 *                                        (bench/scenarios/bytes-per-order.ts, retentions of 1 s; ≈ 2 minutes)
 *   npm run bench -- engines             the bus and the Temporal saga engine side by side on BENCH_ENGINE_TRANSPORT
 *                                        (embedded): saturation, p99 at half of it, CPU per saga with the
 *                                        Temporal server's (needs TEMPORAL_ADDRESS; ≈ 6 minutes)
 *   npm run bench -- growth scaling      + data growth and partitions/instances (long; see BENCH_GROWTH)
 *   npm run bench -- profile             the platform under --cpu-prof at its saturation rate, with SQL statement counts
 *   npm run bench -- quick               before/after check (≈ 3 minutes per transport): saturation, p99 at half
 *                                        of it, CPU, statements and transactions per saga; e.g.
 *                                        BENCH_TRANSPORTS=embedded npm run bench -- quick
 *   npm run bench -- overload            admission control: goodput, refused orders and latency offered 1×, 2×, 3×
 *                                        the saturation rate (open loop), and 3× again with no limit; e.g.
 *                                        BENCH_TRANSPORTS=embedded npm run bench -- overload (≈ 6 minutes per transport)
 *   npm run bench -- all                 everything but quick
 *   npm run bench -- report <file.json>  charts and tables again from a results file
 *
 * Saturation is found open loop: fixed offered rates, rising, until fewer than 99 % of the orders
 * turn CREATED within 1 s of their intended send time or any is left behind (bench/lib/saturation-search.ts).
 *
 * Knobs (environment): BENCH_SCALE (× measuring windows, default 1), BENCH_TRANSPORTS
 * (embedded,kafka,rabbitmq), BENCH_START_RATE (the search's first rate, 10/s; quick 8/s),
 * BENCH_RATE_GROWTH (factor between rates, 1.5; quick 2), BENCH_QUICK_LATENCY_RATE (the rate of quick's
 * latency step, instead of half of saturation), BENCH_PLATFORM_ENV (NAME=value settings for the platform under test),
 * BENCH_OVERLOAD_SATURATION (the overload phase's saturation rate, instead of searching it),
 * BENCH_OVERLOAD_WITHIN_MS (its search's latency bound, 2000), BENCH_OVERLOAD_UNLIMITED (0: skip
 * the run without admission control), BENCH_ENGINE_TRANSPORT (the engines phase's transport,
 * embedded), TEMPORAL_ADDRESS, TEMPORAL_HOME_DIR (the directory of the Temporal test server's pid
 * file, default .temporal), BENCH_TIMERS (100000), BENCH_GROWTH (completed orders per level, 10000,100000,1000000),
 * BENCH_GROWTH_TEMPLATE (real lifecycles replicated, 300), BENCH_QUIET_LOAD (wait for the 1-minute
 * load average to fall below it before each phase), DATABASE_URL, KAFKA_BROKERS, AMQP_URL.
 * Results: bench/results/<timestamp>.json; charts: docs/bench/*.svg; tables: docs/performance.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshDatabase } from '../test/support/environment.ts';
import { benchEnv, type TransportKind } from './lib/deployment.ts';
import { enginesRun } from './lib/engines.ts';
import { growthRun, scalingRun } from './lib/growth.ts';
import { cpuMeter, describeMachine } from './lib/machine.ts';
import { type OverloadRun, overloadRun } from './lib/overload.ts';
import { log, measureDeployment, type PlatformRun, platformRun, runScript, type Settings, waitQuiet } from './lib/phases.ts';
import { PlatformChild, ROOT } from './lib/platform.ts';
import { profileRun } from './lib/profile.ts';
import { type QuickRun, quickRun } from './lib/quick.ts';
import { round } from './lib/stats.ts';
import { writeReport } from './report.ts';
import type { BytesResult } from './scenarios/bytes-per-order.ts';

const DEFAULT_PHASES = ['platform', 'engines', 'baseline', 'bus', 'timers', 'bytes'];
const ALL_PHASES = [...DEFAULT_PHASES, 'growth', 'scaling', 'profile', 'overload'];
const KNOWN_PHASES = [...ALL_PHASES, 'quick'];

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === 'report') {
    const file = args[1] ?? path.join(ROOT, 'docs/bench/results.json');
    writeReport(JSON.parse(readFileSync(file, 'utf8')));
    log('report written from', file);
    return;
  }
  const phases = args.includes('all') ? ALL_PHASES : args.length > 0 ? args : DEFAULT_PHASES;
  for (const p of phases)
    if (!KNOWN_PHASES.includes(p)) throw new Error(`unknown phase ${p} (known: ${KNOWN_PHASES.join(', ')}, all, report)`);
  // Checks that are compared run to run, not published by the report: short search steps, no report.
  const check = phases.every((p) => p === 'quick' || p === 'overload');
  const env = benchEnv();
  const s: Settings = {
    scale: Number(process.env.BENCH_SCALE ?? 1),
    lifecycleConcurrency: Number(process.env.BENCH_LIFECYCLE_CONCURRENCY ?? 16),
    customers: 48,
    runners: 16,
    quietLoad: process.env.BENCH_QUIET_LOAD ? Number(process.env.BENCH_QUIET_LOAD) : null,
    startRate: Number(process.env.BENCH_START_RATE ?? (check ? 8 : 10)),
    rateGrowth: Number(process.env.BENCH_RATE_GROWTH ?? (check ? 2 : 1.5)),
    stepWarmupS: check ? 2 : 3,
    stepMeasureS: check ? 6 : 10,
  };
  const transports = (process.env.BENCH_TRANSPORTS ?? 'embedded,kafka,rabbitmq').split(',').filter(Boolean) as TransportKind[];
  const startedAt = new Date();
  const results: Record<string, unknown> = {
    version: 1,
    startedAt: startedAt.toISOString(),
    command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
    phases,
    settings: { ...s, transports },
    machine: await describeMachine(env),
  };
  const outDir = path.join(ROOT, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const file = path.join(
    outDir,
    `${startedAt
      .toISOString()
      .replaceAll(':', '-')
      .replace(/\.\d+Z$/, 'Z')}.json`,
  );
  const save = () => writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  const phase = async (name: string, fn: () => Promise<unknown>) => {
    const waited = await waitQuiet(s);
    const t0 = performance.now();
    const cpu = cpuMeter(() => ({ 'bench driver': [process.pid] }));
    try {
      const r = await fn();
      results[name] = r;
    } catch (err) {
      log(name, `failed: ${(err as Error).message}`);
      results[name] = { status: 'failed', reason: (err as Error).message.slice(0, 2000) };
    }
    (results.phaseSeconds as Record<string, unknown>)[name] = {
      seconds: Math.round((performance.now() - t0) / 1000),
      waitedForQuietSeconds: waited,
      machineBusyPct: cpu.stop().machineBusyPct,
    };
    save();
  };
  results.phaseSeconds = {};

  if (phases.includes('quick')) {
    const quickLatencyRate = Number(process.env.BENCH_QUICK_LATENCY_RATE) || undefined;
    await phase('quick', async () => {
      const runs: Record<string, QuickRun> = {};
      for (const kind of transports) {
        runs[kind] = await quickRun(kind, env, s, {}, quickLatencyRate);
        results.quick = runs;
        save();
      }
      for (const r of Object.values(runs)) log('summary', r.summary ?? `${r.transport}: ${r.status} ${r.reason?.split('\n')[0] ?? ''}`);
      return runs;
    });
  }

  if (phases.includes('platform')) {
    await phase('platform', async () => {
      const runs: Record<string, PlatformRun> = {};
      for (const kind of transports) {
        log(kind, 'starting the one-process platform…');
        runs[kind] = await platformRun(kind, env, s);
        results.platform = runs;
        save();
      }
      return runs;
    });
  }

  if (phases.includes('engines')) {
    await phase('engines', async () => {
      const r = await enginesRun((process.env.BENCH_ENGINE_TRANSPORT ?? 'embedded') as TransportKind, env, s);
      for (const q of [r.bus, r.temporal]) if ('summary' in q && q.summary) log('engines', q.summary);
      return r;
    });
  }

  if (phases.includes('baseline')) {
    await phase('baseline', async () => {
      const db = await freshDatabase(env.databaseUrl);
      let child: PlatformChild | undefined;
      try {
        child = await PlatformChild.start({
          script: path.join(ROOT, 'bench/baseline/baseline-child.ts'),
          env: { KAFKA_BROKERS: env.kafkaBrokers, DATABASE_URL: db.url, BASELINE_NAMESPACE: `baseline${Date.now()}.` },
          label: 'baseline',
        });
        const m = await measureDeployment('baseline', [child], s, { lifecycle: false });
        // The platform's latency rates again, on the baseline: the same offered load side by side.
        const kafka = (results.platform as Record<string, PlatformRun> | undefined)?.kafka;
        const sameRates = kafka?.latency?.map((l) => l.offeredPerSecond).filter((r) => r > 0) ?? [];
        const atPlatformRates = sameRates.length
          ? (
              await measureDeployment('baseline@platform rates', [child], s, {
                lifecycle: false,
                fixedRates: sameRates,
                reference: kafka?.saturation?.sagasPerSecond,
              })
            ).latency
          : [];
        const platformKafka = (results.platform as Record<string, PlatformRun> | undefined)?.kafka?.saturation?.sagasPerSecond;
        const ratio = platformKafka && m.saturation?.sagasPerSecond ? round(platformKafka / m.saturation.sagasPerSecond, 2) : null;
        if (ratio !== null) log('baseline', `platform on Kafka + PostgreSQL / original style: ${ratio}× the sagas per second`);
        return {
          status: 'ok',
          platformRatio: ratio,
          description:
            'the same 5-step create-order saga on Kafka + PostgreSQL in the original style: one awaited producer.send per message (no batching), fire-and-forget handlers per message (no ordering, auto-committed offsets), plain JSON without envelope, outbox, inbox, retries or dead letters, saga state in memory, no token verification or body validation',
          ...m,
          atPlatformRates,
        };
      } finally {
        await child?.stop().catch(() => {});
        await db.drop().catch(() => {});
      }
    });
  }

  if (phases.includes('bus')) {
    await phase('bus', async () => {
      const out: Record<string, unknown> = {};
      for (const kind of transports) {
        log('bus', `${kind}…`);
        try {
          out[kind] = await runScript('bench/scenarios/bus.ts', {
            BUS_TRANSPORT: kind,
            BUS_MESSAGES: String(Math.round(3000 * s.scale)),
            BUS_LATENCY_S: String(Math.round(10 * s.scale)),
          });
          const r = out[kind] as { throughput: { messagesPerSecond: number }; latency: { latencyMs: { p99: number } } };
          log('bus', `${kind}: ${r.throughput.messagesPerSecond} msg/s, p99 ${r.latency.latencyMs.p99} ms at half of it`);
        } catch (err) {
          out[kind] = { status: 'failed', reason: (err as Error).message.slice(0, 2000) };
          log('bus', `${kind} failed: ${(err as Error).message.split('\n')[0]}`);
        }
        results.bus = out;
        save();
      }
      return out;
    });
  }

  if (phases.includes('timers')) {
    await phase('timers', async () => {
      const n = Number(process.env.BENCH_TIMERS ?? 100_000);
      log('timers', `${n} timers due within a minute (embedded)…`);
      const r = await runScript<Record<string, unknown>>('bench/scenarios/timers.ts', {
        TIMER_TRANSPORT: 'embedded',
        TIMERS: String(n),
        TIMER_WINDOW_S: '60',
      });
      const late = r.receivedLateMs as { p99: number };
      log('timers', `p99 ${late.p99} ms late at the consumer; peak RSS ${(r.memoryMiB as { peakRss: number }).peakRss} MiB`);
      return r;
    });
  }

  if (phases.includes('bytes')) {
    await phase('bytes', async () => {
      log('bytes', 'journeys at 8/s for 40 s, three times, every retention at 1 s (embedded)…');
      const r = await runScript<BytesResult>('bench/scenarios/bytes-per-order.ts', { RETENTIONS: 'short', RATE: '8', SECONDS: '40' });
      for (const run of r.runs) log('bytes', `${run.bytesPerCompletedOrder} B per completed order, ${run.bytesPerOrder} B per order`);
      return r;
    });
  }

  if (phases.includes('growth')) {
    await phase('growth', async () => {
      const levels = (process.env.BENCH_GROWTH ?? '10000,100000,1000000')
        .split(',')
        .map(Number)
        .filter((n) => n > 0);
      return growthRun(env, s, levels, Number(process.env.BENCH_GROWTH_TEMPLATE ?? 300));
    });
  }

  if (phases.includes('scaling')) {
    await phase('scaling', async () => ({
      transport: 'kafka',
      points: await scalingRun(env, s, [
        [1, 1],
        [2, 2],
        [3, 3],
        [3, 1],
      ]),
    }));
  }

  if (phases.includes('overload')) {
    await phase('overload', async () => {
      const runs: Record<string, OverloadRun> = {};
      for (const kind of transports) {
        runs[kind] = await overloadRun(kind, env, s);
        results.overload = runs;
        save();
      }
      return runs;
    });
  }

  if (phases.includes('profile')) {
    await phase('profile', async () => {
      const out: Record<string, unknown> = {};
      for (const kind of (process.env.BENCH_PROFILE_TRANSPORTS ?? 'embedded,kafka').split(',') as TransportKind[]) {
        out[kind] = await profileRun(kind, env, s, path.join(os.tmpdir(), 'campusg-bench-profiles'));
        results.profile = out;
        save();
      }
      return out;
    });
  }

  results.finishedAt = new Date().toISOString();
  results.durationSeconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
  save();
  log('results:', path.relative(ROOT, file));
  // A quick check (or the overload figures) is for comparing runs of it; the published report comes from full runs.
  if (check) return;
  writeReport(results);
  log('charts: docs/bench/*.svg; tables: docs/performance.md');
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
