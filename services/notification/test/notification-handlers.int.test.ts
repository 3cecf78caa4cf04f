/**
 * The notification handler on a real database (PGlite), one message at a time in a transaction as
 * the bus runs it: what it stores, which commits it reports to the live feed, and how many
 * statements each kind of message costs (the audit log row, plus the order view only where it is
 * needed). What goes out live is `live-feed.int.test.ts`.
 */
import { createMessage, type MessageType, type PayloadOf, type TopicName, topicOf } from '@campusg/contracts';
import type { HandlerContext } from '@campusg/messaging';
import { createLogger, type Db, migrate, observeSql, openPglite, randomIds, type Sql } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderCreatedEvent } from '../../../test/support/handler-context.ts';
import { notificationMigrations } from '../src/index.ts';
import type { CommittedLive } from '../src/live-feed.ts';
import { notificationHandlers } from '../src/notification-handlers.ts';

let db: Db;
/** The messages the handler reported committed, for the live feed, and what it gave for each. */
const committed: string[] = [];
const given = new Map<string, CommittedLive | undefined>();
const handlers = notificationHandlers({
  ids: randomIds,
  committed: (id, live) => {
    committed.push(id);
    given.set(id, live);
  },
}) as Record<string, (m: unknown, ctx: HandlerContext) => Promise<void>>;
const log = createLogger({ level: 'silent', name: 'test' });

beforeAll(async () => {
  db = await openPglite(undefined);
  await migrate(db, 'notifications', notificationMigrations());
});
afterAll(() => db.close());

const uuid = () => crypto.randomUUID();
let offset = 0;

/** What the bus gives a handler of a message of `type` on `tx`. */
function contextFor(tx: Sql, type: MessageType, payload: unknown, after: (() => void)[]): HandlerContext {
  return {
    tx,
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
}

/** Handles one message as the bus would; returns the statements it ran and whether it told the live feed. */
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
    const observed = observeSql(tx, (text) => statements.push(text.replace(/\s+/g, ' ').trim()), true);
    await handlers[type]!(m, contextFor(observed, type, payload, after));
  });
  committed.length = 0;
  for (const fn of after) fn();
  return { statements, live: committed.includes(messageId) };
}

const notices = async (userId: string) =>
  (await db.query<{ kind: string }>('select kind from notifications.notifications where user_id = $1 order by at', [userId])).map(
    (n) => n.kind,
  );

