import { setTimeout as sleep } from 'node:timers/promises';
/**
 * Timers (a process of its own, so its memory is the timer service's): TIMERS armed timers whose
 * due times are spread evenly over WINDOW_S seconds, then the real TimerService fires them through
 * the bus. Reports how late `timer.expired` is — when the service marked it FIRED, and when a
 * consumer of `timer_events` received it — and the process's memory and the table's size.
 * The timers are armed with one SQL insert (what 100,000 `start_order_timer` handlers would leave).
 */
import { MessageBus } from '@campusg/messaging';
import { loadConfig, Metrics, migrate, randomIds, systemClock } from '@campusg/platform';
import { TIMER_SCHEMA, TimerService, timerMigrations } from '@campusg/timer-service';
import { pino } from 'pino';
import { benchEnv, openBus, type TransportKind } from '../lib/deployment.ts';
import { nowMs, round, summarize } from '../lib/stats.ts';

const kind = (process.env.TIMER_TRANSPORT ?? 'embedded') as TransportKind;
const N = Number(process.env.TIMERS ?? 100_000);
const WINDOW_S = Number(process.env.TIMER_WINDOW_S ?? 60);
const LEAD_S = Number(process.env.TIMER_LEAD_S ?? 10);

const mb = (v: number) => Math.round(v / 2 ** 20);

async function main() {
  const memory: { t: number; rssMiB: number; heapMiB: number }[] = [];
  const t00 = nowMs();
  const sampleMemory = () => {
    const m = process.memoryUsage();
    memory.push({ t: round((nowMs() - t00) / 1000, 1), rssMiB: mb(m.rss), heapMiB: mb(m.heapUsed) });
  };
  sampleMemory();
  const bus = await openBus(kind, benchEnv());
  await migrate(bus.db, TIMER_SCHEMA, timerMigrations());
  const log = pino({ level: 'silent' });
  const metrics = new Metrics({ defaultMetrics: false });
  const messageBus = new MessageBus({
    db: bus.db,
    transport: bus.transport,
    outbox: bus.outboxFor(TIMER_SCHEMA),
    schema: TIMER_SCHEMA,
    source: 'timer-service',
    clock: systemClock,
    ids: randomIds,
    log,
    metrics,
    maxAttempts: 5,
    retryBaseMs: 100,
  });
  const config = loadConfig({ CAMPUSG_DATA_DIR: '/tmp/campusg-bench-unused' });
  const timers = new TimerService({ config, db: bus.db, bus: messageBus, clock: systemClock, ids: randomIds, log, metrics });

  // The consumer side: when each timer.expired arrives.
  const late: number[] = [];
  let received = 0;
  const sub = await bus.transport.subscribe({
    groupId: 'bench-timer-observer',
    topics: ['timer_events'],
    fromBeginning: false,
    handleBatch: async (batch) => {
      const t = nowMs();
      for (const r of batch) {
        if (r.headers.type !== 'timer.expired') continue;
        const m = JSON.parse(r.value) as { payload: { timeout_at: string } };
        late.push(t - Date.parse(m.payload.timeout_at));
        received++;
      }
    },
  });
  sampleMemory();
  const memoryBeforeArming = memory[memory.length - 1]!;

  // Arm N timers due from LEAD_S to LEAD_S + WINDOW_S seconds from now.
  const seedStart = nowMs();
  const firstDue = new Date(Date.now() + LEAD_S * 1000 + 5000);
  await bus.db.query(
    `insert into timers.timers (order_id, timeout_at, status, created_at, updated_at)
     select gen_random_uuid(), $1::timestamptz + (i * $2::float8 / $3::int) * interval '1 millisecond', 'ARMED', now(), now()
     from generate_series(0, $3::int - 1) i`,
    [firstDue, WINDOW_S * 1000, N],
  );
  const seedSeconds = (nowMs() - seedStart) / 1000;
  const [size] = await bus.db.query<{ bytes: number }>(`select pg_total_relation_size('timers.timers')::bigint as bytes`);
  sampleMemory();
  const memoryArmed = memory[memory.length - 1]!;
  await timers.start();
  const sampler = setInterval(sampleMemory, 500);
  const deadline = firstDue.getTime() + WINDOW_S * 1000 + 120_000;
  while (received < N && Date.now() < deadline) {
    await sleep(100);
    if (process.env.TIMER_DEBUG) process.stderr.write(`${round((nowMs() - t00) / 1000)} received ${received}\n`);
  }
  clearInterval(sampler);
  timers.stop();
  const fired = await bus.db.query<{ late_ms: number }>(
    `select extract(epoch from (updated_at - timeout_at)) * 1000 as late_ms from timers.timers where status = 'FIRED'`,
  );
  await sub.close();
  await messageBus.close();
  await bus.close();
  const peak = memory.reduce((a, m) => (m.rssMiB > a.rssMiB ? m : a), memory[0]!);
  return {
    transport: kind,
    timers: N,
    windowSeconds: WINDOW_S,
    armSeconds: round(seedSeconds, 1),
    firedCount: fired.length,
    receivedCount: received,
    /** timeout_at → marked FIRED (the transaction that stores timer.expired). */
    firedLateMs: summarize(fired.map((r) => Number(r.late_ms))),
    /** timeout_at → timer.expired received by a consumer of timer_events. */
    receivedLateMs: summarize(late),
    tableMiB: round(Number(size?.bytes ?? 0) / 2 ** 20, 1),
    memoryMiB: {
      beforeArming: memoryBeforeArming.rssMiB,
      armed: memoryArmed.rssMiB,
      peakRss: peak.rssMiB,
      peakHeap: memory.reduce((a, m) => Math.max(a, m.heapMiB), 0),
    },
    memorySeries: memory,
  };
}

main().then(
  (result) => {
    process.send?.({ result });
    if (!process.send) process.stdout.write(`${JSON.stringify({ ...result, memorySeries: undefined })}\n`);
    setTimeout(() => process.exit(0), 50);
  },
  (err) => {
    process.send?.({ error: (err as Error)?.stack ?? String(err) });
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    setTimeout(() => process.exit(1), 50);
  },
);
