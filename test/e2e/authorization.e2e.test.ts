import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, ORDER_BODY, type Res, waitFor } from '../support/client.ts';
import { checkInvariants, quiesce } from '../support/invariants.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

/**
 * Who may call what (http-api.md): every /api route against callers without a valid token, and
 * every order-scoped route against the order's customer, its runner, other runners, other
 * customers and non-runners — with the exact status and problem code.
 */

const SECRET = 'authz-secret-authz-secret-authz-secret-42';
const PASSWORD = 'correct horse';
const LOGIN_RATE_LIMIT = 3;

let sys: TestSystem;

beforeAll(async () => {
  sys = await startSystem({ LOGIN_RATE_LIMIT: String(LOGIN_RATE_LIMIT), AUTH_SECRET: SECRET });
});
afterAll(async () => {
  if (!sys) return;
  await quiesce(sys.infra.db, sys.infra.transport);
  expect(await checkInvariants(sys.infra.db)).toEqual([]);
  await sys.close();
});

// ---------------------------------------------------------------------------------------------
// helpers

/** Asserts a problem+json answer with the given status and code, and that nothing internal leaks. */
function expectProblem(res: Res, status: number, code: string) {
  expect({ status: res.status, code: res.body?.code }, JSON.stringify(res.body)).toEqual({ status, code });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, code });
  const text = JSON.stringify(res.body);
  expect(text).not.toMatch(/stack|\n\s+at |\bat \S+ \(|\bselect |\binsert |node_modules|\.ts:\d+/i);
}