describe('the notification handler', () => {
  const customer = uuid();
  const runner = uuid();
  const orderId = uuid();
  const created = orderCreatedEvent(orderId, customer);

  it('logs a message that notifies nobody with one statement, and reads no order view for it', async () => {
    const before = await handle('authorize_payment', {
      order_id: uuid(),
      customer_id: customer,
      amount_cents: 1380,
      payment_method_token: 'tok',
      currency: 'SGD',
    });
    expect(before.statements).toEqual([expect.stringMatching(/^insert into notifications.audit_log/)]);
    expect(before.live).toBe(false);
  });

  it('keeps the order view in the same statement as the order event, and tells the live feed once committed', async () => {
    const first = await handle('order.created', created);
    expect(first.statements).toHaveLength(2);
    expect(first.statements[1]).toMatch(/insert into notifications.order_view/);
    expect(first.live).toBe(true);

    const open = await handle('order.status_updated', {
      order_id: orderId,
      status: 'CREATED',
      previous_status: 'PENDING',
      runner_id: null,
    });
    expect(open.statements).toHaveLength(3);
    expect(open.live).toBe(true);
    // Once per order: the same status again notifies no one a second time.
    const again = await handle('order.status_updated', {
      order_id: orderId,
      status: 'CREATED',
      previous_status: 'PENDING',
      runner_id: null,
    });
    expect(again.statements).toHaveLength(3);
    expect(await notices(customer)).toEqual(['ORDER_CREATED']);
  });

  it('names the runner to the customer when the order is accepted, and tells both', async () => {
    await handle('user.registered', { user_id: runner, name: 'Omar' });
    const accepted = await handle('order.accepted', { order_id: orderId, runner_id: runner, customer_id: customer });
    expect(accepted.live).toBe(true);
    const [text] = await db.query<{ text: string }>(
      "select text from notifications.notifications where user_id = $1 and kind = 'ORDER_ACCEPTED'",
      [customer],
    );
    expect(text?.text).toBe('Omar accepted your order.');
    expect(await notices(runner)).toEqual(['ORDER_ACCEPTED']);
  });

  it('only logs a signed-out session: every instance ends its streams from its own subscription', async () => {
    const payload = { user_id: customer, token_id: uuid(), expires_at: new Date(Date.now() + 3600_000).toISOString() };
    const revoked = await handle('user.session_revoked', payload, uuid());
    expect(revoked.statements).toEqual([expect.stringMatching(/^insert into notifications.audit_log/)]);
    expect(revoked.live).toBe(false);
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
    expect(released.live).toBe(true);
    expect(await notices(runner)).toEqual(['ORDER_ACCEPTED', 'PAYOUT_RECEIVED']);
  });

  it('logs a failed order command with one statement: it changes no view and notifies no one, and goes out live', async () => {
    const failed = await handle('order.accept_failed', { order_id: orderId, runner_id: uuid(), code: 'ORDER_NOT_AVAILABLE' });
    expect(failed.statements).toEqual([expect.stringMatching(/^insert into notifications.audit_log/)]);
    expect(failed.live).toBe(true);
  });

  it('does nothing more for a message it has logged already', async () => {
    const id = uuid();
    await handle('order.cancelled', { order_id: uuid(), reason: 'CUSTOMER_CANCELLED', previous_status: 'CREATED' }, id);
    const again = await handle('order.cancelled', { order_id: uuid(), reason: 'CUSTOMER_CANCELLED', previous_status: 'CREATED' }, id);
    expect(again.statements).toHaveLength(1);
    expect(again.live).toBe(false);
  });

  it('writes the audit rows of messages that only log, handled at once, in one insert per commit; a part rolled back leaves none', async () => {
    const statements: string[] = [];
    const payload = { order_id: uuid(), customer_id: customer, amount_cents: 1380, payment_method_token: 'tok', currency: 'SGD' } as const;
    /** One message in its own transaction, as a consumer's chunk would; `fail` rolls that transaction back. */
    const run = (messageId: string, fail = false) =>
      db.transaction(async (tx) => {
        const m = createMessage('authorize_payment', payload, {
          messageId,
          correlationId: uuid(),
          causationId: null,
          source: 'test',
          timestamp: new Date(),
        });
        const observed = observeSql(tx, (text) => statements.push(text.replace(/\s+/g, ' ').trim()), true);
        await handlers.authorize_payment!(m, contextFor(observed, 'authorize_payment', payload, []));
        if (fail) throw new Error('this part is rolled back');
      });
    const ids = Array.from({ length: 6 }, uuid);
    const rolledBack = uuid();
    // All asked for at once: the first runs alone, the others share the next round; one message comes twice.
    const outcomes = await Promise.allSettled([...ids.map((id) => run(id)), run(ids[1]!), run(rolledBack, true)]);
    expect(outcomes.map((o) => o.status)).toEqual([...ids.map(() => 'fulfilled'), 'fulfilled', 'rejected']);
    const inserts = statements.filter((t) => t.startsWith('insert into notifications.audit_log'));
    expect(inserts.length).toBeLessThanOrEqual(2);
    expect(inserts.at(-1)).toContain('unnest');
    const rows = await db.query<{ message_id: string }>(
      'select message_id from notifications.audit_log where message_id = any($1::uuid[])',
      [[...ids, rolledBack]],
    );
    expect(rows.map((r) => r.message_id).sort()).toEqual([...ids].sort());
  });

  it("writes a transaction's messages together: a statement per kind of write for them all, each message as if alone", async () => {
    const orders = Array.from({ length: 3 }, () => ({ orderId: uuid(), customer: uuid() }));
    const payout = uuid();
    const message = <T extends MessageType>(type: T, payload: PayloadOf<T>) =>
      createMessage(type, payload, { messageId: uuid(), correlationId: uuid(), causationId: null, source: 'test', timestamp: new Date() });
    const ms = [
      ...orders.map((o) => message('order.created', orderCreatedEvent(o.orderId, o.customer))),
      message('authorize_payment', {
        order_id: orders[0]!.orderId,
        customer_id: customer,
        amount_cents: 1380,
        payment_method_token: 'tok',
        currency: 'SGD',
      }),
      ...orders.map((o) =>
        message('order.status_updated', { order_id: o.orderId, status: 'CREATED', previous_status: 'PENDING', runner_id: null }),
      ),
      message('payment.released', {
        payment_id: uuid(),
        order_id: orders[0]!.orderId,
        runner_id: payout,
        amount_cents: 1380,
        transfer_id: 'tr_2',
      }),
    ];
    const statements: string[] = [];
    const after: (() => void)[] = [];
    await db.transaction(async (tx) => {
      const observed = observeSql(tx, (text) => statements.push(text.replace(/\s+/g, ' ').trim()), true);
      // The last status update comes twice: handled once.
      for (const m of [...ms, ms[6]!]) await handlers[m.type]!(m, contextFor(observed, m.type, m.payload, after));
    });
    committed.length = 0;
    for (const fn of after) fn();
    // The audit rows; the views, created then opened (an order's two changes, one after the other);
    // the notifications.
    expect(statements.map((t) => t.match(/notifications\.(\w+)/)?.[1])).toEqual(['audit_log', 'order_view', 'order_view', 'notifications']);
    for (const o of orders) expect(await notices(o.customer)).toEqual(['ORDER_CREATED']);
    expect(await notices(payout)).toEqual(['PAYOUT_RECEIVED']);
    // Every live message told once, with the notifications it stored and the order as it then was.
    const live = ms.filter((m) => m.type !== 'authorize_payment');
    expect(committed).toEqual(live.map((m) => m.message_id));
    expect(given.get(ms[0]!.message_id)).toEqual({
      notices: [],
      order: expect.objectContaining({ id: orders[0]!.orderId, status: 'PENDING' }),
    });
    expect(given.get(ms[4]!.message_id)).toEqual({
      notices: [
        { userId: orders[0]!.customer, notification: expect.objectContaining({ orderId: orders[0]!.orderId, kind: 'ORDER_CREATED' }) },
      ],
      order: expect.objectContaining({ id: orders[0]!.orderId, status: 'CREATED' }),
    });
    expect(given.get(ms[7]!.message_id)).toEqual({
      notices: [{ userId: payout, notification: expect.objectContaining({ kind: 'PAYOUT_RECEIVED', text: 'Payout received: S$13.80.' }) }],
      order: undefined,
    });
  });
});
