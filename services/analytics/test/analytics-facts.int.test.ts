import { randomUUID } from 'node:crypto';
import { type Db, migrate, openPglite } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleChunk } from '../../../test/support/chunk.ts';
import { orderCreatedEvent, sagaMessage } from '../../../test/support/handler-context.ts';
import { analyticsHandlers } from '../src/analytics-handlers.ts';
import { ANALYTICS_SCHEMA, analyticsMigrations } from '../src/index.ts';

describe('analytics: the facts of a transaction’s events are written together at its commit', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openPglite(undefined);
    await migrate(db, ANALYTICS_SCHEMA, analyticsMigrations());
  });
  afterAll(async () => {
    await db?.close();
  });

  const row = async (orderId: string) =>
    (
      await db.query<{ total_cents: number | string; runner_id: string | null; accepted_at: Date | null; cancel_reason: string | null }>(
        'select total_cents, runner_id, accepted_at, cancel_reason from analytics.orders where order_id = $1',
        [orderId],
      )
    )[0];

  it('the events of four orders: one statement; the first event to state a fact wins, within the transaction and after it', async () => {
    const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const [first, second, later] = [randomUUID(), randomUUID(), randomUUID()];
    const created = (id: string) => sagaMessage('order.created', orderCreatedEvent(id, randomUUID()));
    const accepted = (id: string, runner: string) =>
      sagaMessage('order.accepted', { order_id: id, runner_id: runner, customer_id: randomUUID() });
    const batch = [
      created(a),
      created(b),
      accepted(a, first),
      accepted(a, second),
      created(c),
      created(d),
      sagaMessage('order.cancelled', { order_id: d, reason: 'CUSTOMER_CANCELLED', previous_status: 'PENDING' }),
    ];
    const { counts } = await handleChunk(db, analyticsHandlers, batch);

    expect(counts.get('insert into analytics.orders')).toBe(1);
    expect(counts.size).toBe(1);
    expect(await row(a)).toMatchObject({ runner_id: first });
    expect(Number((await row(a))?.total_cents)).toBe(1380);
    expect((await row(a))?.accepted_at).toBeInstanceOf(Date);
    expect(await row(d)).toMatchObject({ cancel_reason: 'CUSTOMER_CANCELLED' });

    // A later transaction states a fact again: the row keeps the first.
    await handleChunk(db, analyticsHandlers, [accepted(a, later), accepted(b, later)]);
    expect((await row(a))?.runner_id).toBe(first);
    expect((await row(b))?.runner_id).toBe(later);
  });
});
