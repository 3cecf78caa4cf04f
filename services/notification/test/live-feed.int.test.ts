/**
 * The live feed on a real database (PGlite), fed as this instance's ephemeral subscription would
 * feed it, with the notification handler committing each message as the `notification-service`
 * group does — in this instance (which says so) or in another (which does not): what goes out on
 * the hub, and only once the group has committed it.
 */
import { createMessage, type MessageType, type PayloadOf, type TopicName, type TypedMessage, topicOf } from '@campusg/contracts';
import type { Followed, HandlerContext } from '@campusg/messaging';
import { createLogger, type Db, migrate, observeSql, openPglite, randomIds } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/client.ts';
import { orderCreatedEvent } from '../../../test/support/handler-context.ts';
import { type LiveEvent, LiveFeed, LiveHub, notificationMigrations } from '../src/index.ts';
import { notificationHandlers } from '../src/notification-handlers.ts';

const log = createLogger({ level: 'silent', name: 'test' });
const uuid = () => crypto.randomUUID();
let db: Db;
let feed: LiveFeed;
const hub = new LiveHub();
const live: LiveEvent[] = [];
hub.subscribe((e) => live.push(e));
/** The feed's lookups of what the group committed, and its reads of the order view. */
let lookups = 0;
let viewReads = 0;
let now = Date.now();
const clock = { now: () => new Date(now) };

beforeAll(async () => {
  db = await openPglite(undefined);
  await migrate(db, 'notifications', notificationMigrations());
  const observed = observeSql(db, (text) => {
    if (text.includes('from notifications.audit_log')) lookups++;
    if (text.includes('select view from notifications.order_view')) viewReads++;
  });
  feed = new LiveFeed({ db: observed, hub, clock, log, waitMs: 60_000 });
});
afterAll(async () => {
  await feed.close();
  await db.close();
});

function message<T extends MessageType>(type: T, payload: PayloadOf<T>): TypedMessage {
  return createMessage(type, payload, {
    messageId: uuid(),
    correlationId: uuid(),
    causationId: null,
    source: 'test',
    timestamp: new Date(),
  });
}

const followed = (m: TypedMessage): Followed => ({
  message: m,
  record: { topic: topicOf(m.type) as TopicName, partition: 0, offset: 0, key: null, value: '', headers: {}, timestamp: new Date() },
});

/** Commits a message as the notification group does: in this instance (it tells the feed) or in another. */
async function commit(m: TypedMessage, where: 'here' | 'elsewhere', to = feed): Promise<void> {
  const handlers = notificationHandlers({ ids: randomIds, committed: (id, live) => to.committed(id, live) }) as Record<
    string,
    (m: unknown, ctx: HandlerContext) => Promise<void>
  >;
  const after: (() => void)[] = [];
  await db.transaction(async (tx) => {
    await handlers[m.type]!(m, {
      tx,
      emit: () => {
        throw new Error('the notification service sends nothing');
      },
      now: new Date(),
      log,
      record: followed(m).record,
      afterCommit: (fn) => after.push(fn),
    });
  });
  if (where === 'here') for (const fn of after) fn();
}

/** A new order, created and opened to runners: its two messages. */
function newOrder() {
  const customer = uuid();
  const orderId = uuid();
  const created = message('order.created', orderCreatedEvent(orderId, customer));
  const open = message('order.status_updated', { order_id: orderId, status: 'CREATED', previous_status: 'PENDING', runner_id: null });
  return { customer, orderId, created, open };
}

const about = (orderId: string) =>
  live.filter(
    (e) =>
      (e.kind === 'order' && e.order.id === orderId) ||
      (e.kind === 'available' && e.orderId === orderId) ||
      (e.kind === 'notification' && e.notification.orderId === orderId),
  );

