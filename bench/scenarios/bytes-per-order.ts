/**
 * Bytes stored per order at a steady rate, with the default retentions (nothing bookkeeping-only
 * is deleted within the run) and with every retention at 1 s: the one-process platform on PGlite in
 * memory, journeys at RATE/s for SECONDS three times; the figure is the growth of every table's size
 * over the third run (every table vacuumed before each measurement, so the space retention and the
 * updates freed is reused) per order and per completed order. With short retentions each run also
 * waits until the ended sagas of ended orders are gone. Sizes are read as `campusg db sizes` reads
 * them. The journeys register their users anew each run, so `users.users` grows too.
 *
 *   npx tsx bench/scenarios/bytes-per-order.ts
 *   RETENTIONS=short RATE=8 SECONDS=40 npx tsx bench/scenarios/bytes-per-order.ts
 */
import { runLoad } from '@campusg/journeys';
import { tableSizes } from '../../apps/host/src/db-sizes.ts';
import { waitFor } from '../../test/support/client.ts';
import { quiesce } from '../../test/support/invariants.ts';
import { startSystem } from '../../test/support/system.ts';

const RATE = Number(process.env.RATE ?? 3);
const SECONDS = Number(process.env.SECONDS ?? 20);
const SHORT = {
  BUS_LOG_RETENTION_MS: '1000',
  INBOX_RETENTION_MS: '1000',
  SAGA_HISTORY_RETENTION_MS: '1000',
  AUDIT_LOG_RETENTION_MS: '1000',
};

/** What one retention setting measured; `npm run bench -- bytes` gets them as a `BytesResult`. */
export interface BytesRun {
  retentions: string;
  orders: number;
  completedOrders: number;
  bytes: number;
  bytesPerOrder: number;
  bytesPerCompletedOrder: number;
  byTable: { table: string; grew: number }[];
}
export interface BytesResult {
  ratePerSecond: number;
  seconds: number;
  runs: BytesRun[];
}

const SETTINGS = {
  default: { label: 'default retentions', env: {} },
  short: { label: 'retentions of 1 s', env: { ...SHORT, RETENTION_INTERVAL_MS: '500' } },
};
// `RETENTIONS=short` measures with retentions of 1 s only, `default` with the default ones only.
const chosen = (process.env.RETENTIONS ?? 'default,short').split(',') as (keyof typeof SETTINGS)[];
const runs: BytesRun[] = [];
for (const { label, env } of chosen.map((name) => SETTINGS[name])) {
  const sys = await startSystem({ LOG_LEVEL: 'silent', ...env });
  const db = sys.platform!.infra.db;
  const measure = async () => {
    await runLoad({ url: sys.url, rate: RATE, durationS: SECONDS, drainS: 60 });
    await quiesce(db, sys.infra.transport, 120_000);
    // With short retentions: until retention has emptied what it prunes.
    if ('RETENTION_INTERVAL_MS' in env) {
      await waitFor(
        async () =>
          (await tableSizes(db)).every(
            (t) => !/^(bus\.messages|sagas\.history|notifications\.audit_log|\w+\.inbox)$/.test(`${t.schema}.${t.table}`) || t.rows === 0,
          ),
        'retention',
        60_000,
      );
      await waitFor(
        async () =>
          (
            await db.query<{ n: number }>(
              `select count(*)::int as n from sagas.instances i join orders.orders o on o.id::text = i.key
               where o.status in ('COMPLETED', 'CANCELLED') and i.status in ('COMPLETED', 'COMPENSATED')`,
            )
          )[0]!.n === 0,
        'retention of the sagas of ended orders',
        60_000,
      );
    }
    // Every table vacuumed before it is measured (so each has its free-space and visibility maps in
    // both measurements), and so the next run may reuse the space retention freed.
    for (const t of await tableSizes(db, { estimate: true })) await db.exec(`vacuum "${t.schema}"."${t.table}"`);
    const sizes = await tableSizes(db);
    // Each table's heap and each of its indexes apart (the rest of a table's size: TOAST and the
    // free-space and visibility maps).
    const parts = await db.query<{ name: string; bytes: number }>(
      `select n.nspname || '.' || c.relname as name, pg_relation_size(c.oid)::bigint as bytes
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'i') and n.nspname = any($1)`,
      [[...new Set(sizes.map((t) => t.schema))]],
    );
    const [orders] = await db.query<{ all: number; completed: number }>(
      `select count(*)::int as all, count(*) filter (where status = 'COMPLETED')::int as completed from orders.orders`,
    );
    return { bytes: sizes.reduce((n, t) => n + t.bytes, 0), sizes, parts, ...orders! };
  };
  // Three runs, the growth of the last: the space the second run's updates left dead is free again
  // (vacuumed) and reused by the third, as at a steady state; the first run's growth would also
  // count the tables' first pages.
  await measure();
  const first = await measure();
  const second = await measure();
  const grew = second.bytes - first.bytes;
  const byTable = second.sizes
    .map((t) => ({
      table: `${t.schema}.${t.table}`,
      grew: t.bytes - (first.sizes.find((f) => f.schema === t.schema && f.table === t.table)?.bytes ?? 0),
    }))
    .filter((t) => t.grew !== 0)
    .sort((a, b) => b.grew - a.grew);
  const orders = second.all - first.all;
  const completedOrders = second.completed - first.completed;
  const run: BytesRun = {
    retentions: label,
    orders,
    completedOrders,
    bytes: grew,
    bytesPerOrder: Math.round(grew / orders),
    bytesPerCompletedOrder: Math.round(grew / completedOrders),
    byTable,
  };
  runs.push(run);
  console.log(
    `${label}: ${orders} orders (${completedOrders} completed) grew the database by ${grew} bytes: ` +
      `${run.bytesPerOrder} B/order, ${run.bytesPerCompletedOrder} B/completed order`,
  );
  console.log(`  by table: ${byTable.map((t) => `${t.table} ${t.grew}`).join(', ')}`);
  const byPart = second.parts
    .map((p) => ({ name: p.name, grew: Number(p.bytes) - Number(first.parts.find((f) => f.name === p.name)?.bytes ?? 0) }))
    .filter((p) => p.grew !== 0)
    .sort((a, b) => b.grew - a.grew);
  console.log(`  by heap and index: ${byPart.map((p) => `${p.name} ${p.grew}`).join(', ')}`);
  await sys.close();
}
if (process.send) {
  // Run by `npm run bench -- bytes`: the result goes to the parent, and the open channel to it must
  // not keep this process alive.
  process.send({ result: { ratePerSecond: RATE, seconds: SECONDS, runs } satisfies BytesResult });
  setTimeout(() => process.exit(0), 50);
}
