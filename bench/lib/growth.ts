import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { type BenchEnv, platformDeployment } from './deployment.ts';
import { lifecycle, type OpenLoopResult, openLoop, registerUsers, Target, type User } from './load.ts';
import { cpuMeter } from './machine.ts';
import { log, ours, type Saturation, type Settings, searchSaturation, type WithCpu, waitQuiet } from './phases.ts';
import { PlatformChild } from './platform.ts';
import { round } from './stats.ts';

/** Tables that grow with orders, copied by replication (users and bookkeeping are not). */
const SKIP = /^(users\.|.*\.schema_migrations$|.*\.outbox$|notifications\.user_names$|sagas\.idempotency_keys$)/;
/** Uuid columns that name people: kept, so the replicated orders belong to the benchmark's users. */
const KEEP_UUID = new Set(['customer_id', 'runner_id', 'user_id', 'started_by']);

interface Column {
  name: string;
  type: string;
  serial: boolean;
}

/** The INSERT … SELECT that adds replicas `$1..$2` of a template table with fresh ids and earlier timestamps. */
function replicateSql(table: string, template: string, cols: Column[]): string {
  const names: string[] = [];
  const exprs: string[] = [];
  for (const c of cols) {
    if (c.serial) continue;
    const q = `"${c.name}"`;
    names.push(q);
    if (c.type === 'uuid' && !KEEP_UUID.has(c.name)) exprs.push(`md5(${q}::text || ':' || r)::uuid`);
    else if (c.type === 'timestamp with time zone') exprs.push(`${q} - r * $3::float8 * interval '1 second'`);
    // An instance's key is its order id, as text: replicated like the uuid columns that hold it.
    else if (table === 'sagas.instances' && c.name === 'key') exprs.push(`md5(${q} || ':' || r)::uuid::text`);
    else if (table === 'sagas.instances' && c.name === 'business_key')
      exprs.push(`regexp_replace(${q}, '^([a-z-]+):[0-9a-f-]{36}', '\\1:' || md5(key || ':' || r)::uuid::text)`);
    else if (table === 'payments.gateway_operations' && c.name === 'idempotency_key')
      exprs.push(`md5(split_part(${q}, ':', 1) || ':' || r)::uuid::text || ':' || split_part(${q}, ':', 2)`);
    else exprs.push(q);
  }
  return `insert into ${table} (${names.join(', ')}) select ${exprs.join(', ')} from ${template}, generate_series($1::int, $2::int) r`;
}

export interface Seeder {
  templateOrders: number;
  /** Adds replicas until the database holds at least `orders` completed orders; returns seconds spent. */
  growTo(orders: number): Promise<{ seconds: number; completedOrders: number; databaseMiB: number; rows: number }>;
  close(): Promise<void>;
}

/**
 * Seeds completed orders by SQL: the rows that real, measured lifecycles left in every service's
 * tables (the template) are copied with fresh ids (md5 of the old id and the copy number, so ids
 * agree across tables and services), people kept, and timestamps moved back in time.
 */