describe('the live feed', () => {
  it('pushes nothing before the group committed a message, and at once when this instance committed it', async () => {
    const { customer, orderId, created, open } = newOrder();
    feed.receive([created, open].map(followed));
    const looked = lookups;
    await waitFor(async () => lookups >= looked + 2, 'the feed to look twice');
    expect(about(orderId)).toEqual([]);
    expect(feed.waiting).toBe(2);

    await commit(created, 'here');
    await commit(open, 'here');
    const events = await waitFor(async () => (about(orderId).length === 4 ? about(orderId) : undefined), 'four events');
    const notice = events.find((e) => e.kind === 'notification');
    expect(notice).toMatchObject({ userId: customer, notification: { orderId, kind: 'ORDER_CREATED', read: false } });
    // The order as the read model has it once committed: what a client reading it then would get.
    const orders = events.filter((e) => e.kind === 'order');
    expect(orders).toHaveLength(2);
    expect(orders.at(-1)).toMatchObject({ order: { id: orderId, customerId: customer, status: 'CREATED', totalCents: 1380 } });
    expect(events.find((e) => e.kind === 'available')).toEqual({ kind: 'available', orderId, status: 'CREATED' });
    expect(feed.waiting).toBe(0);
  });

  it('pushes what this instance committed before the subscription brought it as it was committed, reading nothing back', async () => {
    const { customer, orderId, created, open } = newOrder();
    const [looked, viewsRead] = [lookups, viewReads];
    await commit(created, 'here');
    await commit(open, 'here');
    expect(about(orderId)).toEqual([]);
    feed.receive([created, open].map(followed));
    // Each event with the order as that event left it, in the order the events came.
    expect(about(orderId)).toEqual([
      { kind: 'order', order: expect.objectContaining({ id: orderId, status: 'PENDING' }) },
      {
        kind: 'notification',
        userId: customer,
        notification: {
          id: expect.any(String),
          at: expect.any(String),
          orderId,
          kind: 'ORDER_CREATED',
          text: expect.any(String),
          read: false,
        },
      },
      { kind: 'order', order: expect.objectContaining({ id: orderId, status: 'CREATED' }) },
      { kind: 'available', orderId, status: 'CREATED' },
    ]);
    expect(feed.waiting).toBe(0);
    expect([lookups, viewReads]).toEqual([looked, viewsRead]);
    // The notification pushed is the one stored: a client that reads its notifications finds it.
    const notice = about(orderId).find((e) => e.kind === 'notification');
    const [stored] = await db.query<{ id: string; at: Date }>('select id, at from notifications.notifications where message_id = $1', [
      open.message_id,
    ]);
    expect(notice).toMatchObject({ notification: { id: stored!.id, at: new Date(stored!.at).toISOString() } });
  });

  it('looks up an order event that leaves the view as it was: the order as it stands', async () => {
    const { orderId, created, open } = newOrder();
    await commit(created, 'here');
    await commit(open, 'here');
    feed.receive([created, open].map(followed));
    const failed = message('order.accept_failed', { order_id: orderId, runner_id: uuid(), code: 'ORDER_NOT_AVAILABLE' });
    await commit(failed, 'here');
    const viewsRead = viewReads;
    feed.receive([followed(failed)]);
    await waitFor(async () => about(orderId).length === 5, 'the order again');
    expect(about(orderId).at(-1)).toEqual({ kind: 'order', order: expect.objectContaining({ id: orderId, status: 'CREATED' }) });
    expect(viewReads).toBe(viewsRead + 1);
  });

  it('looks up nothing that this instance commits before it is due, and what it committed unseen at once', async () => {
    let looked = 0;
    const patient = new LiveFeed({
      db: observeSql(db, (text) => {
        if (text.includes('from notifications.audit_log')) looked++;
      }),
      hub,
      clock,
      log,
      firstLookupMs: 60_000,
    });
    try {
      const { orderId, created, open } = newOrder();
      patient.receive([created, open].map(followed));
      await commit(created, 'here', patient);
      await commit(open, 'here', patient);
      expect(about(orderId).map((e) => e.kind)).toEqual(['order', 'notification', 'order', 'available']);
      expect([looked, patient.waiting]).toEqual([0, 0]);
      // An order event that leaves the view as it was is committed without what it pushes: it is
      // looked up at once, not when it would have been due.
      const failed = message('order.accept_failed', { order_id: orderId, runner_id: uuid(), code: 'ORDER_NOT_AVAILABLE' });
      patient.receive([followed(failed)]);
      await commit(failed, 'here', patient);
      await waitFor(async () => about(orderId).length === 5, 'the order again');
      expect(looked).toBe(1);
    } finally {
      await patient.close();
    }
  });

  it('pushes what another instance committed, by looking it up', async () => {
    const { customer, orderId, created, open } = newOrder();
    await commit(created, 'elsewhere');
    feed.receive([created, open].map(followed));
    await waitFor(async () => about(orderId).some((e) => e.kind === 'order'), 'the order, committed before it came');
    expect(feed.waiting).toBe(1);
    await commit(open, 'elsewhere');
    await waitFor(async () => about(orderId).some((e) => e.kind === 'available'), 'the order opened, committed after it came');
    expect(about(orderId).filter((e) => e.kind === 'notification')).toEqual([
      expect.objectContaining({ userId: customer, notification: expect.objectContaining({ kind: 'ORDER_CREATED' }) }),
    ]);
  });

  it('pushes a message received twice once', async () => {
    const { orderId, created, open } = newOrder();
    await commit(created, 'elsewhere');
    feed.receive([followed(created)]);
    await waitFor(async () => about(orderId).length === 1, 'the order');
    feed.receive([followed(created)]);
    expect(feed.waiting).toBe(0);
    // Anything behind it goes out after it would have.
    await commit(open, 'here');
    feed.receive([followed(open)]);
    await waitFor(async () => about(orderId).some((e) => e.kind === 'available'), 'the order opened');
    expect(about(orderId).filter((e) => e.kind === 'order')).toHaveLength(2);
  });

  it("tells the runner of a payout, the one notice that is not an order event's", async () => {
    const runner = uuid();
    const orderId = uuid();
    const released = message('payment.released', {
      payment_id: uuid(),
      order_id: orderId,
      runner_id: runner,
      amount_cents: 1380,
      transfer_id: 'tr_1',
    });
    feed.receive([followed(released)]);
    await commit(released, 'elsewhere');
    const [payout] = await waitFor(async () => (about(orderId).length > 0 ? about(orderId) : undefined), 'the payout');
    expect(payout).toMatchObject({
      kind: 'notification',
      userId: runner,
      notification: { kind: 'PAYOUT_RECEIVED', text: 'Payout received: S$13.80.' },
    });
    expect(about(orderId)).toHaveLength(1);
  });

  it('drops a message the group never logs, once it has waited long enough', async () => {
    const { orderId, created } = newOrder();
    feed.receive([followed(created)]);
    const looked = lookups;
    await waitFor(async () => lookups > looked, 'the feed to look');
    expect(feed.waiting).toBe(1);
    now += 61_000;
    await waitFor(async () => feed.waiting === 0, 'the message to be dropped');
    await commit(created, 'elsewhere');
    expect(about(orderId)).toEqual([]);
  });

  it('ignores what the live stream does not report', () => {
    feed.receive([followed(message('payment.authorized', { payment_id: uuid(), order_id: uuid(), amount_cents: 1 }))]);
    expect(feed.waiting).toBe(0);
  });
});
