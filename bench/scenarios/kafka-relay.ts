/**
 * One Kafka hop, alone (a process of its own): MessageBus.transact → TableOutbox → Kafka → a consumer
 * group of the MessageBus. Throughput with concurrent producers, then the hop latency at a fixed
 * rate; client CPU, broker CPU and SQL statements per record. `KAFKA_RELAY_OUTBOX` may name another
 * outbox module (a file exporting `TableOutbox`), `KAFKA_RELAY_TRANSPORT` another transport module (a
 * file exporting `KafkaTransport`), to compare versions A/B in the same process shape.
 *
 *   KAFKA_BROKERS=… DATABASE_URL=… [KAFKA_BROKER_PID=<pid>] npx tsx bench/scenarios/kafka-relay.ts
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { topicCatalog } from '@campusg/contracts';
import { startOnSchedule } from '@campusg/journeys';
import { messagingTablesSql, type Outbox, TableOutbox, type Transport } from '@campusg/messaging';
import type { KafkaTransport } from '@campusg/messaging/kafka';
import { type Db, migrate, observeDb } from '@campusg/platform';
import { pino } from 'pino';
import { dropKafkaNamespace } from '../../test/support/environment.ts';
import { benchEnv, benchMessageBus, openBus } from '../lib/deployment.ts';
import { nowMs, round, summarize } from '../lib/stats.ts';

const N = Number(process.env.BUS_MESSAGES ?? 2000);
const PRODUCERS = Number(process.env.BUS_PRODUCERS ?? 16);
const LATENCY_N = Number(process.env.BUS_LATENCY_MESSAGES ?? 300);
const LATENCY_RATE = Number(process.env.BUS_LATENCY_RATE ?? 100);

/** CPU seconds (user+system) the broker process has used, when its pid is known. */
function brokerCpu(): number | undefined {
  const pid = process.env.KAFKA_BROKER_PID;
  if (!pid) return undefined;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** OffsetCommit requests the transport's consumers sent, where it counts them. */
const commitRequests = (t: Transport): number | undefined => (t as { offsetCommitRequests?: () => number }).offsetCommitRequests?.();

/** `db` with each statement, and each transaction's BEGIN and COMMIT, counted. */
function counting(db: Db, count: () => void): Db {
  return observeDb(db, count, () => {
    count();
    count();
  });
}

async function main() {
  const bus = await openBus('kafka', benchEnv());
  const schema = 'benchrelay';
  await migrate(bus.db, schema, [{ id: '000_messaging', sql: messagingTablesSql(schema) }]);
  let statements = 0;
  let relayStatements = 0;
  const db = counting(bus.db, () => statements++);
  const relayDb = counting(bus.db, () => {
    statements++;
    relayStatements++;
  });
  const Outboxes = process.env.KAFKA_RELAY_OUTBOX
    ? ((await import(process.env.KAFKA_RELAY_OUTBOX)) as { TableOutbox: typeof TableOutbox }).TableOutbox
    : TableOutbox;
  let transport: Transport = bus.transport;
  const namespace = `benchab${Date.now()}.`;
  if (process.env.KAFKA_RELAY_TRANSPORT) {
    const { KafkaTransport: Kafka } = (await import(process.env.KAFKA_RELAY_TRANSPORT)) as { KafkaTransport: typeof KafkaTransport };
    const brokers = benchEnv().kafkaBrokers.split(',');
    transport = new Kafka({ brokers, clientId: 'campusg-bench', namespace, log: pino({ level: 'silent' }) });
    await transport.ensureTopics(topicCatalog({ partitions: 3 }));
  }
  const outbox = new Outboxes(relayDb, schema, transport);
  outbox.start();
  const mb = benchMessageBus({ db: db, transport: transport, outbox: outbox as Outbox, schema });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  await mb.consume('bench-relay-consumer', ['timer_events'], {
    'timer.started': async (m) => {
      const t0 = sentAt.get(m.message_id);
      if (t0 !== undefined) {
        latencies.push(nowMs() - t0);
        sentAt.delete(m.message_id);
      }
      received++;
    },
  });
  const publish = async () => {
    const t0 = nowMs();
    const id = crypto.randomUUID();
    sentAt.set(id, t0);
    await mb.transact(async (_tx, emit) => {
      emit('timer.started', { order_id: crypto.randomUUID(), timeout_at: new Date().toISOString() }, { messageId: id });
    });
  };
  const until = async (n: number, timeoutMs: number) => {
    const deadline = nowMs() + timeoutMs;
    while (received < n && nowMs() < deadline) await sleep(5);
  };
  for (let i = 0; i < 30; i++) await publish();
  await until(30, 60_000);

  received = 0;
  latencies.length = 0;
  statements = 0;
  relayStatements = 0;
  const commits0 = commitRequests(transport);
  const cpu0 = process.cpuUsage();
  const broker0 = brokerCpu();
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
  await until(N, 120_000);
  const seconds = (nowMs() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const broker1 = brokerCpu();
  const throughput = {
    messages: N,
    received,
    recordsPerSecond: round(received / seconds),
    clientCpuUsPerRecord: round((cpu.user + cpu.system) / N),
    brokerCpuUsPerRecord: broker0 === undefined ? null : round(((broker1! - broker0) * 1e6) / N),
    statementsPerRecord: round(statements / N, 2),
    relayStatementsPerRecord: round(relayStatements / N, 2),
    offsetCommitsPerRecord: commits0 === undefined ? null : round((commitRequests(transport)! - commits0) / N, 3),
    latencyMs: summarize(latencies),
  };

  // Hop latency at a fixed rate, open loop: transact (commit + publish) → handler.
  await sleep(500);
  received = 0;
  latencies.length = 0;
  statements = 0;
  relayStatements = 0;
  const commits1 = commitRequests(transport);
  const inflight = await startOnSchedule(
    { count: LATENCY_N, intervalMs: 1000 / LATENCY_RATE, now: nowMs, firstDue: nowMs() + 20, minWaitMs: 1 },
    () => publish(),
  );
  await Promise.all(inflight);
  await until(LATENCY_N, 60_000);
  const latency = {
    ratePerSecond: LATENCY_RATE,
    received,
    statementsPerRecord: round(statements / LATENCY_N, 2),
    relayStatementsPerRecord: round(relayStatements / LATENCY_N, 2),
    offsetCommitsPerRecord: commits1 === undefined ? null : round((commitRequests(transport)! - commits1) / LATENCY_N, 3),
    latencyMs: summarize(latencies),
  };
  await mb.close();
  await outbox.close();
  if (transport !== bus.transport) {
    await transport.close();
    await dropKafkaNamespace(benchEnv().kafkaBrokers, namespace, {
      clientId: 'campusg-bench-cleanup',
      groups: true,
      timeoutMs: 30_000,
    }).catch(() => {});
  }
  await bus.close();
  return {
    outbox: process.env.KAFKA_RELAY_OUTBOX ? 'alternative' : 'current',
    transport: process.env.KAFKA_RELAY_TRANSPORT ? 'alternative' : 'current',
    throughput,
    latency,
  };
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    setTimeout(() => process.exit(0), 50);
  },
  (err) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    setTimeout(() => process.exit(1), 50);
  },
);