/** Asserts an expected answer: a success status, or a problem with its code. */
function expectAnswer(res: Res, status: number, code?: string) {
  if (code) expectProblem(res, status, code);
  else expect(res.status, JSON.stringify(res.body)).toBe(status);
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** An HS256 JWT shaped like the platform's, signed with `secret`. */
function mintToken(claims: Record<string, unknown>, secret = SECRET, header: Record<string, unknown> = { alg: 'HS256' }) {
  const now = Math.floor(Date.now() / 1000);
  const h = b64(header);
  const p = b64({ iss: 'campusg', iat: now, exp: now + 3600, jti: randomUUID(), ...claims });
  const sig = header.alg === 'none' ? '' : createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${sig}`;
}

/** Flips one character in the middle of a JWT's signature part. */
function tamperSignature(token: string) {
  const [h, p, s] = token.split('.') as [string, string, string];
  const i = Math.floor(s.length / 2);
  const flipped = s[i] === 'A' ? 'B' : 'A';
  return `${h}.${p}.${s.slice(0, i)}${flipped}${s.slice(i + 1)}`;
}

/** Replaces the subject of a real token, keeping its (now wrong) signature. */
function tamperPayload(token: string, sub: string) {
  const [h, p, s] = token.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  return `${h}.${b64({ ...payload, sub })}.${s}`;
}

function withToken(token: string | undefined): ApiClient {
  const c = sys.client();
  c.token = token;
  return c;
}

/** The session cookie from a response's Set-Cookie headers: its value and its attributes. */
function sessionCookie(res: Res): { value: string; attrs: string[] } | undefined {
  const raw = res.headers.getSetCookie().find((c) => c.startsWith('campusg_session='));
  if (!raw) return undefined;
  const [pair, ...attrs] = raw.split(';').map((s) => s.trim());
  return { value: decodeURIComponent(pair!.slice('campusg_session='.length)), attrs };
}

/** Opens /api/stream, returns its status and content type, then closes it. */
async function openStream(headers: Record<string, string>) {
  const ctl = new AbortController();
  const res = await fetch(`${sys.url}/api/stream`, { headers, signal: ctl.signal });
  const out = { status: res.status, type: res.headers.get('content-type'), body: undefined as any };
  if (res.status !== 200) out.body = await res.json();
  ctl.abort();
  return out;
}

// ---------------------------------------------------------------------------------------------
// the cast: users and orders in known states

type Who = 'customer' | 'otherCustomer' | 'nonRunner' | 'runnerA' | 'runnerB';
const users = {} as Record<Who | 'selfRunner', ApiClient>;
/** CREATED, nobody assigned. */
let created: { orderId: string; sagaId: string };
/** ACCEPTED by runnerA. */
let accepted: { orderId: string; sagaId: string; acceptSagaId: string };
/** CREATED, placed by a customer who is also a runner. */
let ownOrder: { orderId: string; sagaId: string };

async function createdOrder(c: ApiClient) {
  const o = await c.createOrder();
  expect((await c.saga(o.sagaId)).status).toBe('COMPLETED');
  await c.orderIn(o.orderId, 'CREATED');
  return o;
}

async function acceptedBy(cust: ApiClient, run: ApiClient) {
  const o = await createdOrder(cust);
  const res = await run.post(`/api/orders/${o.orderId}/accept`);
  expect(res.status).toBe(202);
  expect((await run.saga(res.body.sagaId)).status).toBe('COMPLETED');
  await cust.orderIn(o.orderId, 'ACCEPTED');
  return { ...o, acceptSagaId: res.body.sagaId as string };
}

beforeAll(async () => {
  const [customer, otherCustomer, nonRunner, runnerA, runnerB, selfRunner] = await Promise.all([
    sys
      .client()
      .register('Carol')
      .then((c) => c.addCard()),
    sys
      .client()
      .register('Olga')
      .then((c) => c.addCard()),
    sys.client().register('Nora'),
    sys
      .client()
      .register('Rita')
      .then((c) => c.becomeRunner()),
    sys
      .client()
      .register('Remy')
      .then((c) => c.becomeRunner()),
    sys
      .client()
      .register('Sam')
      .then((c) => c.addCard())
      .then((c) => c.becomeRunner()),
  ]);
  Object.assign(users, { customer, otherCustomer, nonRunner, runnerA, runnerB, selfRunner });
  [created, accepted, ownOrder] = await Promise.all([
    createdOrder(customer),
    acceptedBy(customer, runnerA),
    createdOrder(selfRunner),
    createdOrder(otherCustomer), // so the other customer has an order of their own
  ]);
});

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

// ---------------------------------------------------------------------------------------------

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
    { name: 'POST /api/orders', path: () => '/api/orders', body: () => ORDER_BODY },
    { name: 'GET /api/orders', path: () => '/api/orders' },
    { name: 'GET /api/orders/available', path: () => '/api/orders/available' },
    { name: 'GET /api/orders/{id}', path: () => `/api/orders/${created.orderId}` },
    { name: 'POST /api/orders/{id}/accept', path: () => `/api/orders/${created.orderId}/accept` },
    { name: 'POST /api/orders/{id}/progress', path: () => `/api/orders/${accepted.orderId}/progress`, body: () => ({ status: 'PLACED' }) },
    { name: 'POST /api/orders/{id}/complete', path: () => `/api/orders/${accepted.orderId}/complete` },
    { name: 'POST /api/orders/{id}/cancel', path: () => `/api/orders/${created.orderId}/cancel` },
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

describe('order-scoped routes × callers', () => {
  type Row = [route: string, who: Who, status: number, code?: string];
  const table = (route: string, expected: Partial<Record<Who, number | [number, string]>>): Row[] =>
    (Object.entries(expected) as [Who, number | [number, string]][]).map(([who, e]) =>
      typeof e === 'number' ? [route, who, e] : [route, who, e[0], e[1]],
    );
  const NF: [number, string] = [404, 'NOT_FOUND'];
  const FB: [number, string] = [403, 'FORBIDDEN'];

  /** Route templates: {created}, {accepted}, {unknown}, {createSaga}, {acceptSaga}. */
  const resolve = (route: string) => {
    const [method, template] = route.split(' ') as [string, string];
    const path = template
      .replace('{created}', created.orderId)
      .replace('{accepted}', accepted.orderId)
      .replace('{unknown}', UNKNOWN)
      .replace('{createSaga}', created.sagaId)
      .replace('{acceptSaga}', accepted.acceptSagaId);
    return { method, path };
  };

  const reads: Row[] = [
    // any runner may see an order while it is CREATED
    ...table('GET /api/orders/{created}', { customer: 200, otherCustomer: NF, nonRunner: NF, runnerA: 200, runnerB: 200 }),
    // once ACCEPTED only its customer and its runner
    ...table('GET /api/orders/{accepted}', { customer: 200, otherCustomer: NF, nonRunner: NF, runnerA: 200, runnerB: NF }),
    ...table('GET /api/orders/{unknown}', { customer: NF, otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
    // payment and timeline: its customer or its runner only
    ...table('GET /api/orders/{created}/payment', { customer: 200, otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
    ...table('GET /api/orders/{accepted}/payment', { customer: 200, otherCustomer: NF, nonRunner: NF, runnerA: 200, runnerB: NF }),
    ...table('GET /api/orders/{unknown}/payment', { customer: NF, otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
    ...table('GET /api/orders/{created}/timeline', { customer: 200, otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
    ...table('GET /api/orders/{accepted}/timeline', { customer: 200, otherCustomer: NF, nonRunner: NF, runnerA: 200, runnerB: NF }),
    ...table('GET /api/orders/{unknown}/timeline', { customer: NF, otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
    // a saga: only the user whose request started it
    ...table('GET /api/sagas/{createSaga}', { customer: 200, otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
    ...table('GET /api/sagas/{acceptSaga}', { customer: NF, otherCustomer: NF, nonRunner: NF, runnerA: 200, runnerB: NF }),
    ...table('GET /api/sagas/{unknown}', { customer: NF, otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
  ];
  it.each(reads)('%s as %s → %i %s', async (route, who, status, code) => {
    const { method, path } = resolve(route);
    const res = await users[who].request(method, path);
    expectAnswer(res, status, code);
    if (status === 200 && path.startsWith('/api/orders/') && !path.endsWith('/payment') && !path.endsWith('/timeline')) {
      expect(res.body.id).toBe(path.split('/')[3]);
    }
    if (status === 200 && path.endsWith('/payment')) expect(res.body.status).toBe('AUTHORIZED');
    if (status === 200 && path.endsWith('/timeline')) expect(res.body.items.length).toBeGreaterThan(0);
    if (status === 200 && path.startsWith('/api/sagas/')) expect(res.body.id).toBe(path.split('/')[3]);
  });

  /** Calls that would change nothing because they are refused. */
  const refused: Row[] = [
    ...table('POST /api/orders/{created}/accept', { customer: FB, otherCustomer: FB, nonRunner: FB }),
    ...table('POST /api/orders/{accepted}/accept', {
      customer: FB,
      otherCustomer: FB,
      nonRunner: FB,
      runnerA: [409, 'ORDER_NOT_AVAILABLE'],
      runnerB: [409, 'ORDER_NOT_AVAILABLE'],
    }),
    ...table('POST /api/orders/{unknown}/accept', { nonRunner: FB, runnerA: NF, runnerB: NF }),
    // progress: only the assigned runner; everyone else is told the order does not exist
    ...table('POST /api/orders/{accepted}/progress', { customer: NF, otherCustomer: NF, nonRunner: NF, runnerB: NF }),
    ...table('POST /api/orders/{created}/progress', { customer: NF, otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
    ...table('POST /api/orders/{unknown}/progress', { customer: NF, runnerA: NF }),
    // complete: only the assigned runner, and only when DELIVERED
    ...table('POST /api/orders/{accepted}/complete', {
      customer: NF,
      otherCustomer: NF,
      nonRunner: NF,
      runnerA: [409, 'INVALID_TRANSITION'],
      runnerB: NF,
    }),
    ...table('POST /api/orders/{created}/complete', { customer: NF, runnerA: NF, runnerB: NF }),
    ...table('POST /api/orders/{unknown}/complete', { runnerA: NF }),
    // cancel: only its customer
    ...table('POST /api/orders/{created}/cancel', { otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
    ...table('POST /api/orders/{accepted}/cancel', {
      customer: [409, 'ORDER_NOT_CANCELLABLE'],
      otherCustomer: NF,
      nonRunner: NF,
      runnerA: NF,
      runnerB: NF,
    }),
    ...table('POST /api/orders/{unknown}/cancel', { customer: NF }),
  ];
  it.each(refused)('%s as %s → %i %s', async (route, who, status, code) => {
    const { method, path } = resolve(route);
    const body = path.endsWith('/progress') ? { status: 'PLACED' } : undefined;
    expectAnswer(await users[who].request(method, path, body), status, code);
  });

  it('a customer who is also a runner cannot accept their own order (403 FORBIDDEN)', async () => {
    const own = await users.selfRunner.get(`/api/orders/${ownOrder.orderId}`);
    expect(own.status).toBe(200);
    expectProblem(await users.selfRunner.post(`/api/orders/${ownOrder.orderId}/accept`), 403, 'FORBIDDEN');
  });

  it('accepting an order that was cancelled before it ever became CREATED is 404: no runner could ever see it', async () => {
    // No card: the create-order saga cancels the order (NO_PAYMENT_METHOD) while it is still PENDING.
    const noCard = await sys.client().register('Nico');
    const o = await noCard.createOrder();
    expect((await noCard.saga(o.sagaId)).status).toBe('COMPENSATED');
    expect((await noCard.orderIn(o.orderId, 'CANCELLED')).cancelReason).toBe('NO_PAYMENT_METHOD');
    expectProblem(await users.runnerB.get(`/api/orders/${o.orderId}`), 404, 'NOT_FOUND');
    // http-api.md: "404 when the caller cannot see it" and "never leak existence".
    expectProblem(await users.runnerB.post(`/api/orders/${o.orderId}/accept`), 404, 'NOT_FOUND');
  });

  it('accepting an order its customer cancelled after it was CREATED is refused (404, or 409 ORDER_NOT_AVAILABLE)', async () => {
    const o = await createdOrder(users.otherCustomer);
    const cancel = await users.otherCustomer.post(`/api/orders/${o.orderId}/cancel`);
    expect(cancel.status).toBe(202);
    expect((await users.otherCustomer.saga(cancel.body.sagaId)).status).toBe('COMPLETED');
    const res = await users.runnerB.post(`/api/orders/${o.orderId}/accept`);
    if (res.status === 404) expectProblem(res, 404, 'NOT_FOUND');
    else expectProblem(res, 409, 'ORDER_NOT_AVAILABLE');
  });

  it('the refused calls changed nothing', async () => {
    await quiesce(sys.infra.db, sys.infra.transport);
    expect((await users.customer.get(`/api/orders/${created.orderId}`)).body).toMatchObject({ status: 'CREATED', runnerId: null });
    expect((await users.customer.get(`/api/orders/${accepted.orderId}`)).body).toMatchObject({
      status: 'ACCEPTED',
      runnerId: users.runnerA.user.id,
    });
    expect((await users.selfRunner.get(`/api/orders/${ownOrder.orderId}`)).body).toMatchObject({ status: 'CREATED', runnerId: null });
  });
});

describe('the assigned runner moves the order one step at a time', () => {
  it('refuses skipped and repeated steps with 409 INVALID_TRANSITION, other callers with 404, and completes only when DELIVERED', async () => {
    const { customer, runnerA, runnerB } = users;
    const o = await acceptedBy(customer, runnerA);
    const progress = (c: ApiClient, status: string) => c.post(`/api/orders/${o.orderId}/progress`, { status });
    const complete = (c: ApiClient) => c.post(`/api/orders/${o.orderId}/complete`);

    // ACCEPTED: only PLACED is next
    expectProblem(await progress(runnerA, 'ON_THE_WAY'), 409, 'INVALID_TRANSITION');
    expectProblem(await progress(runnerA, 'DELIVERED'), 409, 'INVALID_TRANSITION');
    expectProblem(await complete(runnerA), 409, 'INVALID_TRANSITION');
    expect((await progress(runnerA, 'PLACED')).body.status).toBe('PLACED');

    // PLACED: repeating or skipping is refused
    expectProblem(await progress(runnerA, 'PLACED'), 409, 'INVALID_TRANSITION');
    expectProblem(await progress(runnerA, 'DELIVERED'), 409, 'INVALID_TRANSITION');
    expectProblem(await complete(runnerA), 409, 'INVALID_TRANSITION');
    expectProblem(await progress(runnerB, 'ON_THE_WAY'), 404, 'NOT_FOUND');
    expectProblem(await progress(customer, 'ON_THE_WAY'), 404, 'NOT_FOUND');
    const onTheWay = await progress(runnerA, 'ON_THE_WAY');
    expect(onTheWay.status).toBe(200);
    expect(onTheWay.body.status).toBe('ON_THE_WAY');

    // ON_THE_WAY
    expectProblem(await progress(runnerA, 'PLACED'), 409, 'INVALID_TRANSITION');
    expectProblem(await complete(runnerA), 409, 'INVALID_TRANSITION');
    expect((await progress(runnerA, 'DELIVERED')).body.status).toBe('DELIVERED');

    // DELIVERED: nobody but the assigned runner may complete; others don't see it
    expectProblem(await progress(runnerA, 'DELIVERED'), 409, 'INVALID_TRANSITION');
    expectProblem(await complete(runnerB), 404, 'NOT_FOUND');
    expectProblem(await complete(customer), 404, 'NOT_FOUND');
    expectProblem(await complete(users.nonRunner), 404, 'NOT_FOUND');
    expectProblem(await runnerB.get(`/api/orders/${o.orderId}`), 404, 'NOT_FOUND');
    expectProblem(await customer.post(`/api/orders/${o.orderId}/cancel`), 409, 'ORDER_NOT_CANCELLABLE');
    expectProblem(await runnerA.post(`/api/orders/${o.orderId}/cancel`), 404, 'NOT_FOUND');

    const done = await complete(runnerA);
    expect(done.status).toBe(202);
    expect((await runnerA.saga(done.body.sagaId)).status).toBe('COMPLETED');
    await customer.orderIn(o.orderId, 'COMPLETED');
    expectProblem(await complete(runnerA), 409, 'INVALID_TRANSITION');
    expectProblem(await progress(runnerA, 'DELIVERED'), 409, 'INVALID_TRANSITION');

    // the complete-order saga is visible only to the runner who started it
    expect((await runnerA.get(`/api/sagas/${done.body.sagaId}`)).status).toBe(200);
    expectProblem(await customer.get(`/api/sagas/${done.body.sagaId}`), 404, 'NOT_FOUND');
    expectProblem(await runnerB.get(`/api/sagas/${done.body.sagaId}`), 404, 'NOT_FOUND');
    // and the completed order's payment and timeline stay with its two parties
    expect((await runnerA.get(`/api/orders/${o.orderId}/payment`)).body.status).toBe('RELEASED');
    expect((await customer.get(`/api/orders/${o.orderId}/timeline`)).status).toBe(200);
    expectProblem(await runnerB.get(`/api/orders/${o.orderId}/payment`), 404, 'NOT_FOUND');
    expectProblem(await runnerB.get(`/api/orders/${o.orderId}/timeline`), 404, 'NOT_FOUND');
  });
});

describe('cancel', () => {
  it('only the customer may cancel; the cancel saga is theirs alone', async () => {
    const { customer, otherCustomer, nonRunner, runnerA, runnerB } = users;
    const o = await createdOrder(customer);
    for (const c of [otherCustomer, nonRunner, runnerA, runnerB]) {
      expectProblem(await c.post(`/api/orders/${o.orderId}/cancel`), 404, 'NOT_FOUND');
    }
    expect((await customer.get(`/api/orders/${o.orderId}`)).body.status).toBe('CREATED');
    const res = await customer.post(`/api/orders/${o.orderId}/cancel`);
    expect(res.status).toBe(202);
    expect((await customer.saga(res.body.sagaId)).status).toBe('COMPLETED');
    for (const c of [otherCustomer, runnerA]) expectProblem(await c.get(`/api/sagas/${res.body.sagaId}`), 404, 'NOT_FOUND');
    await customer.orderIn(o.orderId, 'CANCELLED');
    // a cancelled order is no longer visible to runners
    expectProblem(await runnerB.get(`/api/orders/${o.orderId}`), 404, 'NOT_FOUND');
  });
});

describe('notifications', () => {
  it("marking someone else's notification read is 404 and changes nothing", async () => {
    const { customer, otherCustomer } = users;
    const first = await waitFor(async () => {
      const res = await customer.get('/api/notifications');
      return res.body.items.find((n: any) => !n.read);
    }, 'a notification for the customer');
    expectProblem(await otherCustomer.post(`/api/notifications/${first.id}/read`), 404, 'NOT_FOUND');
    expectProblem(await users.runnerA.post(`/api/notifications/${first.id}/read`), 404, 'NOT_FOUND');
    expectProblem(await customer.post(`/api/notifications/${UNKNOWN}/read`), 404, 'NOT_FOUND');
    const still = (await customer.get('/api/notifications')).body.items.find((n: any) => n.id === first.id);
    expect(still.read).toBe(false);
    expect((await customer.post(`/api/notifications/${first.id}/read`)).status).toBe(204);
    expect((await customer.get('/api/notifications')).body.items.find((n: any) => n.id === first.id).read).toBe(true);
  });
});

describe('sessions', () => {
  it('logout revokes exactly that token; another token of the same user keeps working', async () => {
    const a = await sys.client().register('Lou');
    const login = await sys.client().post('/api/auth/login', { email: a.user.email, password: PASSWORD });
    expect(login.status).toBe(200);
    const second = withToken(login.body.token);
    expect(login.body.token).not.toBe(a.token);
    expect((await a.get('/api/me')).status).toBe(200);
    expect((await second.get('/api/me')).status).toBe(200);

    const out = await a.post('/api/auth/logout');
    expect(out.status).toBe(204);
    expectProblem(await a.get('/api/me'), 401, 'UNAUTHENTICATED');
    expectProblem(await a.post('/api/auth/logout'), 401, 'UNAUTHENTICATED');
    expectProblem(
      await sys.client().request('GET', '/api/me', undefined, { cookie: `campusg_session=${a.token}` }),
      401,
      'UNAUTHENTICATED',
    );
    expectProblem(await a.post('/api/orders', ORDER_BODY), 401, 'UNAUTHENTICATED');
    const me = await second.get('/api/me');
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(a.user.id);
  });

  it('the session cookie set by register works without an Authorization header', async () => {
    const email = `cookie.${process.pid}.${Date.now()}@smu.edu.sg`;
    const reg = await sys.client().post('/api/auth/register', { email, password: PASSWORD, name: 'Coco' });
    expect(reg.status).toBe(201);
    const cookie = sessionCookie(reg);
    expect(cookie, 'register sets campusg_session').toBeDefined();
    expect(cookie!.value).toBe(reg.body.token);
    const attrs = cookie!.attrs.map((a) => a.toLowerCase());
    expect(attrs).toContain('httponly');
    expect(attrs).toContain('samesite=lax');
    expect(attrs).toContain('path=/');

    const me = await sys.client().request('GET', '/api/me', undefined, { cookie: `campusg_session=${encodeURIComponent(cookie!.value)}` });
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(email);
    const stream = await openStream({ cookie: `campusg_session=${encodeURIComponent(cookie!.value)}` });
    expect(stream.status).toBe(200);

    const login = await sys.client().post('/api/auth/login', { email, password: PASSWORD });
    const loginCookie = sessionCookie(login);
    expect(loginCookie?.value).toBe(login.body.token);
    expect(loginCookie!.attrs.map((a) => a.toLowerCase())).toEqual(expect.arrayContaining(['httponly', 'samesite=lax', 'path=/']));
  });

  it('wrong password and unknown email get the same 401 INVALID_CREDENTIALS answer', async () => {
    const u = await sys.client().register('Wanda');
    const wrong = await sys.client().post('/api/auth/login', { email: u.user.email, password: 'not the password' });
    const unknown = await sys.client().post('/api/auth/login', { email: `nobody.${Date.now()}@smu.edu.sg`, password: 'not the password' });
    expectProblem(wrong, 401, 'INVALID_CREDENTIALS');
    expectProblem(unknown, 401, 'INVALID_CREDENTIALS');
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.body.detail).toBe(wrong.body.detail);
    expect(unknown.headers.get('content-type')).toBe(wrong.headers.get('content-type'));
    expect(wrong.headers.getSetCookie().some((c) => c.startsWith('campusg_session='))).toBe(false);
  });

  it(`login is rate-limited per email after ${LOGIN_RATE_LIMIT} failures (429 RATE_LIMITED with retry-after)`, async () => {
    const u = await sys.client().register('Rory');
    const bystander = await sys.client().register('Bea');
    for (let i = 0; i < LOGIN_RATE_LIMIT; i++) {
      expectProblem(
        await sys.client().post('/api/auth/login', { email: u.user.email, password: `wrong-${i}-password` }),
        401,
        'INVALID_CREDENTIALS',
      );
    }
    // even the right password is refused now
    const limited = await sys.client().post('/api/auth/login', { email: u.user.email, password: PASSWORD });
    expectProblem(limited, 429, 'RATE_LIMITED');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    // the address is not blocked for other accounts yet, and tokens already issued still work
    expect((await sys.client().post('/api/auth/login', { email: bystander.user.email, password: PASSWORD })).status).toBe(200);
    expect((await u.get('/api/me')).status).toBe(200);
    // the per-email limit ignores case
    expectProblem(
      await sys.client().post('/api/auth/login', { email: u.user.email.toUpperCase(), password: PASSWORD }),
      429,
      'RATE_LIMITED',
    );
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

// Last: this blocks sign-ins from the test's address for the rest of the run.
describe('login rate limit per client address', () => {
  it('after enough failures from one address, even a new email with the right password gets 429', async () => {
    const victim = await sys.client().register('Vera');
    let limited: Res | undefined;
    for (let i = 0; i < 100 && !limited; i++) {
      const res = await sys.client().post('/api/auth/login', { email: `spray.${i}.${Date.now()}@smu.edu.sg`, password: 'wrong password' });
      if (res.status === 429) limited = res;
      else expectProblem(res, 401, 'INVALID_CREDENTIALS');
    }
    expect(limited, 'no 429 after 100 failed sign-ins with different emails from one address').toBeDefined();
    expectProblem(limited!, 429, 'RATE_LIMITED');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expectProblem(await sys.client().post('/api/auth/login', { email: victim.user.email, password: PASSWORD }), 429, 'RATE_LIMITED');
    // tokens already issued keep working
    expect((await victim.get('/api/me')).status).toBe(200);
  });
});
