import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, waitFor } from '../support/client.ts';
import { DELIVERY_STEPS, sampleOrderBody } from '../support/fixtures.ts';
import { closeChecked } from '../support/invariants.ts';
import { startSharedSystem, type TestSystem } from '../support/system.ts';

/**
 * Profiles, the people on an order (names, ratings, phones only while it is active), ratings,
 * the runner's payout account, and searching one's orders (docs/http-api.md).
 */

let sys: TestSystem;
beforeAll(async () => {
  sys = await startSharedSystem();
});
afterAll(() => closeChecked(sys));

const customer = async (name = 'Carol') => (await sys.client().register(name)).addCard();
const runner = async (name = 'Rita') => (await sys.client().register(name)).becomeRunner();

/** An order the runner has accepted (the accept saga finished). */
async function acceptedOrder(cust: ApiClient, run: ApiClient, body = sampleOrderBody()) {
  const { orderId, sagaId } = await cust.createOrder(body);
  expect((await cust.saga(sagaId)).status).toBe('COMPLETED');
  const accept = await run.post(`/api/orders/${orderId}/accept`);
  expect(accept.status).toBe(202);
  expect((await run.saga(accept.body.sagaId)).status).toBe('COMPLETED');
  return orderId;
}

/** Delivers and completes an accepted order; returns it as its customer sees it. */
async function completedOrder(cust: ApiClient, run: ApiClient, orderId: string) {
  for (const status of DELIVERY_STEPS) expect((await run.post(`/api/orders/${orderId}/progress`, { status })).status).toBe(200);
  const complete = await run.post(`/api/orders/${orderId}/complete`);
  expect((await run.saga(complete.body.sagaId)).status).toBe('COMPLETED');
  return cust.orderIn(orderId, 'COMPLETED');
}

describe('PATCH /api/me', () => {
  it('changes the name and the phone, and removes the phone with null', async () => {
    const u = await sys.client().register('Pat');
    const res = await u.request('PATCH', '/api/me', { name: 'Patricia', phone: '+65 9123-4567' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: u.user.id, name: 'Patricia', phone: '+65 9123-4567' });
    expect((await u.request('PATCH', '/api/me', { name: 'Pat' })).body).toMatchObject({ name: 'Pat', phone: '+65 9123-4567' });
    expect((await u.request('PATCH', '/api/me', { phone: null })).body).toMatchObject({ name: 'Pat', phone: null });
    expect((await u.get('/api/me')).body).toMatchObject({ name: 'Pat', phone: null });
  });

  it.each([
    [{ phone: '12345' }, 'phone'],
    [{ phone: 'call me maybe' }, 'phone'],
    [{ phone: '123456789012345678901' }, 'phone'],
    [{ name: '' }, 'name'],
    [{ name: 'x'.repeat(101) }, 'name'],
    [{ name: 42 }, 'name'],
  ])('refuses %j with 400 naming %s, changing nothing', async (body, path) => {
    const u = await sys.client().register('Val');
    const res = await u.request('PATCH', '/api/me', body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors.map((e: any) => e.path)).toContain(path);
    expect((await u.get('/api/me')).body).toMatchObject({ name: 'Val', phone: null });
  });
});

