import path from 'node:path';
import { topicCatalog } from '@campusg/contracts';
import { EmbeddedOutbox, EmbeddedTransport, MessageBus, type ServiceDeps } from '@campusg/messaging';
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
  transport: EmbeddedTransport;
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
  const transport = new EmbeddedTransport(db, { onError: (err, where) => log.warn({ err, where }, 'embedded bus retrying') });
  await transport.ensureTopics(topicCatalog({ partitions: config.partitions }));
  const outbox = new EmbeddedOutbox(transport);
  const buses = new Map<string, MessageBus>();
  const depsFor = (schema: SchemaName): ServiceDeps => {
    const spec = SERVICE_SCHEMAS.find((s) => s.schema === schema)!;
    let bus = buses.get(schema);
    if (!bus) {
      bus = new MessageBus({
        db,
        transport,
        outbox,
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
      for (const bus of buses.values()) await bus.close();
      await transport.close();
      await db.close();
    },
  };
}
