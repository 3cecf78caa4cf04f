/**
 * What a saga costs, independent of how busy the shared machine is: CPU per saga by process,
 * SQL statements and transactions per saga, and bytes stored per completed order.
 */
import { type CpuReport, cpuMeter } from './machine.ts';
import type { PlatformChild } from './platform.ts';
import type { StepProbe } from './saturation-search.ts';
import type { SqlStats } from './sql-stats.ts';
import { round } from './stats.ts';

/** The process classes whose CPU is the deployment's: the platform, its PostgreSQL backends, the broker it uses. */
const COSTED = ['platform', 'postgres (this deployment)', 'bench driver'];

export interface SqlPerSaga {
  sagas: number;
  statements: number;
  statementsPerSaga: number;
  /** `Db.transaction` calls per saga. */
  transactionsPerSaga: number;
  /** Statements outside a transaction per saga: each commits on its own. */
  standalonePerSaga: number;
  /** Everything that commits, per saga: transactions plus standalone statements. */
  commitsPerSaga: number;
  meanStatementMs: number | null;
  /** PGlite: the time its single lock is held, per saga. */
  transactionMsPerSaga: number;
  top: { sql: string; n: number; ms: number; avgMs: number; perSaga: number }[];
  /** Kafka requests per saga by API, and in all (absent on other transports). */
  kafkaRequestsPerSaga?: Record<string, number>;
}

export interface StepCost {
  cpu: CpuReport;
  /** CPU milliseconds per saga by process class (the broker's include other tenants of a shared broker). */
  cpuMsPerSaga: Record<string, number>;
  sql?: SqlPerSaga;
}

/**
 * CPU ms per saga from a CPU report over a window in which `sagas` sagas ran to their end: the
 * costed classes, the broker's, and the Temporal server's when the sagas run on it.
 */
export function cpuPerSaga(cpu: CpuReport, sagas: number, broker?: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (!(sagas > 0)) return out;
  for (const k of [...COSTED, ...(broker ? [broker] : []), 'temporal']) {
    const ms = cpu.cpuMs[k];
    if (ms === undefined) continue;
    out[k] = round(ms / sagas, 1);
  }
  return out;
}

export function sqlPerSaga(stats: SqlStats, sagas: number): SqlPerSaga | undefined {
  if (!(sagas > 0)) return undefined;
  const statements = stats.statements.reduce((a, x) => a + x.n, 0);
  const ms = stats.statements.reduce((a, x) => a + x.ms, 0);
  const kafka = Object.entries(stats.kafkaRequests);
  return {
    sagas,
    statements,
    statementsPerSaga: round(statements / sagas, 1),
    transactionsPerSaga: round(stats.transactions.n / sagas, 1),
    standalonePerSaga: round(stats.standalone / sagas, 1),
    commitsPerSaga: round((stats.transactions.n + stats.standalone) / sagas, 1),
    meanStatementMs: statements ? round(ms / statements, 3) : null,
    transactionMsPerSaga: round(stats.transactions.ms / sagas, 2),
    top: stats.statements.slice(0, 25).map((x) => ({ ...x, perSaga: round(x.n / sagas, 2) })),
    ...(kafka.length > 0 && {
      kafkaRequestsPerSaga: Object.fromEntries([
        ...kafka.sort((a, b) => b[1] - a[1]).map(([api, n]) => [api, round(n / sagas, 2)]),
        ['all', round(kafka.reduce((a, [, n]) => a + n, 0) / sagas, 1)],
      ]),
    }),
  };
}

/** Pids of the processes a phase owns (for the CPU meter): this process, the platform's, and the Temporal server its sagas run on. */
export function ours(children: PlatformChild[]): () => Record<string, number[]> {
  const temporal = [...new Set(children.map((c) => c.temporalPid).filter((p) => p !== undefined))];
  return () => ({
    'bench driver': [process.pid],
    platform: children.map((c) => c.child.pid!).filter(Boolean),
    ...(temporal.length ? { temporal } : {}),
  });
}

