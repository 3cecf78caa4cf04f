import { type Db, ManualClock, migrate, openPglite } from '@campusg/platform';
import { sagaHistoryRetention } from '@campusg/saga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAGA_SCHEMA, sagaMigrations } from '../src/sagas-service.ts';
import { settledSagaRetention } from '../src/settled-saga-retention.ts';

// Ended sagas go, with their history, once past the retention and once their order has ended;
// everything an operator or a later message may still need stays.

const HOUR = 3_600_000;
const clock = new ManualClock('2026-12-01T12:00:00.000Z');
const ago = (ms: number) => new Date(clock.now().getTime() - ms);
let db: Db;
let n = 0;

/** An order as the saga service's view holds it. */
async function order(status: string): Promise<string> {
  const id = crypto.randomUUID();
  await db.query(`insert into sagas.order_view (order_id, customer_id, status, view, updated_at) values ($1, $2, $3, '{}', $4)`, [
    id,
    crypto.randomUUID(),
    status,
    clock.now(),
  ]);
  return id;
}

/** A saga of `orderId` with two history entries, `status`, ended `endedAgo` ms ago (null: not ended). */
async function saga(orderId: string, status: string, endedAgo: number | null, exclusive = true): Promise<string> {
  const id = crypto.randomUUID();
  const ended = endedAgo === null ? null : ago(endedAgo);
  await db.query(
    `insert into sagas.instances (id, type, key, business_key, exclusive, status, state, started_at, ended_at, updated_at, history_seq)
     values ($1, 'complete-order', $2, $3, $4, $5, '{}', $6, $7, $6, 2)`,
    [id, orderId, `complete-order:${orderId}:${n++}`, exclusive, status, ago(48 * HOUR), ended],
  );
  await db.query(
    `insert into sagas.history (saga_id, seq, at, kind, type) values ($1, 1, $2, 'command', 'get_payout_info'), ($1, 2, $2, 'event', 'payment.released')`,
    [id, ended ?? clock.now()],
  );
  return id;
}

const remaining = async (ids: string[]) =>
  (await db.query<{ id: string }>(`select id::text from sagas.instances where id = any($1::uuid[]) order by id`, [ids])).map((r) => r.id);
const historyOf = async (id: string) =>
  (await db.query<{ n: number }>(`select count(*)::int as n from sagas.history where saga_id = $1`, [id]))[0]!.n;

beforeAll(async () => {
  db = await openPglite(undefined);
  await migrate(db, SAGA_SCHEMA, sagaMigrations());
});
afterAll(async () => {
  await db?.close();
});

describe('retention of ended sagas', () => {
  it('deletes ended sagas of ended orders past the retention, with their history, and keeps every other', async () => {
    const completed = await order('COMPLETED');
    const cancelled = await order('CANCELLED');
    const delivered = await order('DELIVERED');
    const gone = [
      await saga(completed, 'COMPLETED', 3 * HOUR),
      await saga(completed, 'COMPENSATED', 2 * HOUR, false),
      await saga(cancelled, 'COMPENSATED', 2 * HOUR),
    ];
    const kept = [
      // Within the retention.
      await saga(completed, 'COMPLETED', HOUR / 2),
      // Its order has not ended: a later message or route may still concern it.
      await saga(delivered, 'COMPLETED', 3 * HOUR),
      // An operator's to decide.
      await saga(completed, 'FAILED', null),
      await saga(cancelled, 'RUNNING', null),
      // An order the view does not know (yet).
      await saga(crypto.randomUUID(), 'COMPLETED', 3 * HOUR),
    ];
    const task = settledSagaRetention(db, clock, HOUR);

    // Oldest first, at most `limit` per statement.
    expect(await task.prune(1)).toBe(1);
    expect(await remaining(gone)).toEqual([...gone.slice(1)].sort());
    expect(await historyOf(gone[0]!)).toBe(0);

    expect(await task.prune(100)).toBe(2);
    expect(await task.prune(100)).toBe(0);
    expect(await remaining([...gone, ...kept])).toEqual([...kept].sort());
    for (const id of gone) expect(await historyOf(id)).toBe(0);
    for (const id of kept) expect(await historyOf(id)).toBe(2);
  });

  it('leaves the history of a saga whose order goes on to the history retention, and the instance', async () => {
    const delivered = await order('DELIVERED');
    const id = await saga(delivered, 'COMPLETED', 3 * HOUR);
    expect(await sagaHistoryRetention(db, clock, HOUR).prune(100)).toBeGreaterThanOrEqual(2);
    expect(await historyOf(id)).toBe(0);
    expect(await settledSagaRetention(db, clock, HOUR).prune(100)).toBe(0);
    expect(await remaining([id])).toEqual([id]);

    // Once the order ends, the instance goes too.
    await db.query(`update sagas.order_view set status = 'COMPLETED' where order_id = $1`, [delivered]);
    expect(await settledSagaRetention(db, clock, HOUR).prune(100)).toBe(1);
    expect(await remaining([id])).toEqual([]);
  });
});
