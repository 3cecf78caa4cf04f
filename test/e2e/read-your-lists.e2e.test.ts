import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeChecked } from '../support/invariants.ts';
import { startSharedSystem, type TestSystem } from '../support/system.ts';

// Reading your own writes for lists (http-api.md): right after the 202s of a burst of orders, the
// customer's list shows every one of them, though the order service consumes create_order
// asynchronously and the orders are spread over every partition.

let sys: TestSystem;

beforeAll(async () => {
  sys = await startSharedSystem();
});
afterAll(() => closeChecked(sys));

const BURST = 24;

describe('lists read your own writes', () => {
  it("a burst of orders, then at once the customer's list: every order is in it", async () => {
    const cust = await (await sys.client().register('Lena')).addCard();
    const runner = await (await sys.client().register('Ravi')).becomeRunner();
    const posted = await Promise.all(Array.from({ length: BURST }, () => cust.createOrder()));
    const missing = async () => {
      const list = await cust.get(`/api/orders?limit=100`);
      expect(list.status).toBe(200);
      const listed = new Set((list.body.items as { id: string }[]).map((o) => o.id));
      return posted.filter((p) => !listed.has(p.orderId)).map((p) => p.orderId);
    };
    expect(await missing()).toEqual([]);
    // And one more, listed the moment its 202 is in, while the burst's sagas keep the services busy.
    for (let i = 0; i < 6; i++) {
      posted.push(await cust.createOrder());
      expect(await missing()).toEqual([]);
    }

    // Once the orders are CREATED, a runner's list of available orders shows every one.
    const sagas = await Promise.all(posted.map((p) => cust.saga(p.sagaId)));
    expect(sagas.map((s) => s.status)).toEqual(posted.map(() => 'COMPLETED'));
    const available = await runner.get(`/api/orders/available?limit=100`);
    expect(available.status).toBe(200);
    const open = new Set((available.body.items as { id: string }[]).map((o) => o.id));
    expect(posted.filter((p) => !open.has(p.orderId))).toEqual([]);
  });
});
