import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, waitFor } from '../support/client.ts';
import { closeChecked } from '../support/invariants.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

/**
 * A runner gives an accepted order back (docs/sagas.md, release-order): it is open again with a
 * fresh acceptance window, the hold stays, the customer is told; and a release racing the fresh
 * window's end or a customer's cancel ends in exactly one outcome (the invariants, after the suite).
 */

const WINDOW_MS = 8_000;
let sys: TestSystem;
beforeAll(async () => {
  // A short window of its own, so that a given-back order's fresh window can run out here.
  sys = await startSystem({ ORDER_ACCEPT_TIMEOUT_MS: String(WINDOW_MS) });
});
afterAll(() => closeChecked(sys));

const customer = async () => (await sys.client().register('Carol')).addCard();
const runner = async (name = 'Rita') => (await sys.client().register(name)).becomeRunner();

async function acceptedOrder(cust: ApiClient, run: ApiClient) {
  const { orderId, sagaId } = await cust.createOrder();
  expect((await cust.saga(sagaId)).status).toBe('COMPLETED');
  const open = await cust.orderIn(orderId, 'CREATED');
  const accept = await run.post(`/api/orders/${orderId}/accept`);
  expect((await run.saga(accept.body.sagaId)).status).toBe('COMPLETED');
  return { orderId, firstAcceptBy: open.acceptBy as string };
}

async function release(run: ApiClient, orderId: string) {
  const res = await run.post(`/api/orders/${orderId}/release`);
  expect(res.status).toBe(202);
  return run.saga(res.body.sagaId);
}

describe('POST /api/orders/{id}/release', () => {
  it('reopens the order to other runners with a fresh window; the hold stays and the customer is told', async () => {
    const cust = await customer();
    const rita = await runner('Rita');
    const otto = await runner('Otto');
    const { orderId, firstAcceptBy } = await acceptedOrder(cust, rita);
    const askedAt = Date.now();
    const saga = await release(rita, orderId);
    expect(saga).toMatchObject({ type: 'release-order', status: 'COMPLETED', orderId });
    expect(saga.history.filter((h: any) => h.kind === 'command').map((h: any) => h.type)).toEqual(['release_order', 'restart_order_timer']);

    const reopened = await cust.orderIn(orderId, 'CREATED');
    expect(reopened).toMatchObject({ runnerId: null, runner: null, acceptedAt: null });
    expect(Date.parse(reopened.acceptBy)).toBeGreaterThan(Date.parse(firstAcceptBy));
    expect(Date.parse(reopened.acceptBy)).toBeGreaterThanOrEqual(askedAt + WINDOW_MS - 1_000);
    expect((await cust.get(`/api/orders/${orderId}/payment`)).body.status).toBe('AUTHORIZED');
    const note = await waitFor(async () => {
      const items = (await cust.get('/api/notifications')).body.items;
      return items.find((n: any) => n.orderId === orderId && n.kind === 'ORDER_RELEASED');
    }, 'the customer to be told');
    expect(note.text).toBe('Rita gave your order back. It is open to other runners again.');
    // Open to the other runners (and to Rita again) until the fresh window ends.
    await waitFor(
      async () => (await otto.get('/api/orders/available')).body.items.some((o: any) => o.id === orderId),
      'the order in the available list',
    );
    expect((await rita.get('/api/orders?as=runner')).body.items.map((o: any) => o.id)).not.toContain(orderId);
    const accept = await otto.post(`/api/orders/${orderId}/accept`);
    expect((await otto.saga(accept.body.sagaId)).status).toBe('COMPLETED');
    expect((await cust.orderIn(orderId, 'ACCEPTED')).runner).toMatchObject({ id: otto.user.id, name: 'Otto' });
  });

  it('is 404 for anyone but its runner and 409 INVALID_TRANSITION once PLACED, changing nothing', async () => {
    const cust = await customer();
    const rita = await runner('Rita');
    const otto = await runner('Otto');
    const { orderId } = await acceptedOrder(cust, rita);
    for (const caller of [cust, otto]) {
      const res = await caller.post(`/api/orders/${orderId}/release`);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    expect((await rita.post('/api/orders/00000000-0000-4000-8000-000000000000/release')).status).toBe(404);
    expect((await rita.post(`/api/orders/${orderId}/progress`, { status: 'PLACED' })).status).toBe(200);
    await waitFor(async () => {
      const res = await rita.post(`/api/orders/${orderId}/release`);
      return res.status === 409 && res.body.code === 'INVALID_TRANSITION';
    }, 'the release to be refused once PLACED');
    expect((await cust.get(`/api/orders/${orderId}`)).body).toMatchObject({ status: 'PLACED', runnerId: rita.user.id });
  });

  it('cancels a given-back order nobody takes when its fresh window ends, and releases the hold', async () => {
    const cust = await customer();
    const rita = await runner('Rita');
    const { orderId } = await acceptedOrder(cust, rita);
    await release(rita, orderId);
    const reopened = await cust.orderIn(orderId, 'CREATED');
    const cancelled = await waitFor(() => cust.orderIn(orderId, 'CANCELLED'), 'the fresh window to end', WINDOW_MS + 20_000);
    expect(cancelled.cancelReason).toBe('ACCEPT_TIMEOUT');
    expect(Date.parse(cancelled.cancelledAt)).toBeGreaterThanOrEqual(Date.parse(reopened.acceptBy));
    await waitFor(async () => (await cust.get(`/api/orders/${orderId}/payment`)).body.status === 'REVERTED', 'the hold to be released');
  });

  it('a customer cancel racing the release ends the order once: cancelled, the hold released, no timer left armed', async () => {
    const cust = await customer();
    const rita = await runner('Rita');
    const { orderId } = await acceptedOrder(cust, rita);
    const released = rita.post(`/api/orders/${orderId}/release`);
    // The customer cancels as soon as the order is open again, while the release saga still runs.
    await cust.orderIn(orderId, 'CREATED');
    const cancel = await cust.post(`/api/orders/${orderId}/cancel`);
    expect(cancel.status).toBe(202);
    expect((await cust.saga(cancel.body.sagaId)).status).toBe('COMPLETED');
    expect((await rita.saga((await released).body.sagaId)).status).toBe('COMPLETED');
    expect((await cust.orderIn(orderId, 'CANCELLED')).cancelReason).toBe('CUSTOMER_CANCELLED');
    await waitFor(async () => (await cust.get(`/api/orders/${orderId}/payment`)).body.status === 'REVERTED', 'the hold to be released');
  });
});