/**
 * Measures one step: CPU of every process class, and (when the platform counts them,
 * BENCH_SQL_STATS=1) its statements. The first instance's counts stand for all (one instance by default).
 */
export function costProbe(children: PlatformChild[]): StepProbe<StepCost> {
  let meter: ReturnType<typeof cpuMeter> | undefined;
  const sql = async (reset: boolean) => {
    const all = await Promise.all(children.map((c) => c.call<SqlStats>({ cmd: 'sqlstats', reset }, 30_000).catch(() => undefined)));
    return all.every((s) => s) ? (all as SqlStats[]) : undefined;
  };
  return {
    async start() {
      await sql(true);
      meter = cpuMeter(ours(children), children[0]!.database);
    },
    async stop(sagas) {
      const cpu = meter!.stop();
      const stats = await sql(false);
      const merged = stats && mergeStats(stats);
      const perSaga = merged && merged.statements.length > 0 ? sqlPerSaga(merged, sagas) : undefined;
      const broker = children[0]!.bus === 'embedded' ? undefined : children[0]!.bus;
      return { cpu, cpuMsPerSaga: cpuPerSaga(cpu, sagas, broker), ...(perSaga ? { sql: perSaga } : {}) };
    },
  };
}

/** Several instances' counts as one. */
function mergeStats(all: SqlStats[]): SqlStats {
  const rows = new Map<string, { n: number; ms: number }>();
  for (const s of all)
    for (const r of s.statements) {
      const x = rows.get(r.sql) ?? { n: 0, ms: 0 };
      x.n += r.n;
      x.ms += r.ms;
      rows.set(r.sql, x);
    }
  const statements = [...rows].map(([sql, x]) => ({ sql, ...x, avgMs: round(x.ms / x.n, 3) })).sort((a, b) => b.ms - a.ms);
  return {
    transactions: all.reduce((a, s) => ({ n: a.n + s.transactions.n, ms: a.ms + s.transactions.ms }), { n: 0, ms: 0 }),
    standalone: all.reduce((a, s) => a + s.standalone, 0),
    statements,
    kafkaRequests: all.reduce<Record<string, number>>((a, s) => {
      for (const [api, n] of Object.entries(s.kafkaRequests)) a[api] = (a[api] ?? 0) + n;
      return a;
    }, {}),
  };
}

export interface StorageSnapshot {
  completedOrders: number;
  bytesBySchema: Record<string, number>;
}

/** Bytes in every table (indexes and TOAST included) by schema, and the completed orders. */
export async function storageSnapshot(child: PlatformChild): Promise<StorageSnapshot> {
  const rows = await child.sql<{ schema: string; bytes: number }>(
    `select n.nspname as schema, sum(pg_total_relation_size(c.oid))::int8 as bytes
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'm') and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
     group by 1`,
  );
  const [{ n } = { n: 0 }] = await child.sql<{ n: number }>(`select count(*)::int as n from orders.orders where status = 'COMPLETED'`);
  return { completedOrders: n, bytesBySchema: Object.fromEntries(rows.map((r) => [r.schema, Number(r.bytes)])) };
}

export interface StoragePerOrder {
  completedOrders: number;
  bytesPerCompletedOrder: number;
  bySchema: Record<string, number>;
}

/** Growth between two snapshots per order completed in between (tables grow by whole 8 kB pages: a few hundred orders at least). */
export function storagePerOrder(before: StorageSnapshot, after: StorageSnapshot): StoragePerOrder | undefined {
  const orders = after.completedOrders - before.completedOrders;
  if (orders <= 0) return undefined;
  const bySchema: Record<string, number> = {};
  let total = 0;
  for (const k of new Set([...Object.keys(before.bytesBySchema), ...Object.keys(after.bytesBySchema)])) {
    const d = (after.bytesBySchema[k] ?? 0) - (before.bytesBySchema[k] ?? 0);
    total += d;
    if (d !== 0) bySchema[k] = Math.round(d / orders);
  }
  return { completedOrders: orders, bytesPerCompletedOrder: Math.round(total / orders), bySchema };
}
