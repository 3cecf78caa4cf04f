import { setInterval as every } from 'node:timers/promises';
import { runLoad } from '@campusg/journeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorCommand } from '../../apps/cli/src/operator.ts';
import { waitFor } from '../support/client.ts';
import { checkInvariants, quiesce } from '../support/invariants.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

// A steady rate with every retention at 1 s, pruned every 250 ms: once retention applies, no row of a
// table that only bookkeeping needs may be much older than its retention, and the tables empty once
// the load is over.
const RATE = 3;
const SECONDS = 12;
const RETENTION_MS = 1000;
/**
 * How old a retained row may get while the load runs: the retention, a few pruning intervals, the
 * time its consumers take to pass it (the log keeps a record until every group has) and a saga's
 * life (history goes once its saga has ended; these journeys end within a second). A table
 * that is never pruned holds rows as old as the load, which is twice this in its last third.
 */
const OLDEST_S = 4;
const ADMIN_TOKEN = 'operator-token-operator-token-0123';
/** The tables with a retention, and the column each is pruned by; every other table holds the platform's records (orders, payments…). */
const RETAINED: [string | RegExp, string][] = [
  ['bus.messages', 'ts'],
  ['sagas.history', 'at'],
  ['notifications.audit_log', 'received_at'],
  [/\.inbox$/, 'processed_at'],
  [/\.outbox$/, 'created_at'],
];
const timeColumn = (name: string) => RETAINED.find(([r]) => (typeof r === 'string' ? r === name : r.test(name)))?.[1];
const retained = (name: string) => timeColumn(name) !== undefined;

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

/** The age in seconds of the oldest row of every retained table (0 when empty), in one statement (cheap enough to sample often). */
async function oldestAges(names: string[]): Promise<Map<string, number>> {
  const columns = names
    .map((n, i) => `coalesce(extract(epoch from now() - (select min(${timeColumn(n)}) from ${n})), 0)::float8 as c${i}`)
    .join(', ');
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
  it(`keeps the log, inboxes, outboxes, saga history and audit log within their retention at ${RATE} journeys/s`, async () => {
    const tables = [...rowsOf(await sizes()).keys()].filter(retained);
    expect(tables).toEqual(expect.arrayContaining(['bus.messages', 'sagas.history', 'notifications.audit_log', 'orders.inbox']));
    const samples: { at: number; ages: Map<string, number> }[] = [];
    const startedAt = performance.now();
    let loading = true;
    const sampling = (async () => {
      for await (const _ of every(250)) {
        if (!loading) break;
        samples.push({ at: (performance.now() - startedAt) / 1000, ages: await oldestAges(tables) });
      }
    })();
    const report = await runLoad({ url: sys.url, rate: RATE, durationS: SECONDS, drainS: 60 });
    loading = false;
    await sampling;
    console.info(`retention soak: ${JSON.stringify(report)}`);
    expect(report.failures).toEqual([]);

    // In the last third of the load, a table that is never pruned would hold rows at least two
    // thirds of the load old; a pruned one holds nothing much older than its retention. (Row counts
    // say the same less clearly: at 3 journeys/s of a random mix they swing twofold from one
    // quarter-second sample to the next.)
    const last = samples.filter((s) => s.at >= (2 * SECONDS) / 3 && s.at <= SECONDS);
    expect(last.length).toBeGreaterThan(0);
    const oldest = new Map(tables.map((t) => [t, Math.max(...last.map((s) => s.ages.get(t) ?? 0))]));
    console.info(
      `retention soak: oldest row (s) in the last third of the load: ${JSON.stringify(
        Object.fromEntries([...oldest].map(([t, age]) => [t, Math.round(age * 100) / 100])),
      )}`,
    );
    expect([...oldest].filter(([, age]) => age > OLDEST_S)).toEqual([]);

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
