import { topicCatalog } from '@campusg/contracts';
import { RabbitMqTransport } from '@campusg/messaging/rabbitmq';
import pg from 'pg';
import { pino } from 'pino';

/**
 * Which deployment the e2e suites run against: by default the embedded one-process platform;
 * `kafka`, the one process on real Kafka and PostgreSQL; `topology` (the Kafka project of
 * vitest.config.ts), every service in its own process behind the gateway; `rabbitmq`, the one
 * process on RabbitMQ (`AMQP_URL`). Each test system gets a fresh database and a Kafka (or
 * RabbitMQ) namespace of its own.
 */
export const e2eBus = (process.env.CAMPUSG_E2E_BUS ?? 'embedded') as 'embedded' | 'kafka' | 'topology' | 'rabbitmq';

/**
 * The saga engine settings of a test deployment: with `CAMPUSG_E2E_SAGA_ENGINE=temporal` (the
 * temporal project of vitest.config.ts) the sagas run on the Temporal server of `TEMPORAL_ADDRESS`,
 * each deployment on a task queue of its own so that no other deployment's worker takes its work.
 */
export function sagaEngineEnv(): Record<string, string> {
  return process.env.CAMPUSG_E2E_SAGA_ENGINE === 'temporal' ? temporalEngineEnv() : {};
}

/**
 * The sagas on the Temporal server of `TEMPORAL_ADDRESS`, on a task queue of their own: every
 * `sagas` process of the deployment must be given the same settings.
 */
export function temporalEngineEnv(): Record<string, string> {
  return {
    CAMPUSG_SAGA_ENGINE: 'temporal',
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    TEMPORAL_TASK_QUEUE: `campusg-t${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`,
  };
}

export interface Isolated {
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL database on the server of `DATABASE_URL`; its name starts with `prefix`. */
export async function freshDatabase(baseUrl: string, prefix = `campusg_t_${process.pid}`): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => dropDatabases(baseUrl, [name]) };
}

/** Drops these databases of the server of `baseUrl` (or every one whose name starts with `prefix`), whoever is still connected to them. */
export async function dropDatabases(baseUrl: string, names: string[] | { prefix: string }): Promise<void> {
  const c = new pg.Client({ connectionString: baseUrl });
  await c.connect();
  try {
    const list = Array.isArray(names)
      ? names
      : (await c.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1)', [names.prefix])).rows.map(
          (r) => r.datname,
        );
    for (const name of list) await c.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await c.end();
  }
}

/** The environment of one isolated test deployment for the configured bus (or the one asked for). */
export async function isolatedDeployment(bus: typeof e2eBus = e2eBus): Promise<Isolated> {
  const deployment = await busDeployment(bus);
  return { ...deployment, env: { ...sagaEngineEnv(), ...deployment.env } };
}

async function busDeployment(bus: typeof e2eBus): Promise<Isolated> {
  if (bus === 'embedded') return { env: {}, drop: async () => {} };
  if (bus === 'rabbitmq') return rabbitMqDeployment();
  const brokers = process.env.KAFKA_BROKERS;
  const databaseUrl = process.env.DATABASE_URL;
  if (!brokers || !databaseUrl) throw new Error('CAMPUSG_E2E_BUS=kafka needs KAFKA_BROKERS and DATABASE_URL');
  const db = await freshDatabase(databaseUrl);
  const namespace = `t${process.pid}${Date.now()}.`;
  return {
    env: { CAMPUSG_BUS: 'kafka', KAFKA_BROKERS: brokers, DATABASE_URL: db.url, KAFKA_NAMESPACE: namespace },
    async drop() {
      await db.drop();
      await dropKafkaNamespace(brokers, namespace).catch(() => {});
    },
  };
}

/**
 * The one process on RabbitMQ (`AMQP_URL`) in a namespace of its own, with a fresh PostgreSQL
 * database when `DATABASE_URL` is set (else the in-memory PGlite). Dropping it deletes the
 * namespace's exchanges and queues.
 */
async function rabbitMqDeployment(): Promise<Isolated> {
  const url = process.env.AMQP_URL;
  if (!url) throw new Error('CAMPUSG_E2E_BUS=rabbitmq needs AMQP_URL');
  const namespace = `t${process.pid}${Date.now()}.`;
  const db = process.env.DATABASE_URL ? await freshDatabase(process.env.DATABASE_URL) : undefined;
  return {
    env: { CAMPUSG_BUS: 'rabbitmq', AMQP_URL: url, AMQP_NAMESPACE: namespace, ...(db ? { DATABASE_URL: db.url } : {}) },
    async drop() {
      await db?.drop();
      const transport = new RabbitMqTransport({ url, namespace, log: pino({ level: 'silent' }) });
      try {
        await transport.deleteTopology(transport.topologyFor(topicCatalog()));
      } finally {
        await transport.close();
      }
    },
  };
}

/**
 * Deletes the topics created under a Kafka namespace on the shared broker (and, with `groups`, its
 * consumer groups): what a test deployment, a suite or a benchmark run leaves behind.
 */
export async function dropKafkaNamespace(
  brokers: string | string[],
  namespace: string,
  o: { clientId?: string; groups?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const { Admin } = await import('@platformatic/kafka');
  const admin = new Admin({
    clientId: o.clientId ?? 'campusg-test-cleanup',
    bootstrapBrokers: typeof brokers === 'string' ? brokers.split(',') : brokers,
    timeout: o.timeoutMs ?? 10_000,
  });
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(namespace));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    if (o.groups) {
      const groups = [...(await admin.listGroups()).keys()].filter((g) => g.startsWith(namespace));
      if (groups.length > 0) await admin.deleteGroups({ groups }).catch(() => {});
    }
  } finally {
    await admin.close();
  }
}
