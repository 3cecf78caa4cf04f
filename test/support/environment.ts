import pg from 'pg';

/**
 * Which deployment the e2e suites run against: by default the embedded one-process platform;
 * `kafka`, the one process on real Kafka and PostgreSQL; `topology` (the Kafka project of
 * vitest.config.ts), every service in its own process behind the gateway. Each test system gets a
 * fresh database and a Kafka namespace of its own.
 */
export const e2eBus = (process.env.CAMPUSG_E2E_BUS ?? 'embedded') as 'embedded' | 'kafka' | 'topology';

export interface Isolated {
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL database on the server of `DATABASE_URL`. */
export async function freshDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `campusg_t_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** The environment of one isolated test deployment for the configured bus (or the one asked for). */
export async function isolatedDeployment(bus: typeof e2eBus = e2eBus): Promise<Isolated> {
  if (bus === 'embedded') return { env: {}, drop: async () => {} };
  const brokers = process.env.KAFKA_BROKERS;
  const databaseUrl = process.env.DATABASE_URL;
  if (!brokers || !databaseUrl) throw new Error('CAMPUSG_E2E_BUS=kafka needs KAFKA_BROKERS and DATABASE_URL');
  const db = await freshDatabase(databaseUrl);
  return {
    env: { CAMPUSG_BUS: 'kafka', KAFKA_BROKERS: brokers, DATABASE_URL: db.url, KAFKA_NAMESPACE: `t${process.pid}${Date.now()}.` },
    drop: db.drop,
  };
}
