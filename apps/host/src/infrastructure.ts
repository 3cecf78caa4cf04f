import path from 'node:path';
import { topicCatalog } from '@campusg/contracts';
import { MessageBus, type Outbox, openTransport, type ServiceDeps, type ServiceModule, type Transport } from '@campusg/messaging';
import {
  type Clock,
  type Config,
  createLogger,
  type Db,
  type IdGenerator,
  type Logger,
  Metrics,
  migrate,
  openPglite,
  openPostgres,
  randomIds,
  systemClock,
} from '@campusg/platform';
import type pino from 'pino';
import { SERVICES } from './services.ts';

export interface SystemOptions {
  /** The schemas this process owns and migrates (default: every one). */
  schemas?: readonly SchemaName[];
  clock?: Clock;
  ids?: IdGenerator;
  /** Keep the embedded database in memory (tests). */
  inMemory?: boolean;
  logDestination?: pino.DestinationStream;
}

/** A schema of the platform: each service owns one (`ServiceModule.schema`). */
export type SchemaName = string;

/** The shared infrastructure of the one-process embedded mode: one database, the embedded bus. */
export interface Infrastructure {
  config: Readonly<Config>;
  /** The default database (the embedded one, or DATABASE_URL). */
  db: Db;
  /** The database of one schema (its service's `<SERVICE>_DATABASE_URL`, else the default). */
  dbFor(schema: SchemaName): Db;
  schemas: readonly SchemaName[];
  transport: Transport;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  metrics: Metrics;
  /** The dependencies of one service: its own inbox schema and message source. */
  depsFor(schema: SchemaName): ServiceDeps;
  /** Messages stored in a schema's outbox and not yet handed to the bus (the outbox answers). */
  outboxBacklog(schema: SchemaName): Promise<number>;
  close(): Promise<void>;
}

/** Opens the database (PGlite in the data dir, or PostgreSQL), migrates every schema and the bus. */
export async function openInfrastructure(config: Readonly<Config>, options: SystemOptions = {}): Promise<Infrastructure> {
  const log = createLogger({ level: config.logLevel, name: 'campusg', destination: options.logDestination });
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const metrics = new Metrics();
  const schemas = options.schemas ?? SERVICES.map((s) => s.schema);
  const db = config.databaseUrl
    ? openPostgres(config.databaseUrl, { applicationName: 'campusg' })
    : await openPglite(options.inMemory ? undefined : path.join(config.dataDir, 'pglite'), {
        worker: config.pgliteWorker,
        durability: config.embeddedDurability,
      });
  const pools = new Map<string, Db>();
  const dbFor = (schema: SchemaName): Db => {
    const spec = serviceOf(schema);
    const url = config.serviceDatabaseUrls[spec.name];
    if (!url || url === config.databaseUrl) return db;
    let pool = pools.get(url);
    if (!pool) {
      pool = openPostgres(url, { applicationName: `campusg-${spec.name}` });
      pools.set(url, pool);
    }
    return pool;
  };
  if (config.bus === 'embedded' && Object.values(config.serviceDatabaseUrls).some((u) => u !== config.databaseUrl)) {
    throw new Error('the embedded bus needs every service in one database: unset the <SERVICE>_DATABASE_URL variables');
  }
  // Each service migrates its own schema at start.
  for (const s of SERVICES) if (schemas.includes(s.schema)) await migrate(dbFor(s.schema), s.schema, s.migrations());
  const { transport, outboxFor: openOutbox } = await openTransport(config, { db, log });
  await transport.ensureTopics(topicCatalog({ partitions: config.partitions, retentionMs: config.retention.busLogMs }));
  const outboxes = new Map<string, Outbox>();
  /** Embedded: the log is in this database, the outbox write is the publish. Otherwise: a relayed outbox table per schema. */
  const outboxFor = (schema: string): Outbox => {
    let outbox = outboxes.get(schema);
    if (!outbox) {
      outbox = openOutbox(dbFor(schema), schema);
      outboxes.set(schema, outbox);
    }
    return outbox;
  };
  const buses = new Map<string, MessageBus>();
  const depsFor = (schema: SchemaName): ServiceDeps => {
    const spec = serviceOf(schema);
    let bus = buses.get(schema);
    if (!bus) {
      bus = new MessageBus({
        db: dbFor(schema),
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
        chunkSize: config.busChunkSize,
      });
      buses.set(schema, bus);
    }
    return { config, db: dbFor(schema), bus, clock, ids, log: log.child({ service: spec.source }), metrics };
  };
  return {
    config,
    db,
    dbFor,
    schemas,
    transport,
    clock,
    ids,
    log,
    metrics,
    depsFor,
    outboxBacklog: (schema) => outboxFor(schema).backlog(),
    async close() {
      // Each bus leaves its groups, then stops its outbox relay (what is left is relayed next start).
      for (const bus of buses.values()) await bus.close();
      await transport.close();
      for (const pool of pools.values()) await pool.close();
      await db.close();
    },
  };
}

function serviceOf(schema: SchemaName): ServiceModule {
  const service = SERVICES.find((s) => s.schema === schema);
  if (!service) throw new Error(`no service owns the schema ${schema}`);
  return service;
}
