import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, type Res, waitFor } from '../support/client.ts';
import { sampleOrderBody } from '../support/fixtures.ts';
import { closeChecked } from '../support/invariants.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

/**
 * Overload is answered, not absorbed (docs/http-api.md, "Busy"): with room for only a few sagas in
 * flight, a burst of orders well beyond it gets 503 OVERLOADED with Retry-After for the excess,
 * every admitted order's saga finishes, and a refused request leaves nothing behind. The limit is
 * set small so that the outcome depends on counting, not on how fast the machine is.
 */
const LIMIT = 2;
const BURST = 30;

let sys: TestSystem;
beforeAll(async () => {
  sys = await startSystem({ SAGAS_IN_FLIGHT_LIMIT: String(LIMIT) });
});
afterAll(() => closeChecked(sys));

/** Every order the customer placed, through every page. */
async function ordersOf(c: ApiClient): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res: Res = await c.get(`/api/orders?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status).toBe(200);
    ids.push(...res.body.items.map((o: { id: string }) => o.id));
    cursor = res.body.nextCursor;
  } while (cursor);
  return ids;
}

function expectOverloaded(res: Res) {
  expect(res.status, JSON.stringify(res.body)).toBe(503);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status: 503, code: 'OVERLOADED' });
  expect(res.body.title).toMatch(/busy/i);
  expect(res.body.title).not.toMatch(/not ready/i);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter > 0, `Retry-After ${res.headers.get('retry-after')}`).toBe(true);
}

describe('admission control of new orders', () => {
  it('refuses the excess of a burst at once; every admitted order completes and nothing refused exists', async () => {
    const customer = await (await sys.client().register('Burst')).addCard();
    const admitted: { orderId: string; sagaId: string }[] = [];
    const refused: Res[] = [];
    // Bursts of concurrent orders, each many times the limit, until some are refused.
    for (let round = 0; round < 10 && refused.length === 0; round++) {
      const answers = await Promise.all(
        Array.from({ length: BURST }, (_, i) =>
          customer.post('/api/orders', sampleOrderBody(), { 'idempotency-key': `burst-${round}-${i}-${customer.user.id}` }),
        ),
      );
      for (const res of answers) {
        if (res.status === 202) admitted.push(res.body);
        else refused.push(res);
      }
    }
    expect(refused.length, 'no request of the bursts was refused').toBeGreaterThan(0);
    for (const res of refused) expectOverloaded(res);
    expect(admitted.length).toBeGreaterThanOrEqual(LIMIT);

    // Every admitted order's saga finishes and the order is CREATED.
    for (const { orderId, sagaId } of admitted) {
      expect((await customer.saga(sagaId)).status).toBe('COMPLETED');
      expect((await customer.orderIn(orderId, 'CREATED')).id).toBe(orderId);
    }
    // Nothing admitted is lost, and nothing refused was created: the customer has exactly the admitted orders.
    const listed = await ordersOf(customer);
    expect(listed.sort()).toEqual(admitted.map((a) => a.orderId).sort());
  });

  it('a refused order with an Idempotency-Key claimed nothing: sent again once there is room, it is created once', async () => {
    const customer = await (await sys.client().register('Again')).addCard();
    const started: string[] = [];
    let refusedKey: string | undefined;
    for (let round = 0; round < 10 && !refusedKey; round++) {
      // A keyed order in the middle of a burst many times the room.
      const key = `again-${round}-${customer.user.id}`;
      const sends = Array.from({ length: BURST }, (_, i) =>
        customer.post('/api/orders', sampleOrderBody(), i === BURST / 2 ? { 'idempotency-key': key } : {}),
      );
      const answers = await Promise.all(sends);
      for (const res of answers) if (res.status === 202) started.push(res.body.sagaId);
      const keyed = answers[BURST / 2]!;
      if (keyed.status !== 202) {
        expectOverloaded(keyed);
        refusedKey = key;
      }
    }
    expect(refusedKey, 'the keyed order was admitted in every round').toBeDefined();
    // Everything admitted finishes, which makes room again.
    for (const sagaId of started) await customer.saga(sagaId);
    const before = await ordersOf(customer);
    const retried = await waitFor(async () => {
      const res = await customer.post('/api/orders', sampleOrderBody(), { 'idempotency-key': refusedKey! });
      if (res.status !== 202) expectOverloaded(res);
      return res.status === 202 ? res : undefined;
    }, 'the refused order to be admitted');
    const repeated = await customer.post('/api/orders', sampleOrderBody(), { 'idempotency-key': refusedKey! });
    expect(repeated.status).toBe(202);
    expect(repeated.body).toEqual(retried.body);
    expect((await customer.saga(retried.body.sagaId)).status).toBe('COMPLETED');
    const after = await ordersOf(customer);
    expect(after.filter((id) => !before.includes(id))).toEqual([retried.body.orderId]);
  });
});
