import { randomUUID } from 'node:crypto';
import type { MessageType, PayloadOf, TypedMessage } from '@campusg/contracts';
import type { HandlerContext } from '@campusg/messaging';
import { type Db, migrate, openPglite } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrderCommand, handlerContext, sagaMessage } from '../../../test/support/handler-context.ts';
import { ORDER_SCHEMA, orderMigrations } from '../src/index.ts';
import { orderHandlers } from '../src/order-handlers.ts';

/**
 * release_runner, the accept-order saga's compensation, undoes that saga's own accept only. A runner
 * who already holds an order and accepts it again starts a second saga, which the order service
 * answers `order.accepted`; if that saga then misses its deadline, its release_runner must leave the
 * order with the runner (the first saga has stopped the acceptance timer, so a reopened order would
 * never expire).
 */
const CUSTOMER = randomUUID();
const RUNNER = randomUUID();

describe('order service: release_runner undoes its own saga’s accept only', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openPglite(undefined, { worker: false });
    await migrate(db, ORDER_SCHEMA, orderMigrations());
  });
  afterAll(async () => {
    await db?.close();
  });

  /** A command of saga `sagaId`, handled in its own transaction; returns the replies' types. */
  async function handle<T extends MessageType>(type: T, payload: PayloadOf<T>, sagaId: string): Promise<string[]> {
    const m = sagaMessage(type, payload, sagaId);
    const replies: TypedMessage[] = [];
    const handler = orderHandlers({ acceptWindowMs: 60_000 })[type] as (m: TypedMessage<T>, c: HandlerContext) => Promise<void>;
    await db.transaction((tx) => handler(m, handlerContext(tx, m, replies)));
    return replies.map((r) => r.type);
  }

  async function openOrder(): Promise<string> {
    const orderId = randomUUID();
    const create = createOrderCommand(orderId, CUSTOMER);
    const saga = randomUUID();
    expect(await handle('create_order', create, saga)).toEqual(['order.created']);
    const created = { order_id: orderId, status: 'CREATED', expected_status: 'PENDING' } as const;
    expect(await handle('update_order_status', created, saga)).toEqual(['order.status_updated']);
    return orderId;
  }

  const order = async (id: string) =>
    (await db.query<{ status: string; runner_id: string | null }>('select status, runner_id from orders.orders where id = $1', [id]))[0];

  it('a second accept by the runner who holds the order is answered accepted, and its release leaves the first accept standing', async () => {
    const orderId = await openOrder();
    const first = randomUUID();
    const second = randomUUID();
    expect(await handle('accept_order', { order_id: orderId, runner_id: RUNNER }, first)).toEqual(['order.accepted']);
    expect(await handle('accept_order', { order_id: orderId, runner_id: RUNNER }, second)).toEqual(['order.accepted']);
    expect(await handle('release_runner', { order_id: orderId, runner_id: RUNNER }, second)).toEqual(['order.runner_release_failed']);
    expect(await order(orderId)).toEqual({ status: 'ACCEPTED', runner_id: RUNNER });
  });

  it('the saga whose accept assigned the runner releases it, and the order is open to another accept', async () => {
    const orderId = await openOrder();
    const saga = randomUUID();
    expect(await handle('accept_order', { order_id: orderId, runner_id: RUNNER }, saga)).toEqual(['order.accepted']);
    expect(await handle('release_runner', { order_id: orderId, runner_id: RUNNER }, saga)).toEqual(['order.runner_released']);
    expect(await order(orderId)).toEqual({ status: 'CREATED', runner_id: null });
    // Accepted again by a new saga: that saga's release, not the old one's, gives it back.
    const again = randomUUID();
    expect(await handle('accept_order', { order_id: orderId, runner_id: RUNNER }, again)).toEqual(['order.accepted']);
    expect(await handle('release_runner', { order_id: orderId, runner_id: RUNNER }, saga)).toEqual(['order.runner_release_failed']);
    expect(await handle('release_runner', { order_id: orderId, runner_id: RUNNER }, again)).toEqual(['order.runner_released']);
  });
});
