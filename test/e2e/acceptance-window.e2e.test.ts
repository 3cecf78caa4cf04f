import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/client.ts';
import { closeChecked } from '../support/invariants.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

let sys: TestSystem;

beforeAll(async () => {
  // A short acceptance window, in a system of its own: the other lifecycle suites keep the default
  // window, so a slow accept on a busy machine is never mistaken for an expiry there.
  sys = await startSystem({ ORDER_ACCEPT_TIMEOUT_MS: '1500' });
});
afterAll(() => closeChecked(sys));

describe('the acceptance window', () => {
  it('cancels an order nobody accepts within the acceptance window and releases the hold', async () => {
    const cust = await (await sys.client().register('Carol')).addCard();
    const { orderId, sagaId } = await cust.createOrder();
    expect((await cust.saga(sagaId)).status).toBe('COMPLETED');
    const order = await waitFor(
      async () => {
        const o = (await cust.get(`/api/orders/${orderId}`)).body;
        return o.status === 'CANCELLED' ? o : undefined;
      },
      'the acceptance timeout',
      20_000,
    );
    expect(order.cancelReason).toBe('ACCEPT_TIMEOUT');
    await waitFor(async () => (await cust.get(`/api/orders/${orderId}/payment`)).body.status === 'REVERTED', 'the hold to be released');
    const timeline = (await cust.get(`/api/orders/${orderId}/timeline`)).body.items.map((i: any) => i.type);
    expect(timeline).toContain('timer.expired');
  });
});
