/**
 * The environment of the MessageBus tests: one PGlite data dir per test file (initdb is the slow
 * part), its embedded transport (reopened by the crash tests), and a service per test with its own
 * schema, consumer group and command topic, so tests never see each other's messages.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dlqTopic, type TopicSpec, topicCatalog } from '@campusg/contracts';
import { createLogger, type Db, Metrics, migrate, openPglite, randomIds, systemClock } from '@campusg/platform';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { EmbeddedOutbox, EmbeddedTransport } from '../../src/embedded/index.ts';
import { MessageBus, messagingTablesSql, type Transport } from '../../src/index.ts';

export const WAIT = 15_000;

/** The service's own state: an order row and one row per effect (to count effects). */
const stateSql = (schema: string) => `
create table ${schema}.orders (order_id uuid primary key, status text not null, version int not null);
create table ${schema}.effects (id bigserial primary key, order_id uuid not null, message_id uuid not null);`;

export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = WAIT): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

// ---------------------------------------------------------------------------------------------
// environment: one data dir, its database and transport (reopened by the crash tests), a bus per test

let dir: string;
let db: Db;
let transport: EmbeddedTransport;
/** Topics created by the tests, ensured again when the data dir is reopened. */
const extraTopics: TopicSpec[] = [];
const buses: Env[] = [];
let serial = 0;

async function openShared(): Promise<void> {
  db = await openPglite(dir);
  transport = new EmbeddedTransport(db);
  await transport.ensureTopics([...topicCatalog(), ...extraTopics]);
}

async function closeShared(): Promise<void> {
  await transport.close();
  await db.close();
}

/** Opens the data dir for the test file, closes each test's buses after it, removes the dir at the end. */
export function useBusEnvironment(): void {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'campusg-bus-'));
    await openShared();
  });

  afterEach(async () => {
    for (const env of buses.splice(0)) await env.close();
  });

  afterAll(async () => {
    await closeShared();
    rmSync(dir, { recursive: true, force: true });
  });
}

/** The transport of the data dir as it is open now (a crash reopens it). */
export function sharedTransport(): EmbeddedTransport {
  return transport;
}

/** A service: its schema (inbox, outbox, state), its group, its command topic, and a MessageBus. */
export interface Env {
  schema: string;
  group: string;
  topic: string;
  bus: MessageBus;
  metrics: Metrics;
  /** Message ids this test published. */
  sent: Set<string>;
  readonly db: Db;
  readonly transport: EmbeddedTransport;
  /** Leaves the group and stops the bus. */
  close(): Promise<void>;
  /** Stops the bus, then closes the transport and the database and opens the data dir again. */
  crash(): Promise<void>;
}

export async function openEnv(
  options: {
    like?: Env;
    wrap?: (t: EmbeddedTransport) => Transport;
    maxAttempts?: number;
    keyConcurrency?: number;
    chunkSize?: number;
    /** Counts the transactions the bus opens. */
    transactions?: { n: number };
  } = {},
): Promise<Env> {
  let { schema, group, topic } = options.like ?? { schema: '', group: '', topic: '' };
  if (!options.like) {
    const n = ++serial;
    schema = `svc${n}`;
    group = `order-service-${n}`;
    topic = `order_commands_${n}`;
    await migrate(db, schema, [{ id: '001', sql: messagingTablesSql(schema) + stateSql(schema) }]);
    const specs: TopicSpec[] = [
      { name: topic, description: 'commands of one test', partitions: 3, retentionMs: 86_400_000 },
      { name: dlqTopic(topic), description: 'dead letters of one test', partitions: 1, retentionMs: 86_400_000 },
    ];
    extraTopics.push(...specs);
    await transport.ensureTopics(specs);
  }
  const metrics = new Metrics({ defaultMetrics: false });
  const counted = options.transactions;
  const busDb: Db = counted
    ? Object.assign(Object.create(db) as Db, {
        transaction: <T>(fn: Parameters<Db['transaction']>[0]) => {
          counted.n++;
          return db.transaction(fn) as Promise<T>;
        },
      })
    : db;
  const bus = new MessageBus({
    db: busDb,
    transport: options.wrap ? options.wrap(transport) : transport,
    outbox: new EmbeddedOutbox(transport),
    schema,
    source: 'order-service',
    clock: systemClock,
    ids: randomIds,
    log: createLogger({ level: 'silent' }),
    metrics,
    maxAttempts: options.maxAttempts ?? 4,
    retryBaseMs: 5,
    keyConcurrency: options.keyConcurrency ?? 8,
    chunkSize: options.chunkSize,
  });
  let closed = false;
  const env: Env = {
    schema,
    group,
    topic,
    bus,
    metrics,
    sent: options.like?.sent ?? new Set(),
    get db() {
      return db;
    },
    get transport() {
      return transport;
    },
    async close() {
      if (closed) return;
      closed = true;
      await bus.close();
    },
    async crash() {
      await env.close();
      await closeShared();
      await openShared();
    },
  };
  buses.push(env);
  return env;
}