describe('the people on an order', () => {
  it('shows names and ratings, the acceptance deadline while CREATED, and phones only to the counterpart while active', async () => {
    const cust = await customer('Carol');
    const run = await runner('Rita');
    const other = await runner('Otto');
    await cust.request('PATCH', '/api/me', { phone: '+65 8111 2222' });
    await run.request('PATCH', '/api/me', { phone: '+65 9333 4444' });

    const before = Date.now();
    const { orderId, sagaId } = await cust.createOrder();
    expect((await cust.saga(sagaId)).status).toBe('COMPLETED');
    const open = await cust.orderIn(orderId, 'CREATED');
    expect(open.customer).toEqual({ id: cust.user.id, name: 'Carol', rating: { average: null, count: 0 } });
    expect(open.runner).toBeNull();
    // The default window is 30 minutes from when the order opened.
    const left = Date.parse(open.acceptBy) - before;
    expect(left).toBeGreaterThan(29 * 60_000);
    expect(left).toBeLessThanOrEqual(30 * 60_000 + 60_000);
    const seenByRunner = (await other.get('/api/orders/available')).body.items.find((o: any) => o.id === orderId);
    expect(seenByRunner).toMatchObject({ acceptBy: open.acceptBy, customer: { name: 'Carol' } });
    expect(seenByRunner.customer).not.toHaveProperty('phone');

    const accept = await run.post(`/api/orders/${orderId}/accept`);
    expect((await run.saga(accept.body.sagaId)).status).toBe('COMPLETED');
    const accepted = await cust.orderIn(orderId, 'ACCEPTED');
    expect(accepted.acceptBy).toBeNull();
    expect(accepted.runner).toEqual({ id: run.user.id, name: 'Rita', rating: { average: null, count: 0 }, phone: '+65 9333 4444' });
    expect(accepted.customer).not.toHaveProperty('phone');
    const asRunner = (await run.get(`/api/orders/${orderId}`)).body;
    expect(asRunner.customer.phone).toBe('+65 8111 2222');
    expect(asRunner.runner).not.toHaveProperty('phone');
    // The runner's list shows the same.
    const listed = (await run.get('/api/orders?as=runner')).body.items.find((o: any) => o.id === orderId);
    expect(listed.customer.phone).toBe('+65 8111 2222');

    const done = await completedOrder(cust, run, orderId);
    expect(done.runner).toMatchObject({ id: run.user.id, name: 'Rita' });
    expect(done.runner).not.toHaveProperty('phone');
    expect((await run.get(`/api/orders/${orderId}`)).body.customer).not.toHaveProperty('phone');
  });

  it('follows a name change', async () => {
    const cust = await customer('Carla');
    const { orderId, sagaId } = await cust.createOrder();
    await cust.saga(sagaId);
    await cust.request('PATCH', '/api/me', { name: 'Carla Tan' });
    await waitFor(async () => (await cust.get(`/api/orders/${orderId}`)).body.customer.name === 'Carla Tan', 'the new name on the order');
  });
});

describe('POST /api/orders/{id}/rating', () => {
  it('lets each party rate the other once, after completion, and updates the averages', async () => {
    const cust = await customer('Cleo');
    const run = await runner('Ravi');
    const stranger = await runner('Sam');
    const orderId = await acceptedOrder(cust, run);
    const early = await cust.post(`/api/orders/${orderId}/rating`, { stars: 5 });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('INVALID_TRANSITION');
    await completedOrder(cust, run, orderId);

    expect((await stranger.post(`/api/orders/${orderId}/rating`, { stars: 1 })).status).toBe(404);
    for (const [body, path] of [
      [{ stars: 0 }, 'stars'],
      [{ stars: 6 }, 'stars'],
      [{ stars: 4.5 }, 'stars'],
      [{}, 'stars'],
      [{ stars: 3, comment: 'x'.repeat(201) }, 'comment'],
    ] as const) {
      const bad = await cust.post(`/api/orders/${orderId}/rating`, body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.errors.map((e: any) => e.path)).toContain(path);
    }

    const rated = await cust.post(`/api/orders/${orderId}/rating`, { stars: 5, comment: 'Fast and friendly' });
    expect(rated.status).toBe(201);
    expect(rated.body).toMatchObject({
      orderId,
      raterId: cust.user.id,
      rateeId: run.user.id,
      stars: 5,
      comment: 'Fast and friendly',
      rateeRating: { average: 5, count: 1 },
    });
    const again = await cust.post(`/api/orders/${orderId}/rating`, { stars: 1 });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ALREADY_RATED');
    // Read your own write: the rater sees the runner's new average at once.
    expect((await cust.get(`/api/orders/${orderId}`)).body.runner.rating).toEqual({ average: 5, count: 1 });

    expect((await run.post(`/api/orders/${orderId}/rating`, { stars: 4 })).status).toBe(201);
    const seen = (await run.get(`/api/orders/${orderId}`)).body;
    expect(seen.customer.rating).toEqual({ average: 4, count: 1 });

    // A second order with the same runner: the average is over both.
    const second = await acceptedOrder(cust, run);
    await completedOrder(cust, run, second);
    expect((await cust.post(`/api/orders/${second}/rating`, { stars: 2 })).status).toBe(201);
    expect((await cust.get(`/api/orders/${second}`)).body.runner.rating).toEqual({ average: 3.5, count: 2 });
    const onTimeline = async () =>
      (await cust.get(`/api/orders/${orderId}/timeline`)).body.items.some((i: any) => i.type === 'order.rated');
    await waitFor(onTimeline, 'the rating on the timeline');
  });
});

