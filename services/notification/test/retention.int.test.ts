import { type Db, ManualClock, migrate, openPglite } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLogRetention, endedOrderViewRetention } from '../src/audit-retention.ts';
import { notificationMigrations } from '../src/index.ts';

// The notification service's bookkeeping goes after the audit log's retention: audit entries by
// when they were received, and the views of orders that ended by their last change, once their
// timeline has no entry left. Views of orders under way, and anything younger, stay.

const DAY = 86_400_000;
const RETENTION = 30 * DAY;
const clock = new ManualClock('2026-12-01T12:00:00.000Z');
const ago = (ms: number) => new Date(clock.now().getTime() - ms);
let db: Db;

beforeAll(async () => {
  db = await openPglite(undefined);
  await migrate(db, 'notifications', notificationMigrations());
});
afterAll(async () => {
  await db?.close();
});

/** An order as the service's view holds it, last changed `changedAgo` ms ago. */
async function view(status: string, changedAgo: number): Promise<string> {
  const id = crypto.randomUUID();
  await db.query(
    `insert into notifications.order_view (order_id, customer_id, status, view, updated_at) values ($1, $2, $3, $4::jsonb, $5)`,
    [id, crypto.randomUUID(), status, JSON.stringify({ id, status }), ago(changedAgo)],
  );
  return id;
}

/** An audit entry received `receivedAgo` ms ago, about `orderId` if given. */
async function entry(receivedAgo: number, orderId: string | null = null): Promise<string> {
  const id = crypto.randomUUID();
  await db.query(
    `insert into notifications.audit_log (message_id, topic, partition, "offset", type, source, correlation_id, order_id, at, received_at, payload, summary)
     values ($1, 'order_events', 0, 0, 'order.status_updated', 'test', $1, $2, $3, $3, '{}', 'test')`,
    [id, orderId, ago(receivedAgo)],
  );
  return id;
}

const views = async (ids: string[]) =>
  (await db.query<{ id: string }>('select order_id::text as id from notifications.order_view where order_id = any($1::uuid[])', [ids]))
    .map((r) => r.id)
    .sort();
const entries = async (ids: string[]) =>
  (await db.query<{ id: string }>('select message_id::text as id from notifications.audit_log where message_id = any($1::uuid[])', [ids]))
    .map((r) => r.id)
    .sort();

describe('notification retention', () => {
  it('deletes the views of orders that ended before the retention, oldest first and a batch at a time', async () => {
    const old = [
      await view('COMPLETED', RETENTION + 3 * DAY),
      await view('CANCELLED', RETENTION + 2 * DAY),
      await view('COMPLETED', RETENTION + DAY),
    ];
    const kept = [
      // Ended within the retention.
      await view('COMPLETED', RETENTION - DAY),
      await view('CANCELLED', DAY),
      // Under way, however long ago it last changed.
      await view('CREATED', RETENTION + 5 * DAY),
      await view('DELIVERED', RETENTION + 5 * DAY),
    ];
    // Ended long ago, but rated since: its timeline still has an entry, which its parties may read.
    const rated = await view('COMPLETED', RETENTION + 5 * DAY);
    await entry(DAY, rated);
    kept.push(rated);
    const retention = endedOrderViewRetention(db, clock, RETENTION);
    expect(await retention.prune(2)).toBe(2);
    expect(await views(old)).toEqual([old[2]]);
    expect(await retention.prune(2)).toBe(1);
    expect(await retention.prune(2)).toBe(0);
    expect(await views([...old, ...kept])).toEqual([...kept].sort());
  });

  it('deletes the audit entries received before the retention, and keeps the younger ones', async () => {
    const old = [await entry(RETENTION + DAY), await entry(RETENTION + 1)];
    const young = [await entry(RETENTION - 1_000), await entry(0)];
    expect(await auditLogRetention(db, clock, RETENTION).prune(100)).toBe(2);
    expect(await entries([...old, ...young])).toEqual([...young].sort());
  });
});
