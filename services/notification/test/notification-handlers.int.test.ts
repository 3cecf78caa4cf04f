/**
 * The notification handler on a real database (PGlite), one message at a time in a transaction as
 * the bus runs it: what it stores, what it pushes live after the commit, and how many statements
 * each kind of message costs (the audit log row, plus the order view only where it is needed).
 */
import { createMessage, type MessageType, type PayloadOf, type TopicName, topicOf } from '@campusg/contracts';
import type { HandlerContext } from '@campusg/messaging';
import { createLogger, type Db, migrate, observeSql, openPglite, randomIds } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveEvent, LiveHub, notificationMigrations } from '../src/index.ts';
import { notificationHandlers } from '../src/notification-handlers.ts';

let db: Db;
const hub = new LiveHub();
const live: LiveEvent[] = [];
hub.subscribe((e) => live.push(e));
const handlers = notificationHandlers({ ids: randomIds, hub }) as Record<string, (m: unknown, ctx: HandlerContext) => Promise<void>>;
const log = createLogger({ level: 'silent', name: 'test' });

beforeAll(async () => {
  db = await openPglite(undefined);
  await migrate(db, 'notifications', notificationMigrations());
});
afterAll(() => db.close());

const uuid = () => crypto.randomUUID();
let offset = 0;

/** Handles one message as the bus would; returns the statements it ran and what went out live. */
async function handle<T extends MessageType>(type: T, payload: PayloadOf<T>, messageId = uuid()) {
  const m = createMessage(type, payload, {
    messageId,
    correlationId: uuid(),
    causationId: null,
    source: 'test',
    timestamp: new Date(),
  });
  const statements: string[] = [];
  const after: (() => void)[] = [];
  await db.transaction(async (tx) => {
    const ctx: HandlerContext = {
      tx: observeSql(tx, (text) => statements.push(text.replace(/\s+/g, ' ').trim().slice(0, 80)), true),
      emit: () => {
        throw new Error('the notification service sends nothing');
      },
      now: new Date(),
      log,
      record: {
        topic: topicOf(type) as TopicName,
        partition: 0,
        offset: offset++,
        key: (payload as { order_id?: string }).order_id ?? null,
        value: '',
        headers: {},
        timestamp: new Date(),
      },
      afterCommit: (fn) => after.push(fn),
    };
    await handlers[type]!(m, ctx);
  });
  live.length = 0;
  for (const fn of after) fn();
  return { statements, live: [...live] };
}

const notices = async (userId: string) =>
  (await db.query<{ kind: string }>('select kind from notifications.notifications where user_id = $1 order by at', [userId])).map(
    (n) => n.kind,
  );

describe('the notification handler', () => {
  const customer = uuid();
  const runner = uuid();
  const orderId = uuid();
  const created = {
    order_id: orderId,
    customer_id: customer,
    status: 'PENDING',
    food_cents: 1000,
    delivery_fee_cents: 380,
    total_cents: 1380,
  } as const;

  it('logs a message that notifies nobody with one statement, and reads no order view for it', async () => {
    const before = await handle('authorize_payment', {
      order_id: uuid(),
      customer_id: customer,
      amount_cents: 1380,
      payment_method_token: 'tok',
      currency: 'SGD',
    });
    expect(before.statements).toEqual([expect.stringMatching(/^insert into notifications.audit_log/)]);
    expect(before.live).toEqual([]);
  });

  it('keeps the order view in the same statement as the order event, and tells its parties live', async () => {
    const first = await handle('order.created', created);
    expect(first.statements).toHaveLength(2);
    expect(first.statements[1]).toMatch(/^with changed as \( insert into notifications.order_view/);
    expect(first.live).toEqual([{ kind: 'order', orderId, userIds: [customer] }]);

    const open = await handle('order.status_updated', {
      order_id: orderId,
      status: 'CREATED',
      previous_status: 'PENDING',
      runner_id: null,
    });
    expect(open.statements).toHaveLength(3);
    expect(open.live.map((e) => e.kind)).toEqual(['notification', 'order', 'available']);
    // Once per order: the same status again notifies no one a second time.
    const again = await handle('order.status_updated', {
      order_id: orderId,
      status: 'CREATED',
      previous_status: 'PENDING',
      runner_id: null,
    });
    expect(again.live.map((e) => e.kind)).toEqual(['order', 'available']);
    expect(await notices(customer)).toEqual(['ORDER_CREATED']);
  });

  it('names the runner to the customer when the order is accepted, and tells both', async () => {
    await handle('user.registered', { user_id: runner, name: 'Omar' });
    const accepted = await handle('order.accepted', { order_id: orderId, runner_id: runner, customer_id: customer });
    const order = accepted.live.find((e) => e.kind === 'order');
    expect(order).toEqual({ kind: 'order', orderId, userIds: [customer, runner] });
    const [text] = await db.query<{ text: string }>(
      "select text from notifications.notifications where user_id = $1 and kind = 'ORDER_ACCEPTED'",
      [customer],
    );
    expect(text?.text).toBe('Omar accepted your order.');
    expect(await notices(runner)).toEqual(['ORDER_ACCEPTED']);
  });

  it('pays out to the runner the payment names, without reading the order view', async () => {
    const released = await handle('payment.released', {
      payment_id: uuid(),
      order_id: orderId,
      runner_id: runner,
      amount_cents: 1380,
      transfer_id: 'tr_1',
    });
    expect(released.statements).toEqual([
      expect.stringMatching(/^insert into notifications.audit_log/),
      expect.stringMatching(/^insert into notifications.notifications/),
    ]);
    expect(await notices(runner)).toEqual(['ORDER_ACCEPTED', 'PAYOUT_RECEIVED']);
  });

  it('tells the parties of an order a failed order command too, from the view as it is', async () => {
    const other = uuid();
    const failed = await handle('order.accept_failed', { order_id: orderId, runner_id: other, code: 'ORDER_NOT_AVAILABLE' });
    expect(failed.statements[1]).toMatch(/^select view from notifications.order_view/);
    expect(failed.live).toEqual([{ kind: 'order', orderId, userIds: [customer, runner, other] }]);
  });

  it('does nothing more for a message it has logged already', async () => {
    const id = uuid();
    await handle('order.cancelled', { order_id: uuid(), reason: 'CUSTOMER_CANCELLED', previous_status: 'CREATED' }, id);
    const again = await handle('order.cancelled', { order_id: uuid(), reason: 'CUSTOMER_CANCELLED', previous_status: 'CREATED' }, id);
    expect(again.statements).toHaveLength(1);
    expect(again.live).toEqual([]);
  });
});
