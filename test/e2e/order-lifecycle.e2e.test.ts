import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../support/client.ts';
import { sampleOrderBody } from '../support/fixtures.ts';
import { closeChecked } from '../support/invariants.ts';
import { startSharedSystem, type TestSystem } from '../support/system.ts';

let sys: TestSystem;

beforeAll(async () => {
  // The default acceptance window (30 min): no order here expires while a busy machine is slow to
  // accept it. The window's end has a suite of its own (acceptance-window.e2e.test.ts).
  sys = await startSharedSystem();
});
afterAll(() => closeChecked(sys));

const customer = async () => (await sys.client().register('Carol')).addCard();
const runner = async (name = 'Rita') => (await sys.client().register(name)).becomeRunner();

/** An order that reached CREATED, with its customer. */
async function createdOrder(c?: ApiClient) {
  const cust = c ?? (await customer());
  const { orderId, sagaId } = await cust.createOrder();
  const saga = await cust.saga(sagaId);
  expect(saga.status).toBe('COMPLETED');
  return { cust, orderId };
}

describe('create-order saga', () => {
  it('authorises the card, opens the order to runners and arms the timer', async () => {
    const cust = await customer();
    const created = await cust.createOrder();
    expect(created.status).toBe('PENDING');
    const saga = await cust.saga(created.sagaId);
    expect(saga).toMatchObject({ type: 'create-order', status: 'COMPLETED', orderId: created.orderId, error: null });
    expect(saga.history.filter((h: any) => h.kind === 'command').map((h: any) => h.type)).toEqual([
      'create_order',
      'get_payment_info',
      'authorize_payment',
      'update_order_status',
      'start_order_timer',
    ]);
    const order = (await cust.get(`/api/orders/${created.orderId}`)).body;
    expect(order).toMatchObject({
      status: 'CREATED',
      foodCents: 1080,
      deliveryFeeCents: 300,
      totalCents: 1380,
      customerId: cust.user.id,
      runnerId: null,
    });
    const payment = await cust.get(`/api/orders/${created.orderId}/payment`);
    expect(payment.body).toMatchObject({ status: 'AUTHORIZED', amountCents: 1380, failureCode: null });
    const wallet = (await cust.get('/api/wallet')).body;
    expect(wallet).toMatchObject({ heldCents: 1380, spentCents: 0 });
  });

  it.each([
    ['4000000000000002', 'CARD_DECLINED'],
    ['4000000000009995', 'INSUFFICIENT_FUNDS'],
  ])('cancels the order when card %s is declined (%s)', async (number, code) => {
    const cust = await (await sys.client().register('Dee')).addCard(number);
    const { orderId, sagaId } = await cust.createOrder();
    const saga = await cust.saga(sagaId);
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error).toContain(code);
    const order = await cust.orderIn(orderId, 'CANCELLED');
    expect(order.cancelReason).toBe('PAYMENT_DECLINED');
    expect((await cust.get(`/api/orders/${orderId}/payment`)).body).toMatchObject({ status: 'FAILED', failureCode: code });
    expect((await cust.get('/api/wallet')).body.heldCents).toBe(0);
  });

  it('cancels the order with NO_PAYMENT_METHOD when the customer has no card', async () => {
    const cust = await sys.client().register('Nocard');
    const { orderId, sagaId } = await cust.createOrder();
    expect((await cust.saga(sagaId)).status).toBe('COMPENSATED');
    expect((await cust.orderIn(orderId, 'CANCELLED')).cancelReason).toBe('NO_PAYMENT_METHOD');
    expect((await cust.get(`/api/orders/${orderId}/payment`)).status).toBe(404);
  });

  it('creates one order per Idempotency-Key, and refuses the key with another body', async () => {
    const cust = await customer();
    const headers = { 'idempotency-key': `key-${Date.now()}` };
    const first = await cust.createOrder(sampleOrderBody(), headers);
    const again = await cust.post('/api/orders', sampleOrderBody(), headers);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first);
    const other = await cust.post('/api/orders', sampleOrderBody({ deliveryFeeCents: 400 }), headers);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    await cust.saga(first.sagaId);
    const mine = (await cust.get('/api/orders')).body.items;
    expect(mine).toHaveLength(1);
  });
});

