import { setInterval as every } from 'node:timers/promises';
import { runLoad } from '@campusg/journeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorCommand } from '../../apps/cli/src/operator.ts';
import { waitFor } from '../support/client.ts';
import { checkInvariants, quiesce } from '../support/invariants.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

// A steady rate with every retention at 1 s, pruned every 500 ms: the tables that only bookkeeping
// needs must stop growing once retention applies, and empty once the load is over.
const RATE = 3;
const SECONDS = 12;
const RETENTION_MS = 1000;
const ADMIN_TOKEN = 'operator-token-operator-token-0123';
/** The tables with a retention; every other table holds the platform's records (orders, payments…). */
const RETAINED = ['bus.messages', 'sagas.history', 'notifications.audit_log', /\.inbox$/, /\.outbox$/];
const retained = (name: string) => RETAINED.some((r) => (typeof r === 'string' ? r === name : r.test(name)));

interface Sizes {
  tables: { schema: string; table: string; rows: number; bytes: number }[];
  totalBytes: number;
}
let sys: TestSystem;

/** `campusg db sizes`, through the operator API, as an operator would read it. */
async function sizes(): Promise<Sizes> {
  let output = '';
  const code = await operatorCommand(['db', 'sizes', '--json'], { CAMPUSG_URL: sys.url, ADMIN_TOKEN }, (t) => (output += t));
  expect(code).toBe(0);
  return JSON.parse(output) as Sizes;
}
const rowsOf = (s: Sizes) => new Map(s.tables.map((t) => [`${t.schema}.${t.table}`, t.rows]));

/** The rows of every retained table and of the orders, in one statement (cheap enough to sample often). */
async function retainedRows(names: string[]): Promise<Map<string, number>> {
  const columns = names.map((n, i) => `(select count(*) from ${n})::int as c${i}`).join(', ');
  const [row] = await sys.infra.db.query<Record<string, number>>(`select ${columns}`);
  return new Map(names.map((n, i) => [n, row![`c${i}`]!]));
}

beforeAll(async () => {
  const ms = String(RETENTION_MS);
  sys = await startSystem({
    ADMIN_TOKEN,
    BUS_LOG_RETENTION_MS: ms,
    INBOX_RETENTION_MS: ms,
    SAGA_HISTORY_RETENTION_MS: ms,
    AUDIT_LOG_RETENTION_MS: ms,
    RETENTION_INTERVAL_MS: '250',
    RETENTION_BATCH: '100',
  });
}, 240_000);
afterAll(async () => {
  await sys?.close();
});

describe('retention under a steady rate', () => {
  it(`keeps the log, inboxes, outboxes, saga history and audit log flat at ${RATE} journeys/s`, async () => {
    const tables = [...rowsOf(await sizes()).keys()].filter(retained);
    expect(tables).toEqual(expect.arrayContaining(['bus.messages', 'sagas.history', 'notifications.audit_log', 'orders.inbox']));
    const samples: { at: number; rows: Map<string, number> }[] = [];
    const startedAt = performance.now();
    let loading = true;
    const sampling = (async () => {
      for await (const _ of every(250)) {
        if (!loading) break;
        samples.push({ at: (performance.now() - startedAt) / 1000, rows: await retainedRows(tables) });
      }
    })();
    const report = await runLoad({ url: sys.url, rate: RATE, durationS: SECONDS, drainS: 60 });
    loading = false;
    await sampling;
    console.info(`retention soak: ${JSON.stringify(report)}`);
    expect(report.failures).toEqual([]);

    // While the rate is offered, once retention applies (a few retentions in), a table that only
    // grew would be half as big again in the last third as in the middle one (rows ∝ time); a
    // pruned table stays where it was.
    const steady = samples.filter((s) => s.at <= SECONDS);
    const third = Math.floor(steady.length / 3);
    expect(third).toBeGreaterThan(0);
    const middle = steady.slice(third, 2 * third);
    const last = steady.slice(2 * third);
    const peak = (window: typeof samples, table: string) => Math.max(...window.map((s) => s.rows.get(table) ?? 0));
    const growing = tables
      .map((table) => ({ table, middle: peak(middle, table), last: peak(last, table) }))
      .filter((t) => t.last > t.middle * 1.25 + 20);
    console.info(
      `retention soak: peak rows middle → last third: ${JSON.stringify(
        Object.fromEntries(tables.map((t) => [t, `${peak(middle, t)} → ${peak(last, t)}`])),
      )}`,
    );
    expect(growing).toEqual([]);

    // Once the load is over and everything is consumed and ended, retention empties them.
    await quiesce(sys.infra.db, sys.infra.transport, 60_000);
    const final = await waitFor(
      async () => {
        const s = await sizes();
        return s.tables.filter((t) => retained(`${t.schema}.${t.table}`)).every((t) => t.rows === 0) && s;
      },
      'retention to empty the retained tables',
      60_000,
    );
    // The ended sagas of ended orders go too, history and instance (what stays is
    // sagas/test/saga-retention.int.test.ts's to show).
    await waitFor(
      async () =>
        (
          await sys.infra.db.query<{ n: number }>(
            `select count(*)::int as n from sagas.instances i join orders.orders o on o.id::text = i.key
             where o.status in ('COMPLETED', 'CANCELLED')`,
          )
        )[0]!.n === 0,
      'retention to delete the sagas of ended orders',
      60_000,
    );
    const completed = (
      await sys.infra.db.query<{ n: number }>(`select count(*)::int as n from orders.orders where status = 'COMPLETED'`)
    )[0]!.n;
    expect(completed).toBeGreaterThan(0);
    console.info(
      `retention soak: ${completed} completed orders; ${final.totalBytes} bytes in ${final.tables.length} tables; rows ${JSON.stringify(
        Object.fromEntries(final.tables.map((t) => [`${t.schema}.${t.table}`, t.rows])),
      )}`,
    );
    expect(await checkInvariants(sys.infra.db)).toEqual([]);
  }, 180_000);
});
