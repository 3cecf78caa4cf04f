import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { topicCatalog } from '@campusg/contracts';
import { MessageBus, type Outbox, TableOutbox, type Transport } from '@campusg/messaging';
import { EmbeddedOutbox, EmbeddedTransport } from '@campusg/messaging/embedded';
import { KafkaTransport } from '@campusg/messaging/kafka';
import { RabbitMqTransport } from '@campusg/messaging/rabbitmq';
import { type Db, Metrics, openPglite, openPostgres, randomIds, systemClock } from '@campusg/platform';
import { pino } from 'pino';
import { dropKafkaNamespace, freshDatabase } from '../../test/support/environment.ts';

export type TransportKind = 'embedded' | 'kafka' | 'rabbitmq';

export interface BenchEnv {
  databaseUrl: string;
  kafkaBrokers: string;
  amqpUrl: string;
}

export const benchEnv = (): BenchEnv => ({
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  kafkaBrokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
});

const silent = pino({ level: 'silent' });

/**
 * The environment of one isolated platform deployment: embedded (PGlite persisted in a temporary
 * data dir, as `npm start` runs), or Kafka / RabbitMQ with a fresh PostgreSQL database and a
 * namespace of their own. `drop` removes the database, the data dir, the topics or queues.
 */
export async function platformDeployment(
  kind: TransportKind,
  env: BenchEnv,
  extra: Record<string, string> = {},
): Promise<{ env: Record<string, string>; drop(): Promise<void>; databaseUrl?: string }> {
  const tag = `bench${Date.now()}${Math.floor(Math.random() * 1000)}.`;
  // Settings under test for an A/B, e.g. BENCH_PLATFORM_ENV='CAMPUSG_PGLITE_WORKER=false BUS_CHUNK_SIZE=1'.
  extra = { ...platformEnvUnderTest(), ...extra };
  if (kind === 'embedded') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'campusg-bench-'));
    return { env: { CAMPUSG_DATA_DIR: dir, ...extra }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const db = await freshDatabase(env.databaseUrl);
  if (kind === 'kafka') {
    return {
      env: { CAMPUSG_BUS: 'kafka', KAFKA_BROKERS: env.kafkaBrokers, KAFKA_NAMESPACE: tag, DATABASE_URL: db.url, ...extra },
      databaseUrl: db.url,
      async drop() {
        await db.drop();
        await deleteKafkaNamespace(env.kafkaBrokers, tag);
      },
    };
  }
  return {
    env: { CAMPUSG_BUS: 'rabbitmq', AMQP_URL: env.amqpUrl, AMQP_NAMESPACE: tag, DATABASE_URL: db.url, ...extra },
    databaseUrl: db.url,
    async drop() {
      await db.drop();
      const transport = new RabbitMqTransport({ url: env.amqpUrl, namespace: tag, log: silent });
      try {
        await transport.deleteTopology(transport.topologyFor(topicCatalog()));
      } catch {
      } finally {
        await transport.close().catch(() => {});
      }
    },
  };
}

/** Deletes the topics and consumer groups of a namespace on the (shared) broker; a failure to clean up is not the benchmark's. */
const deleteKafkaNamespace = (brokers: string, namespace: string): Promise<void> =>
  dropKafkaNamespace(brokers, namespace, { clientId: 'campusg-bench-cleanup', groups: true, timeoutMs: 30_000 }).catch(() => {});

/** A database, a transport and an outbox factory for component benchmarks (bus alone, timers). */
export async function openBus(kind: TransportKind, env: BenchEnv, partitions = 3) {
  const tag = `bench${Date.now()}${Math.floor(Math.random() * 1000)}.`;
  let db: Db;
  let drop: () => Promise<void>;
  let transport: Transport;
  if (kind === 'embedded') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'campusg-bench-'));
    db = await openPglite(dir);
    transport = new EmbeddedTransport(db);
    drop = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const fresh = await freshDatabase(env.databaseUrl);
    db = openPostgres(fresh.url);
    if (kind === 'kafka') {
      transport = new KafkaTransport({ brokers: env.kafkaBrokers.split(','), clientId: 'campusg-bench', namespace: tag, log: silent });
      drop = async () => {
        await fresh.drop();
        await deleteKafkaNamespace(env.kafkaBrokers, tag);
      };
    } else {
      const rabbit = new RabbitMqTransport({ url: env.amqpUrl, namespace: tag, log: silent, groups: {} });
      transport = rabbit;
      drop = async () => {
        await fresh.drop();
        const cleanup = new RabbitMqTransport({ url: env.amqpUrl, namespace: tag, log: silent });
        await cleanup.deleteTopology(cleanup.topologyFor(topicCatalog())).catch(() => {});
        await cleanup.close().catch(() => {});
      };
    }
  }
  await transport.ensureTopics(topicCatalog({ partitions }));
  const outboxes: TableOutbox[] = [];
  const outboxFor = (schema: string): Outbox => {
    if (transport instanceof EmbeddedTransport) return new EmbeddedOutbox(transport);
    const o = new TableOutbox(db, schema, transport);
    o.start();
    outboxes.push(o);
    return o;
  };
  return {
    db,
    transport,
    outboxFor,
    async close() {
      for (const o of outboxes) await o.close();
      await transport.close();
      await db.close();
      await drop();
    },
  };
}

/** `BENCH_PLATFORM_ENV`: space-separated NAME=value settings given to every platform process of the run. */
function platformEnvUnderTest(): Record<string, string> {
  const spec = process.env.BENCH_PLATFORM_ENV?.trim();
  if (!spec) return {};
  return Object.fromEntries(
    spec.split(/\s+/).map((pair) => {
      const i = pair.indexOf('=');
      if (i <= 0) throw new Error(`BENCH_PLATFORM_ENV: expected NAME=value, got ${pair}`);
      return [pair.slice(0, i), pair.slice(i + 1)];
    }),
  );
}

/** A MessageBus for component benchmarks: quiet, no default metrics, the platform's retry settings. */
export function benchMessageBus(o: { db: Db; transport: Transport; outbox: Outbox; schema: string }): MessageBus {
  return new MessageBus({
    ...o,
    source: 'bench',
    clock: systemClock,
    ids: randomIds,
    log: pino({ level: 'silent' }),
    metrics: new Metrics({ defaultMetrics: false }),
    maxAttempts: 5,
    retryBaseMs: 100,
  });
}