describe('the whole lifecycle', () => {
  it('goes from order to payout: accept, progress, complete, the runner paid exactly once', async () => {
    const { cust, orderId } = await createdOrder();
    const run = await runner();
    expect((await run.get('/api/orders/available')).body.items.map((o: any) => o.id)).toContain(orderId);

    const accept = await run.post(`/api/orders/${orderId}/accept`);
    expect(accept.status).toBe(202);
    expect((await run.saga(accept.body.sagaId)).status).toBe('COMPLETED');
    const accepted = await cust.orderIn(orderId, 'ACCEPTED');
    expect(accepted.runnerId).toBe(run.user.id);
    expect(accepted.acceptedAt).not.toBeNull();
    expect((await run.get('/api/orders/available')).body.items.map((o: any) => o.id)).not.toContain(orderId);

    for (const status of ['PLACED', 'ON_THE_WAY', 'DELIVERED']) {
      const res = await run.post(`/api/orders/${orderId}/progress`, { status });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe(status);
    }
    const delivered = (await cust.get(`/api/orders/${orderId}`)).body;
    expect(delivered.placedAt && delivered.pickedUpAt && delivered.deliveredAt).toBeTruthy();

    const complete = await run.post(`/api/orders/${orderId}/complete`);
    expect(complete.status).toBe(202);
    const again = await run.post(`/api/orders/${orderId}/complete`);
    expect([202, 409]).toContain(again.status);
    if (again.status === 202) expect(again.body.sagaId).toBe(complete.body.sagaId);
    expect((await run.saga(complete.body.sagaId)).status).toBe('COMPLETED');
    const done = await cust.orderIn(orderId, 'COMPLETED');
    expect(done.completedAt).not.toBeNull();

    const afterDone = await run.post(`/api/orders/${orderId}/complete`);
    expect(afterDone.status).toBe(409);
    expect(afterDone.body.code).toBe('INVALID_TRANSITION');

    expect((await cust.get(`/api/orders/${orderId}/payment`)).body).toMatchObject({ status: 'RELEASED', amountCents: 1380 });
    const runnerWallet = (await run.get('/api/wallet')).body;
    expect(runnerWallet).toMatchObject({ balanceCents: 1380, earnedCents: 1380 });
    expect(runnerWallet.transactions.filter((t: any) => t.kind === 'PAYOUT')).toHaveLength(1);
    const customerWallet = (await cust.get('/api/wallet')).body;
    expect(customerWallet).toMatchObject({ heldCents: 0, spentCents: 1380 });
    expect(customerWallet.transactions.map((t: any) => t.kind).sort()).toEqual(['CHARGE', 'HOLD']);
  });

  it('lets exactly one of five racing runners win', async () => {
    const { cust, orderId } = await createdOrder();
    const runners = await Promise.all(['R1', 'R2', 'R3', 'R4', 'R5'].map((n) => runner(n)));
    const starts = await Promise.all(runners.map((r) => r.post(`/api/orders/${orderId}/accept`)));
    expect(starts.every((s) => s.status === 202 || s.status === 409)).toBe(true);
    const sagas = await Promise.all(starts.map((s, i) => (s.status === 202 ? runners[i]!.saga(s.body.sagaId) : null)));
    const winners = sagas.filter((s) => s?.status === 'COMPLETED');
    expect(winners).toHaveLength(1);
    expect(sagas.filter((s) => s && s.status !== 'COMPLETED').every((s) => s!.status === 'COMPENSATED')).toBe(true);
    const order = await cust.orderIn(orderId, 'ACCEPTED');
    const winnerIndex = sagas.findIndex((s) => s?.status === 'COMPLETED');
    expect(order.runnerId).toBe(runners[winnerIndex]!.user.id);
    // Only the winner may move the order.
    const loser = runners[(winnerIndex + 1) % 5]!;
    expect((await loser.post(`/api/orders/${orderId}/progress`, { status: 'PLACED' })).status).toBe(404);
  });

  it('releases the hold when the customer cancels', async () => {
    const { cust, orderId } = await createdOrder();
    const res = await cust.post(`/api/orders/${orderId}/cancel`);
    expect(res.status).toBe(202);
    const saga = await cust.saga(res.body.sagaId);
    expect(saga.status).toBe('COMPLETED');
    expect(saga.history.filter((h: any) => h.kind === 'command').map((h: any) => h.type)).toEqual([
      'cancel_order',
      'revert_payment',
      'stop_order_timer',
    ]);
    const order = await cust.orderIn(orderId, 'CANCELLED');
    expect(order.cancelReason).toBe('CUSTOMER_CANCELLED');
    expect((await cust.get(`/api/orders/${orderId}/payment`)).body.status).toBe('REVERTED');
    const again = await cust.post(`/api/orders/${orderId}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ORDER_NOT_CANCELLABLE');
  });

  it('refuses to cancel an accepted order, and keeps the runner', async () => {
    const { cust, orderId } = await createdOrder();
    const run = await runner();
    await run.saga((await run.post(`/api/orders/${orderId}/accept`)).body.sagaId);
    const res = await cust.post(`/api/orders/${orderId}/cancel`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('ORDER_NOT_CANCELLABLE');
    expect((await cust.get(`/api/orders/${orderId}`)).body).toMatchObject({ status: 'ACCEPTED', runnerId: run.user.id });
  });
});
