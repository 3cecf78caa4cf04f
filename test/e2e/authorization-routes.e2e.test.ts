import { describe, expect, it } from 'vitest';
import { sampleOrderBody } from '../support/fixtures.ts';
import {
  accepted,
  created,
  expectProblem,
  mintToken,
  openStream,
  ownOrder,
  SECRET,
  sys,
  tamperPayload,
  tamperSignature,
  UNKNOWN,
  useAuthorizationSystem,
  useCast,
  users,
  type Who,
  withToken,
} from './authorization-support.ts';

/**
 * Who may call which route (docs/http-api.md): every /api route against callers without a valid token,
 * the routes open to any signed-in user, the runners' list, unknown routes and the runner role.
 */

useAuthorizationSystem();
useCast();

describe('callers without a valid token get 401 UNAUTHENTICATED on every protected route', () => {
  type Route = { name: string; path: () => string; body?: () => unknown };
  const routes: Route[] = [
    { name: 'POST /api/auth/logout', path: () => '/api/auth/logout' },
    { name: 'GET /api/me', path: () => '/api/me' },
    {
      name: 'PUT /api/me/card',
      path: () => '/api/me/card',
      body: () => ({ number: '4242424242424242', expMonth: 12, expYear: 2031, cvc: '123' }),
    },
    { name: 'DELETE /api/me/card', path: () => '/api/me/card' },
    { name: 'POST /api/me/runner', path: () => '/api/me/runner' },
    { name: 'PATCH /api/me', path: () => '/api/me', body: () => ({ name: 'Mallory' }) },
    { name: 'GET /api/me/payout-account', path: () => '/api/me/payout-account' },
    { name: 'PUT /api/me/payout-account', path: () => '/api/me/payout-account', body: () => ({ accountNumber: '12345678' }) },
    { name: 'POST /api/orders', path: () => '/api/orders', body: () => sampleOrderBody() },
    { name: 'GET /api/orders', path: () => '/api/orders' },
    { name: 'GET /api/orders/available', path: () => '/api/orders/available' },
    { name: 'GET /api/orders/{id}', path: () => `/api/orders/${created.orderId}` },
    { name: 'POST /api/orders/{id}/accept', path: () => `/api/orders/${created.orderId}/accept` },
    { name: 'POST /api/orders/{id}/progress', path: () => `/api/orders/${accepted.orderId}/progress`, body: () => ({ status: 'PLACED' }) },
    { name: 'POST /api/orders/{id}/complete', path: () => `/api/orders/${accepted.orderId}/complete` },
    { name: 'POST /api/orders/{id}/cancel', path: () => `/api/orders/${created.orderId}/cancel` },
    { name: 'POST /api/orders/{id}/release', path: () => `/api/orders/${accepted.orderId}/release` },
    { name: 'POST /api/orders/{id}/rating', path: () => `/api/orders/${accepted.orderId}/rating`, body: () => ({ stars: 1 }) },
    { name: 'GET /api/orders/{id}/payment', path: () => `/api/orders/${created.orderId}/payment` },
    { name: 'GET /api/orders/{id}/timeline', path: () => `/api/orders/${created.orderId}/timeline` },
    { name: 'GET /api/sagas/{id}', path: () => `/api/sagas/${created.sagaId}` },
    { name: 'GET /api/wallet', path: () => '/api/wallet' },
    { name: 'GET /api/notifications', path: () => '/api/notifications' },
    { name: 'POST /api/notifications/{id}/read', path: () => `/api/notifications/${UNKNOWN}/read` },
  ];
  const callers: [string, () => Promise<Record<string, string>>][] = [
    ['anonymous', async () => ({})],
    ['a garbage bearer token', async () => ({ authorization: 'Bearer garbage' })],
    ['an empty bearer token', async () => ({ authorization: 'Bearer ' })],
    ['a non-bearer Authorization header', async () => ({ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })],
    [
      'a real token with a flipped signature character',
      async () => ({ authorization: `Bearer ${tamperSignature(users.customer.token!)}` }),
    ],
    [
      'a real token whose subject was swapped',
      async () => ({ authorization: `Bearer ${tamperPayload(users.customer.token!, users.runnerA.user.id)}` }),
    ],
    [
      'an expired token (validly signed)',
      async () => ({ authorization: `Bearer ${mintToken({ sub: users.customer.user.id, iat: 1_700_000_000, exp: 1_700_000_600 })}` }),
    ],
    [
      'a token signed with another secret',
      async () => ({ authorization: `Bearer ${mintToken({ sub: users.customer.user.id }, 'another-secret-another-secret-another-1')}` }),
    ],
    [
      'an unsigned (alg none) token',
      async () => ({ authorization: `Bearer ${mintToken({ sub: users.customer.user.id }, SECRET, { alg: 'none', typ: 'JWT' })}` }),
    ],
    ['a token for a user that does not exist', async () => ({ authorization: `Bearer ${mintToken({ sub: UNKNOWN })}` })],
    ['a garbage session cookie', async () => ({ cookie: 'campusg_session=garbage' })],
  ];

  it('the minted-token helper is right: a fresh, validly signed token is accepted', async () => {
    const res = await withToken(mintToken({ sub: users.customer.user.id })).get('/api/me');
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(users.customer.user.id);
  });

  for (const [callerName, headersOf] of callers) {
    describe(callerName, () => {
      it.each(routes.map((r) => [r.name, r] as const))('%s → 401', async (name, route) => {
        const res = await sys.client().request(name.split(' ')[0]!, route.path(), route.body?.(), await headersOf());
        expectProblem(res, 401, 'UNAUTHENTICATED');
      });
      it('GET /api/stream → 401', async () => {
        const res = await openStream(await headersOf());
        expect(res.status).toBe(401);
        expect(res.type).toMatch(/^application\/problem\+json/);
        expect(res.body.code).toBe('UNAUTHENTICATED');
      });
    });
  }

  it('nothing was changed by the rejected calls', async () => {
    expect((await users.customer.get(`/api/orders/${created.orderId}`)).body.status).toBe('CREATED');
    expect((await users.customer.get(`/api/orders/${accepted.orderId}`)).body).toMatchObject({
      status: 'ACCEPTED',
      runnerId: users.runnerA.user.id,
    });
    expect((await users.customer.get('/api/me')).body.card).not.toBeNull();
    expect((await users.customer.get('/api/me')).body.roles).toEqual(['customer']);
    expect((await users.customer.get('/api/me')).body.name).not.toBe('Mallory');
  });
});

