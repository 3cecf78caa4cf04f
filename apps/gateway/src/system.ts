import path from 'node:path';
import { topicCatalog } from '@campusg/contracts';
import {
  EmbeddedOutbox,
  EmbeddedTransport,
  KafkaTransport,
  MessageBus,
  type Outbox,
  type ServiceDeps,
  TableOutbox,
  type Transport,
} from '@campusg/messaging';
import { NOTIFICATION_SCHEMA, notificationMigrations } from '@campusg/notification-service';
import { ORDER_SCHEMA, orderMigrations } from '@campusg/order-service';
import { PAYMENT_SCHEMA, paymentMigrations } from '@campusg/payment-service';
import {
  type Clock,
  type Config,
  createLogger,
  type Db,
  type IdGenerator,
  type Logger,
  Metrics,
  type Migration,
  migrate,
  openPglite,
  openPostgres,
  randomIds,
  systemClock,
} from '@campusg/platform';
import { SAGA_SCHEMA, sagaMigrations } from '@campusg/sagas';
import { TIMER_SCHEMA, timerMigrations } from '@campusg/timer-service';
import { USER_SCHEMA, userMigrations } from '@campusg/user-service';
import type pino from 'pino';

export interface SystemOptions {
  clock?: Clock;
  ids?: IdGenerator;
  /** Keep the embedded database in memory (tests). */
  inMemory?: boolean;
  logDestination?: pino.DestinationStream;
}

/** Each service's schema, the `source` of its messages, and its migrations. */
export const SERVICE_SCHEMAS = [
  { schema: ORDER_SCHEMA, source: 'order-service', migrations: orderMigrations },
  { schema: USER_SCHEMA, source: 'user-service', migrations: userMigrations },
  { schema: PAYMENT_SCHEMA, source: 'payment-service', migrations: paymentMigrations },
  { schema: TIMER_SCHEMA, source: 'timer-service', migrations: timerMigrations },
  { schema: NOTIFICATION_SCHEMA, source: 'notification-service', migrations: notificationMigrations },
  { schema: SAGA_SCHEMA, source: 'saga-orchestrator', migrations: sagaMigrations },
] as const satisfies readonly { schema: string; source: string; migrations: () => Migration[] }[];

export type SchemaName = (typeof SERVICE_SCHEMAS)[number]['schema'];

/** The shared infrastructure of the one-process embedded mode: one database, the embedded bus. */
export interface Infrastructure {
  config: Readonly<Config>;
  db: Db;
  transport: Transport;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  metrics: Metrics;
  /** The dependencies of one service: its own inbox schema and message source. */
  depsFor(schema: SchemaName): ServiceDeps;
  close(): Promise<void>;
}

/** Opens the database (PGlite in the data dir, or PostgreSQL), migrates every schema and the bus. */
export async function openInfrastructure(config: Readonly<Config>, options: SystemOptions = {}): Promise<Infrastructure> {
  const log = createLogger({ level: config.logLevel, name: 'campusg', destination: options.logDestination });
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const metrics = new Metrics();
  const db = config.databaseUrl
    ? openPostgres(config.databaseUrl, { applicationName: 'campusg' })
    : await openPglite(options.inMemory ? undefined : path.join(config.dataDir, 'pglite'));
  for (const s of SERVICE_SCHEMAS) await migrate(db, s.schema, s.migrations());
  const transport = openTransport(config, db, log);
  await transport.ensureTopics(topicCatalog({ partitions: config.partitions }));
  const outboxes = new Map<string, Outbox>();
  /** Embedded: the log is in this database, the outbox write is the publish. Otherwise: a relayed outbox table per schema. */
  const outboxFor = (schema: string): Outbox => {
    let outbox = outboxes.get(schema);
    if (!outbox) {
      if (transport instanceof EmbeddedTransport) outbox = new EmbeddedOutbox(transport);
      else {
        const table = new TableOutbox(db, schema, transport, (err) => log.warn({ err, schema }, 'outbox relay retrying'));
        table.start();
        outbox = table;
      }
      outboxes.set(schema, outbox);
    }
    return outbox;
  };
  const buses = new Map<string, MessageBus>();
  const depsFor = (schema: SchemaName): ServiceDeps => {
    const spec = SERVICE_SCHEMAS.find((s) => s.schema === schema)!;
    let bus = buses.get(schema);
    if (!bus) {
      bus = new MessageBus({
        db,
        transport,
        outbox: outboxFor(schema),
        schema,
        source: spec.source,
        clock,
        ids,
        log: log.child({ service: spec.source }),
        metrics,
        maxAttempts: config.busMaxAttempts,
        retryBaseMs: config.busRetryBaseMs,
      });
      buses.set(schema, bus);
    }
    return { config, db, bus, clock, ids, log: log.child({ service: spec.source }), metrics };
  };
  return {
    config,
    db,
    transport,
    clock,
    ids,
    log,
    metrics,
    depsFor,
    async close() {
      // Each bus leaves its groups, then stops its outbox relay (what is left is relayed next start).
      for (const bus of buses.values()) await bus.close();
      await transport.close();
      await db.close();
    },
  };
}

function openTransport(config: Readonly<Config>, db: Db, log: Logger): Transport {
  switch (config.bus) {
    case 'embedded':
      return new EmbeddedTransport(db, { onError: (err, where) => log.warn({ err, where }, 'embedded bus retrying') });
    case 'kafka':
      return new KafkaTransport({ ...config.kafka, log: log.child({ component: 'kafka' }) });
    case 'rabbitmq':
      throw new Error('CAMPUSG_BUS=rabbitmq is not available in this build');
  }
}
