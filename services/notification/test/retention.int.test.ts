import { type Db, ManualClock, migrate, openPglite } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLogRetention } from '../src/audit-retention.ts';
import { notificationMigrations } from '../src/index.ts';

// The notification service's bookkeeping goes after the audit log's retention: audit entries by
// when they were received, and the view of an order that ended with the last entry of its timeline.
// Views of orders under way, and anything younger, stay.

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

/** An order in `status` as the service's view holds it. */
async function view(status: string): Promise<string> {
  const id = crypto.randomUUID();
  await db.query(
    `insert into notifications.order_view (order_id, customer_id, status, view, updated_at) values ($1, $2, $3, $4::jsonb, $5)`,
    [id, crypto.randomUUID(), status, JSON.stringify({ id, status }), clock.now()],
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
  it("deletes an ended order's view with the last entry of its timeline, whichever pass deletes that", async () => {
    const [completed, cancelled, rated, underWay, recent] = [
      await view('COMPLETED'),
      await view('CANCELLED'),
      await view('COMPLETED'),
      await view('DELIVERED'),
      await view('COMPLETED'),
    ];
    // Oldest first, as the log receives them: the completed order's entries straddle the first pass.
    await entry(RETENTION + 5 * DAY, completed);
    await entry(RETENTION + 5 * DAY, underWay);
    await entry(RETENTION + 4 * DAY, completed);
    await entry(RETENTION + 3 * DAY, rated);
    await entry(RETENTION + 2 * DAY, cancelled);
    // Rated since it ended: its timeline keeps an entry, which its parties may still read.
    await entry(DAY, rated);
    await entry(DAY, recent);

    const retention = auditLogRetention(db, clock, RETENTION);
    expect(await retention.prune(2)).toBe(2);
    expect(await views([completed, cancelled])).toEqual([completed, cancelled].sort());
    expect(await retention.prune(100)).toBe(3);
    // An order under way keeps its view with no timeline left; one rated since keeps it with its entry.
    expect(await views([completed, cancelled, rated, underWay, recent])).toEqual([rated, underWay, recent].sort());
    expect(await retention.prune(100)).toBe(0);
  });

  it('deletes the audit entries received before the retention, and keeps the younger ones', async () => {
    const old = [await entry(RETENTION + DAY), await entry(RETENTION + 1)];
    const young = [await entry(RETENTION - 1_000), await entry(0)];
    expect(await auditLogRetention(db, clock, RETENTION).prune(100)).toBe(2);
    expect(await entries([...old, ...young])).toEqual([...young].sort());
  });
});