describe('routes any signed-in user may call', () => {
  const everyone: Who[] = ['customer', 'otherCustomer', 'nonRunner', 'runnerA', 'runnerB'];
  it.each(everyone)('%s gets 200 from /api/me, /api/orders, /api/wallet, /api/notifications and /api/stream', async (who) => {
    const c = users[who];
    const me = await c.get('/api/me');
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(c.user.id);
    expect((await c.get('/api/orders')).status).toBe(200);
    expect((await c.get('/api/orders?as=runner')).status).toBe(200);
    expect((await c.get('/api/wallet')).status).toBe(200);
    expect((await c.get('/api/notifications')).status).toBe(200);
    const stream = await openStream({ authorization: `Bearer ${c.token}` });
    expect(stream.status).toBe(200);
    expect(stream.type).toMatch(/^text\/event-stream/);
  });

  it("GET /api/orders lists only the caller's own orders", async () => {
    const mine = (await users.customer.get('/api/orders')).body.items.map((o: any) => o.id);
    expect(mine).toEqual(expect.arrayContaining([created.orderId, accepted.orderId]));
    expect((await users.otherCustomer.get('/api/orders')).body.items.map((o: any) => o.id)).not.toContain(created.orderId);
    expect((await users.nonRunner.get('/api/orders')).body.items).toEqual([]);
    const asRunner = (await users.runnerA.get('/api/orders?as=runner')).body.items.map((o: any) => o.id);
    expect(asRunner).toEqual([accepted.orderId]);
    expect((await users.runnerB.get('/api/orders?as=runner')).body.items).toEqual([]);
  });
});