describe('the payout account', () => {
  it('is 403 for users who are not runners', async () => {
    const u = await sys.client().register('Nora');
    for (const res of [await u.get('/api/me/payout-account'), await u.put('/api/me/payout-account', { accountNumber: '12345678' })]) {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    }
  });

  it('is created on becoming a runner, can be replaced, and complete-order pays the account current at completion', async () => {
    const cust = await customer('Cody');
    const run = await runner('Rosa');
    const first = await run.get('/api/me/payout-account');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ accountId: expect.stringMatching(/^acct_sandbox_/), last4: null });

    for (const accountNumber of ['12345', 'abcdefgh', '1'.repeat(21)]) {
      const bad = await run.put('/api/me/payout-account', { accountNumber });
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].path).toBe('accountNumber');
    }
    expect((await run.get('/api/me/payout-account')).body).toEqual(first.body);

    const orderId = await acceptedOrder(cust, run);
    const replaced = await run.put('/api/me/payout-account', { accountNumber: '001234567890' });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ last4: '7890' });
    expect(replaced.body.accountId).not.toBe(first.body.accountId);
    expect((await run.get('/api/me/payout-account')).body).toEqual(replaced.body);

    await completedOrder(cust, run, orderId);
    const paid = await waitFor(async () => {
      const p = (await run.get(`/api/orders/${orderId}/payment`)).body;
      return p.status === 'RELEASED' ? p : undefined;
    }, 'the payout');
    expect(paid.payoutAccountId).toBe(replaced.body.accountId);
    // Where the money went is the runner's business only.
    expect((await cust.get(`/api/orders/${orderId}/payment`)).body.payoutAccountId).toBeNull();
  });
});

describe('GET /api/orders: search and several statuses', () => {
  it('matches the store and item names case-insensitively and takes several statuses', async () => {
    const cust = await customer('Quinn');
    const base = sampleOrderBody();
    const noodles = { ...base, store: { ...base.store, name: 'Noodle Bar' }, items: [{ name: 'Laksa', quantity: 1, priceCents: 600 }] };
    const rice = { ...base, store: { ...base.store, name: 'Koufu 100%' }, items: [{ name: 'Duck RICE', quantity: 1, priceCents: 550 }] };
    const a = await cust.createOrder(noodles);
    const b = await cust.createOrder(rice);
    await cust.saga(a.sagaId);
    await cust.saga(b.sagaId);
    const cancel = await cust.post(`/api/orders/${b.orderId}/cancel`);
    await cust.saga(cancel.body.sagaId);
    await cust.orderIn(b.orderId, 'CANCELLED');

    const ids = async (query: string) => (await cust.get(`/api/orders?${query}`)).body.items.map((o: any) => o.id);
    expect(await ids('q=noodle')).toEqual([a.orderId]);
    expect(await ids('q=rice')).toEqual([b.orderId]);
    expect(await ids('q=LAKSA')).toEqual([a.orderId]);
    expect(await ids('q=100%25')).toEqual([b.orderId]);
    expect(await ids('q=_')).toEqual([]);
    expect(await ids('q=sushi')).toEqual([]);
    expect(await ids('status=CREATED')).toEqual([a.orderId]);
    expect(await ids('status=CREATED&status=CANCELLED')).toEqual([b.orderId, a.orderId]);
    expect(await ids('status=CANCELLED&q=noodle')).toEqual([]);
    const bad = await cust.get('/api/orders?status=CREATED&status=LOST');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    expect((await cust.get(`/api/orders?q=${'x'.repeat(101)}`)).status).toBe(400);
  });
});