export async function templateSeeder(databaseUrl: string): Promise<Seeder> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const { rows: tables } = await db.query<{ t: string }>(
    `select table_schema || '.' || table_name as t from information_schema.tables
     where table_schema in ('orders', 'payments', 'sagas', 'timers', 'notifications', 'users') and table_type = 'BASE TABLE' order by 1`,
  );
  const plan: { table: string; template: string; sql: string }[] = [];
  await db.query('create schema if not exists bench_tpl');
  for (const { t } of tables) {
    if (SKIP.test(t)) continue;
    const [schema, name] = t.split('.') as [string, string];
    const { rows: cols } = await db.query<{ name: string; type: string; serial: boolean }>(
      `select column_name as name, data_type as type, coalesce(column_default like 'nextval%', false) as serial
       from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position`,
      [schema, name],
    );
    const template = `bench_tpl.${schema}__${name}`;
    await db.query(`create table ${template} as select * from ${t}`);
    plan.push({ table: t, template, sql: replicateSql(t, template, cols) });
  }
  // sagas.history references sagas.instances: instances first.
  plan.sort((a, b) => (a.table === 'sagas.instances' ? -1 : b.table === 'sagas.instances' ? 1 : 0));
  const [{ n: templateOrders } = { n: 0 }] = (
    await db.query<{ n: number }>(`select count(*)::int as n from bench_tpl.orders__orders where status = 'COMPLETED'`)
  ).rows;
  const [{ n: templateRows } = { n: 0 }] = (
    await db.query<{ n: number }>(
      `select sum(n)::int as n from (${plan.map((p) => `select count(*) as n from ${p.template}`).join(' union all ')}) x`,
    )
  ).rows;
  let replicas = 0;
  let completed = templateOrders;
  return {
    templateOrders,
    async growTo(orders) {
      const t0 = performance.now();
      const need = Math.ceil((orders - completed) / templateOrders);
      // Spread the copies' timestamps over the past 30 days.
      const step = (30 * 86400) / Math.max(1, replicas + need);
      for (let from = replicas + 1; from <= replicas + need; from += 50) {
        const to = Math.min(replicas + need, from + 49);
        await db.query('begin');
        for (const p of plan) await db.query(p.sql, [from, to, step]);
        await db.query('commit');
        log('growth', `seeded copies ${to}/${replicas + need} (${Math.round((performance.now() - t0) / 1000)} s)`);
      }
      replicas += Math.max(0, need);
      completed = templateOrders * (replicas + 1);
      await db.query('vacuum analyze');
      const [{ mb } = { mb: 0 }] = (await db.query<{ mb: number }>('select (pg_database_size(current_database()) / 1048576)::int as mb'))
        .rows;
      return {
        seconds: round((performance.now() - t0) / 1000),
        completedOrders: completed,
        databaseMiB: mb,
        rows: templateRows * (replicas + 1),
      };
    },
    async close() {
      await db.end();
    },
  };
}

/** Closed-loop lifecycles until the database holds `n` completed orders (the template). */
async function runLifecycles(t: Target, customers: User[], runners: User[], n: number, concurrency: number): Promise<void> {
  const completed = async () =>
    (await t.observer.sql<{ n: number }>(`select count(*)::int as n from orders.orders where status = 'COMPLETED'`))[0]?.n ?? 0;
  for (let done = await completed(); done < n; done = await completed()) {
    await lifecycle(t, customers, runners, { concurrency: Math.min(concurrency, Math.max(1, n - done)), warmupS: 0, measureS: 2 });
    log('growth', `template: ${await completed()}/${n} completed orders`);
  }
}

export interface GrowthPoint {
  completedOrders: number;
  databaseMiB?: number;
  seedSeconds?: number;
  seededRows?: number;
  saturation: Saturation;
  latency: OpenLoopResult & WithCpu;
}