describe('GET /api/orders/available', () => {
  it.each(['customer', 'otherCustomer', 'nonRunner'] as const)('is 403 FORBIDDEN for a non-runner (%s)', async (who) => {
    expectProblem(await users[who].get('/api/orders/available'), 403, 'FORBIDDEN');
  });
  it("is 200 for runners, lists other customers' CREATED orders and never the caller's own", async () => {
    const ids = (await users.runnerB.get('/api/orders/available')).body.items.map((o: any) => o.id);
    expect(ids).toContain(created.orderId);
    expect(ids).toContain(ownOrder.orderId);
    expect(ids).not.toContain(accepted.orderId);
    const self = await users.selfRunner.get('/api/orders/available');
    expect(self.status).toBe(200);
    expect(self.body.items.map((o: any) => o.id)).not.toContain(ownOrder.orderId);
    expect(self.body.items.map((o: any) => o.id)).toContain(created.orderId);
  });
});

describe('the payout account, giving an order back, ratings', () => {
  it.each(['customer', 'otherCustomer', 'nonRunner'] as const)('the payout account is 403 FORBIDDEN for a non-runner (%s)', async (who) => {
    expectProblem(await users[who].get('/api/me/payout-account'), 403, 'FORBIDDEN');
    expectProblem(await users[who].put('/api/me/payout-account', { accountNumber: '12345678' }), 403, 'FORBIDDEN');
  });
  it("the payout account is each runner's own", async () => {
    const a = (await users.runnerA.get('/api/me/payout-account')).body;
    const b = (await users.runnerB.get('/api/me/payout-account')).body;
    expect(a.accountId).toMatch(/^acct_sandbox_/);
    expect(b.accountId).toMatch(/^acct_sandbox_/);
    expect(a.accountId).not.toBe(b.accountId);
  });
  it.each(['customer', 'otherCustomer', 'nonRunner', 'runnerB'] as const)(
    'giving the order back is 404 NOT_FOUND for anyone but its runner (%s), and changes nothing',
    async (who) => {
      expectProblem(await users[who].post(`/api/orders/${accepted.orderId}/release`), 404, 'NOT_FOUND');
      expectProblem(await users[who].post(`/api/orders/${created.orderId}/release`), 404, 'NOT_FOUND');
      expect((await users.customer.get(`/api/orders/${accepted.orderId}`)).body).toMatchObject({
        status: 'ACCEPTED',
        runnerId: users.runnerA.user.id,
      });
    },
  );
  it.each(['otherCustomer', 'nonRunner', 'runnerB'] as const)('rating the order is 404 NOT_FOUND for a non-party (%s)', async (who) => {
    expectProblem(await users[who].post(`/api/orders/${accepted.orderId}/rating`, { stars: 1 }), 404, 'NOT_FOUND');
  });
  it('its parties may not rate it before it is completed: 409 INVALID_TRANSITION', async () => {
    expectProblem(await users.customer.post(`/api/orders/${accepted.orderId}/rating`, { stars: 1 }), 409, 'INVALID_TRANSITION');
    expectProblem(await users.runnerA.post(`/api/orders/${accepted.orderId}/rating`, { stars: 1 }), 409, 'INVALID_TRANSITION');
  });
});

describe('misc', () => {
  it.each([
    ['GET', '/api/nope'],
    ['GET', '/api/orders/x/y/z'],
    ['DELETE', '/api/orders'],
    ['POST', `/api/orders/${UNKNOWN}/teleport`],
  ])('unknown route %s %s → 404 problem+json', async (method, path) => {
    expectProblem(await users.customer.request(method, path), 404, 'NOT_FOUND');
    expectProblem(await sys.client().request(method, path), 404, 'NOT_FOUND');
  });

  it('POST /api/me/runner is idempotent: runner appears once', async () => {
    const u = await sys.client().register('Ida');
    const first = await u.post('/api/me/runner');
    const second = await u.post('/api/me/runner');
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    for (const roles of [first.body.roles, second.body.roles, (await u.get('/api/me')).body.roles]) {
      expect(roles.filter((r: string) => r === 'runner')).toHaveLength(1);
      expect(roles.filter((r: string) => r === 'customer')).toHaveLength(1);
    }
    // the new role takes effect on the existing token
    expect((await u.get('/api/orders/available')).status).toBe(200);
  });
});
