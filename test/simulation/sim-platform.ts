import { topicCatalog } from '@campusg/contracts';
import { MessageBus, type ServiceDeps, type ServiceModule } from '@campusg/messaging';
import { orderService } from '@campusg/order-service';
import { paymentService } from '@campusg/payment-service';
import {
  type App,
  type Config,
  createHttpApp,
  createLogger,
  type Db,
  type IdGenerator,
  loadConfig,
  ManualClock,
  Metrics,
  migrate,
  openPglite,
  requireGatewayIdentity,
} from '@campusg/platform';
import { createOrchestrators, sagasService } from '@campusg/sagas';
import { TimerService, timerService } from '@campusg/timer-service';
import { userService } from '@campusg/user-service';
import { SimOutbox, SimTransport } from './sim-transport.ts';

/** The services whose real handlers the simulation runs, opened as a host opens them. */
const MODULES: readonly ServiceModule[] = [orderService, userService, paymentService, timerService, sagasService];

/** The instant every schedule starts at. */
export const T0 = '2026-11-26T10:00:00.000Z';

/** Ids that depend only on the schedule's seed and how many were drawn: a replay draws the same. */
export class SeededIds implements IdGenerator {
  #prefix = '00000000';
  #n = 0;
  reset(seed: number): void {
    this.#prefix = (seed >>> 0).toString(16).padStart(8, '0');
    this.#n = 0;
  }
  uuid(): string {
    return `${this.#prefix}-0000-4000-8000-${(++this.#n).toString(16).padStart(12, '0')}`;
  }
}

/** Makes the next transaction of one service fail just before its commit, as a process that dies there. */
export interface CrashSwitch {
  armed: boolean;
  crashes: number;
}

/** A failure the bus takes for the database going away (a retry without limit), as a crash then a restart would. */
const simulatedCrash = () => Object.assign(new Error('simulated crash before commit'), { code: '57P01' });

export const isSimulatedCrash = (err: unknown): boolean => (err as Error | null)?.message === 'simulated crash before commit';

function crashable(db: Db, crash: CrashSwitch): Db {
  return {
    kind: db.kind,
    query: (text, params) => db.query(text, params),
    exec: (text) => db.exec(text),
    transaction: (fn) =>
      db.transaction(async (tx) => {
        const result = await fn(tx);
        if (crash.armed) {
          crash.armed = false;
          crash.crashes++;
          throw simulatedCrash();
        }
        return result;
      }),
    ping: () => db.ping(),
    close: () => db.close(),
  };
}

