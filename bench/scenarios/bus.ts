import { setTimeout as sleep } from 'node:timers/promises';
import { startOnSchedule } from '@campusg/journeys';
/**
 * The bus alone, one transport per run (a process of its own): messages published through the
 * service API — envelope, outbox in the producer's transaction, inbox in the consumer's — and
 * consumed by one group. Throughput with concurrent producers (one message per transaction, like a
 * handler's reply), then per-message latency (emit → handler) at a fixed rate of half of it.
 */
import { messagingTablesSql } from '@campusg/messaging';
import { migrate } from '@campusg/platform';
import { benchEnv, benchMessageBus, openBus, type TransportKind } from '../lib/deployment.ts';
import { nowMs, round, summarize } from '../lib/stats.ts';

const kind = (process.env.BUS_TRANSPORT ?? 'embedded') as TransportKind;
const N = Number(process.env.BUS_MESSAGES ?? 3000);
const PRODUCERS = Number(process.env.BUS_PRODUCERS ?? 16);
const LATENCY_S = Number(process.env.BUS_LATENCY_S ?? 10);

async function main() {
  const bus = await openBus(kind, benchEnv());
  const schema = 'benchbus';
  await migrate(bus.db, schema, [{ id: '000_messaging', sql: messagingTablesSql(schema) }]);
  const mb = benchMessageBus({ db: bus.db, transport: bus.transport, outbox: bus.outboxFor(schema), schema });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  let lastReceived = 0;
  let onReceive: (() => void) | undefined;
  await mb.consume('bench-bus-consumer', ['timer_events'], {
    'timer.started': async (m) => {
      const t = nowMs();
      const t0 = sentAt.get(m.message_id);
      if (t0 !== undefined) {
        latencies.push(t - t0);
        sentAt.delete(m.message_id);
      }
      received++;
      lastReceived = t;
      onReceive?.();
    },
  });
  const publish = async () => {
    const t0 = nowMs();
    const id = crypto.randomUUID();
    await mb.transact(async (_tx, emit) => {
      const m = emit('timer.started', { order_id: crypto.randomUUID(), timeout_at: new Date().toISOString() }, { messageId: id });
      sentAt.set(m.message_id, t0);
    });
  };
  // Warm-up: connections, the group's first fetch.
  for (let i = 0; i < 20; i++) await publish();
  const until = async (n: number, timeoutMs: number) => {
    const deadline = nowMs() + timeoutMs;
    while (received < n && nowMs() < deadline) await sleep(10);
  };
  await until(20, 60_000);

  // Throughput: N messages from PRODUCERS concurrent producers.
  received = 0;
  latencies.length = 0;
  const start = nowMs();
  let next = 0;
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      while (next < N) {
        next++;
        await publish();
      }
    }),
  );
  const published = nowMs();
  await until(N, 120_000);
  const seconds = (lastReceived - start) / 1000;
  const throughput = {
    messages: N,
    producers: PRODUCERS,
    received,
    seconds: round(seconds, 2),
    publishedPerSecond: round(N / ((published - start) / 1000)),
    messagesPerSecond: round(received / seconds),
    latencyAtSaturationMs: summarize(latencies),
  };

  // Latency at half of that rate, open loop.
  const rate = Math.max(1, throughput.messagesPerSecond * 0.5);
  received = 0;
  latencies.length = 0;
  const total = Math.round(rate * LATENCY_S);
  const inflight = await startOnSchedule({ count: total, intervalMs: 1000 / rate, now: nowMs, firstDue: nowMs() + 20, minWaitMs: 1 }, () =>
    publish(),
  );
  await Promise.all(inflight);
  await until(total, 60_000);
  const latency = { ratePerSecond: round(rate), messages: total, received, latencyMs: summarize(latencies) };
  await mb.close();
  await bus.close();
  return { transport: kind, throughput, latency };
}

main().then(
  (result) => {
    process.send?.({ result });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    setTimeout(() => process.exit(0), 50);
  },
  (err) => {
    process.send?.({ error: (err as Error)?.stack ?? String(err) });
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    setTimeout(() => process.exit(1), 50);
  },
);