/** Throughput and p99 at a fixed rate as completed orders accumulate (Kafka + PostgreSQL). */
export async function growthRun(env: BenchEnv, s: Settings, levels: number[], templateOrders: number) {
  const dep = await platformDeployment('kafka', env);
  const child = await PlatformChild.start({ env: dep.env, observe: true, label: 'growth' });
  const t = new Target([child.url], child);
  const points: GrowthPoint[] = [];
  let seeder: Seeder | undefined;
  try {
    const customers = await registerUsers(t, s.customers);
    const runners = await registerUsers(t, s.runners, true);
    log('growth', `template: ${templateOrders} real lifecycles…`);
    await runLifecycles(t, customers, runners, templateOrders, s.lifecycleConcurrency);
    await child.call({ cmd: 'invariants', timeoutMs: 180_000 }, 240_000);
    seeder = await templateSeeder(dep.databaseUrl!);
    let rate = 0;
    const measure = async (extra: Partial<GrowthPoint> & { completedOrders: number }) => {
      await waitQuiet(s);
      const sat = await searchSaturation(`growth ${extra.completedOrders}`, t, customers, [child], s);
      rate ||= sat.sagasPerSecond / 2;
      child.seen.clear();
      const cpu = cpuMeter(ours([child]), child.database);
      const lat = await openLoop(t, customers, { rate, warmupS: 3, measureS: Math.max(10, 200 / rate) * s.scale, drainS: 30 });
      points.push({ ...extra, saturation: sat, latency: { ...lat, cpu: cpu.stop() } });
      child.seen.clear();
      log(
        'growth',
        `${extra.completedOrders} completed orders: ${sat.sagasPerSecond} sagas/s, p99 ${lat.createdLatencyMs.p99} ms at ${round(rate)}/s`,
      );
    };
    await measure({ completedOrders: seeder.templateOrders });
    for (const level of levels) {
      log('growth', `seeding to ${level} completed orders…`);
      const seeded = await seeder.growTo(level);
      await measure({
        completedOrders: seeded.completedOrders,
        databaseMiB: seeded.databaseMiB,
        seedSeconds: seeded.seconds,
        seededRows: seeded.rows,
      });
    }
    return {
      method:
        'template replication: the rows real lifecycles left in every table, copied by INSERT … SELECT with fresh ids (md5 of id and copy number), the same users, timestamps spread over 30 days; VACUUM ANALYZE after each level',
      templateOrders: seeder.templateOrders,
      points,
    };
  } finally {
    t.close();
    await seeder?.close().catch(() => {});
    await child.stop().catch(() => {});
    await dep.drop().catch(() => {});
  }
}

export interface ScalingPoint {
  partitions: number;
  instances: number;
  saturation: Saturation;
  latency: OpenLoopResult & WithCpu;
  connections?: number;
}

/** Kafka + PostgreSQL with 1 → 2 → 3 partitions per topic and one-process platform instances. */
export async function scalingRun(env: BenchEnv, s: Settings, configs: [number, number][]): Promise<ScalingPoint[]> {
  const points: ScalingPoint[] = [];
  let rate = 0;
  for (const [partitions, instances] of configs) {
    const dep = await platformDeployment('kafka', env, { CAMPUSG_PARTITIONS: String(partitions) });
    const children: PlatformChild[] = [];
    let t: Target | undefined;
    try {
      children.push(await PlatformChild.start({ env: dep.env, observe: true, label: `scaling ${partitions}p` }));
      for (let i = 1; i < instances; i++)
        children.push(await PlatformChild.start({ env: dep.env, label: `scaling ${partitions}p #${i + 1}` }));
      await sleep(3000); // the groups settle their assignment
      t = new Target(
        children.map((c) => c.url),
        children[0]!,
      );
      const customers = await registerUsers(t, s.customers);
      await waitQuiet(s);
      const sat = await searchSaturation(`scaling ${partitions}×${instances}`, t, customers, children, s);
      rate ||= sat.sagasPerSecond / 2;
      children[0]!.seen.clear();
      const cpu = cpuMeter(ours(children), children[0]!.database);
      const lat = await openLoop(t, customers, { rate, warmupS: 3, measureS: Math.max(10, 200 / rate) * s.scale, drainS: 30 });
      points.push({ partitions, instances, saturation: sat, latency: { ...lat, cpu: cpu.stop() } });
      log(
        'scaling',
        `${partitions} partitions × ${instances} instances: ${sat.sagasPerSecond} sagas/s, p99 ${lat.createdLatencyMs.p99} ms at ${round(rate)}/s`,
      );
    } catch (err) {
      log('scaling', `${partitions}×${instances} failed: ${(err as Error).message.split('\n')[0]}`);
    } finally {
      t?.close();
      for (const c of children) await c.stop().catch(() => {});
      await dep.drop().catch(() => {});
    }
  }
  return points;
}