export interface SimPlatform {
  config: Readonly<Config>;
  app: App;
  /** The database itself (what the invariant checks read), without crash points. */
  db: Db;
  transport: SimTransport;
  outboxes: Map<string, SimOutbox>;
  /** Per schema: arms a crash before the commit of that service's next transaction. */
  crashes: Map<string, CrashSwitch>;
  clock: ManualClock;
  ids: SeededIds;
  /** The timer service's firing of due timers (run by the simulation instead of its loop). */
  timers: TimerService;
  /** A second instance of the orchestrators, whose deadline checks the simulation runs. */
  deadlines: ReturnType<typeof createOrchestrators>;
  /** Empties the log, the outboxes and every table, and starts the clock and the ids again for `seed`. */
  reset(seed: number): Promise<void>;
  /**
   * Starts the services again over the same database, log and outboxes, as a process that restarts:
   * what they held in memory only (the sagas' state cache) is gone.
   */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Which schema's service consumes as each group. */
export const GROUP_SCHEMA: Record<string, string> = {
  'order-service': 'orders',
  'user-service': 'users',
  'payment-service': 'payments',
  'payment-order-view': 'payments',
  'timer-service': 'timers',
};
export const schemaOfGroup = (group: string): string => GROUP_SCHEMA[group] ?? 'sagas';

/**
 * Opens the order, user, payment, timer and saga services on one in-memory PGlite (on the calling
 * thread, so every statement's order is fixed by the code) and the simulated transport. Each module
 * is opened and started as a host does; the timer and deadline loops, which run on real time, are
 * stopped at once, and the simulation fires due timers and step deadlines itself at simulated instants.
 */
export async function openSimPlatform(env: Record<string, string> = {}): Promise<SimPlatform> {
  const config = loadConfig({
    AUTH_SECRET: 'simulation-secret-simulation-secret-0123',
    LOG_LEVEL: 'silent',
    BUS_RETRY_BASE_MS: '1',
    SAGA_STEP_TIMEOUT_MS: '30000',
    ORDER_ACCEPT_TIMEOUT_MS: '120000',
    CAMPUSG_PARTITIONS: '3',
    ...env,
  });
  const log = createLogger({ level: 'silent' });
  const metrics = new Metrics();
  const clock = new ManualClock(T0);
  const ids = new SeededIds();
  const db = await openPglite(undefined, { worker: false });
  for (const m of MODULES) await migrate(db, m.schema, m.migrations());
  const transport = new SimTransport(clock);
  await transport.ensureTopics(topicCatalog({ partitions: config.partitions }));
  const outboxes = new Map(MODULES.map((m) => [m.schema, new SimOutbox(transport)]));
  const crashes = new Map(MODULES.map((m): [string, CrashSwitch] => [m.schema, { armed: false, crashes: 0 }]));
  const depsFor = (m: ServiceModule): ServiceDeps => {
    const serviceDb = crashable(db, crashes.get(m.schema)!);
    const bus = new MessageBus({
      db: serviceDb,
      transport,
      outbox: outboxes.get(m.schema)!,
      schema: m.schema,
      source: m.source,
      clock,
      ids,
      log,
      metrics,
      maxAttempts: config.busMaxAttempts,
      retryBaseMs: config.busRetryBaseMs,
      chunkSize: config.busChunkSize,
    });
    return { config, db: serviceDb, bus, clock, ids, log, metrics };
  };
  /** The process: the services' buses, modules and routes; what is in memory only lives as long as it. */
  const boot = async () => {
    const deps = new Map(MODULES.map((m) => [m.schema, depsFor(m)]));
    const app = await createHttpApp({ log, metrics, isReady: async () => true });
    const auth = requireGatewayIdentity(config.authSecret);
    const running = MODULES.map((m) => m.open({ deps: deps.get(m.schema)!, auth, operator: undefined }));
    for (const r of running) r.registerRoutes(app);
    await app.ready();
    for (const r of running) {
      await r.start();
      await r.stop();
    }
    const shutdown = async () => {
      for (const d of deps.values()) await d.bus.close();
      await app.close();
    };
    return { app, timers: new TimerService(deps.get('timers')!), deadlines: createOrchestrators(deps.get('sagas')!), shutdown };
  };
  let live = await boot();
  const tables = await db.query<{ name: string }>(
    `select table_schema || '.' || table_name as name from information_schema.tables
     where table_schema = any($1) and table_name not in ('schema_migrations', 'users') and table_type = 'BASE TABLE' order by 1`,
    [MODULES.map((m) => m.schema)],
  );
  const sequences = await db.query<{ name: string }>(
    `select sequence_schema || '.' || sequence_name as name from information_schema.sequences where sequence_schema = any($1) order by 1`,
    [MODULES.map((m) => m.schema)],
  );
  // Deleting the few rows of a schedule costs a fraction of a truncate (which makes new files for every table).
  const empty = [
    ...tables.map((t) => `delete from ${t.name};`),
    sequences.length > 0 ? `select ${sequences.map((q) => `setval('${q.name}', 1, false)`).join(', ')};` : '',
  ].join('\n');
  return {
    config,
    get app() {
      return live.app;
    },
    db,
    transport,
    outboxes,
    crashes,
    clock,
    ids,
    get timers() {
      return live.timers;
    },
    get deadlines() {
      return live.deadlines;
    },
    async reset(seed) {
      transport.reset();
      for (const o of outboxes.values()) o.reset();
      for (const c of crashes.values()) Object.assign(c, { armed: false, crashes: 0 });
      await db.exec(empty);
      clock.set(T0);
      ids.reset(seed);
    },
    async restart() {
      await live.shutdown();
      live = await boot();
    },
    async close() {
      await live.shutdown();
      await db.close();
    },
  };
}
