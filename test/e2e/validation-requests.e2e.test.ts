import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../support/client.ts';
import { sampleOrderBody } from '../support/fixtures.ts';
import { invalidOrderBodies } from './validation-order-cases.ts';
import {
  email,
  errorBodies,
  expectInvalid,
  expectNothingCreated,
  expectProblem,
  LEAK,
  PASSWORD,
  registered,
  sys,
  useValidationSystem,
} from './validation-support.ts';

/**
 * The validation rules of docs/http-api.md for orders and for every query string and path id: 400
 * VALIDATION_FAILED problem+json naming the field, nothing created, no internals in the body, and
 * the server keeps answering.
 */

useValidationSystem();

describe('POST /api/orders', () => {
  let v: ApiClient;
  beforeAll(async () => {
    v = await (await registered('Vic')).addCard();
  });
  it.each(invalidOrderBodies)('rejects %s', async (_what, mutate, path) => {
    const body: any = sampleOrderBody();
    mutate(body);
    expectInvalid(await v.post('/api/orders', body), path);
  });

  it.each([
    ['an empty object', '{}'],
    ['an array', '[]'],
    ['null', 'null'],
    ['a string', '"order"'],
    ['a number', '42'],
  ])('rejects a body that is %s', async (_what, raw) => {
    const res = await v.post('/api/orders', raw);
    expectInvalid(res, /.*/);
  });

  it('rejects a POST without any body', async () => {
    expectProblem(await v.post('/api/orders'), 400, 'VALIDATION_FAILED');
  });

  it.each([
    ['truncated JSON', '{"store": {"name": "Koufu"'],
    ['single quotes', "{'store': 1}"],
    ['trailing garbage', `${JSON.stringify(sampleOrderBody())} trailing`],
    ['a bare word', 'undefined'],
  ])('rejects malformed JSON (%s) with 400', async (_what, raw) => {
    expectProblem(await v.post('/api/orders', raw), 400, 'VALIDATION_FAILED');
  });

  it.each([
    ['text/plain', JSON.stringify(sampleOrderBody())],
    ['application/x-www-form-urlencoded', 'store=Koufu&deliveryFeeCents=300'],
    ['application/xml', '<order/>'],
  ])('rejects a body sent as %s with 400', async (type, raw) => {
    expectProblem(await v.post('/api/orders', raw, { 'content-type': type }), 400, 'VALIDATION_FAILED');
  });

  it('rejects bodies over 64 KiB with 413 PAYLOAD_TOO_LARGE, and one just under with 400', async () => {
    const big = sampleOrderBody({ instructions: 'x'.repeat(65 * 1024) });
    expectProblem(await v.post('/api/orders', big), 413, 'PAYLOAD_TOO_LARGE');
    const under = sampleOrderBody({ instructions: 'x'.repeat(60 * 1024) });
    expectInvalid(await v.post('/api/orders', under), 'instructions');
    const bigRegister = { email: email(), password: PASSWORD, name: 'x'.repeat(70 * 1024) };
    expectProblem(await sys.client().post('/api/auth/register', bigRegister), 413, 'PAYLOAD_TOO_LARGE');
  });

  it.each([
    ['256 characters', 'k'.repeat(256)],
    ['empty', ''],
  ])('rejects an Idempotency-Key of %s with 400', async (_what, key) => {
    expectInvalid(await v.post('/api/orders', sampleOrderBody(), { 'idempotency-key': key }), /idempotency-key/i);
  });

  it('created nothing for any rejected request', async () => {
    await expectNothingCreated(v);
  });

  it('accepts the boundaries and ignores unknown fields; the server computes the totals', async () => {
    const u = await (await registered('Bound')).addCard();
    const edge = {
      store: { name: 'S'.repeat(100), location: 'L'.repeat(200), rating: 5 },
      items: Array.from({ length: 50 }, (_, i) => ({
        name: `${i}`.padEnd(100, 'n'),
        quantity: i === 0 ? 99 : 1,
        priceCents: i === 1 ? 100000 : 0,
        note: 'x',
      })),
      deliveryFeeCents: 5000,
      deliveryLocation: { building: 'B'.repeat(100), room: 'R'.repeat(50), floor: 3 },
      instructions: 'i'.repeat(200),
      totalCents: 1,
      foodCents: 1,
      status: 'COMPLETED',
      customerId: '00000000-0000-4000-8000-000000000000',
    };
    const res = await u.post('/api/orders', edge, { 'idempotency-key': 'k'.repeat(255) });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.status).toBe('PENDING');
    await u.saga(res.body.sagaId);
    const order = (await u.get(`/api/orders/${res.body.orderId}`)).body;
    expect(order).toMatchObject({ customerId: u.user.id, foodCents: 100000, deliveryFeeCents: 5000, totalCents: 105000 });
    expect(order.store).toEqual({ name: 'S'.repeat(100), location: 'L'.repeat(200) });
    expect(order.deliveryLocation).toEqual({ building: 'B'.repeat(100), room: 'R'.repeat(50) });
    expect(order.items[0]).toEqual({ name: '0'.padEnd(100, 'n'), quantity: 99, priceCents: 0 });

    const low = sampleOrderBody({
      items: [{ name: 'N', quantity: 1, priceCents: 0 }],
      deliveryFeeCents: 100,
      store: { name: 'S', location: 'L' },
      deliveryLocation: { building: 'B', room: 'R' },
      instructions: null,
    });
    const lowRes = await u.post('/api/orders', low, { 'idempotency-key': 'k', 'content-type': 'application/json; charset=utf-8' });
    expect(lowRes.status, JSON.stringify(lowRes.body)).toBe(202);
    await u.saga(lowRes.body.sagaId);
    const noInstructions: any = sampleOrderBody();
    delete noInstructions.instructions;
    const third = await u.post('/api/orders', noInstructions);
    expect(third.status).toBe(202);
    await u.saga(third.body.sagaId);
    expect((await u.get(`/api/orders/${third.body.orderId}`)).body.instructions).toBeNull();
  });
});

describe('other request bodies', () => {
  it('POST /api/orders/{id}/progress rejects a status outside PLACED, ON_THE_WAY, DELIVERED', async () => {
    const u = await registered('Prog');
    const id = '00000000-0000-4000-8000-000000000000';
    for (const status of ['COMPLETED', 'ACCEPTED', 'placed', '', 5]) {
      expectInvalid(await u.post(`/api/orders/${id}/progress`, { status }), 'status');
    }
    expectInvalid(await u.post(`/api/orders/${id}/progress`, {}), 'status');
  });
});

describe('query strings', () => {
  let u: ApiClient;
  let runner: ApiClient;
  beforeAll(async () => {
    u = await registered('Query');
    runner = await (await registered('Qrunner')).becomeRunner();
  });
  const badCursor = Buffer.from('not-a-date|nope').toString('base64url');
  it.each([
    ['/api/orders?limit=0', 'limit'],
    ['/api/orders?limit=101', 'limit'],
    ['/api/orders?limit=-1', 'limit'],
    ['/api/orders?limit=1.5', 'limit'],
    ['/api/orders?limit=ten', 'limit'],
    ['/api/orders?cursor=garbage', 'cursor'],
    [`/api/orders?cursor=${badCursor}`, 'cursor'],
    [`/api/orders?cursor=${'c'.repeat(501)}`, 'cursor'],
    ['/api/orders?as=admin', 'as'],
    ['/api/orders?status=LOST', 'status'],
    ['/api/notifications?unread=yes', 'unread'],
  ])('GET %s → 400 naming %s', async (path, field) => {
    expectInvalid(await u.get(path), field);
  });
  it.each([
    ['/api/orders/available?limit=0', 'limit'],
    ['/api/orders/available?limit=101', 'limit'],
    ['/api/orders/available?cursor=garbage', 'cursor'],
  ])('GET %s (runner) → 400 naming %s', async (path, field) => {
    expectInvalid(await runner.get(path), field);
  });
  it('accepts limit 1 and 100, as=runner, a status, unread=true', async () => {
    for (const path of [
      '/api/orders?limit=1',
      '/api/orders?limit=100',
      '/api/orders?as=runner&status=CREATED',
      '/api/notifications?unread=true',
    ]) {
      expect((await u.get(path)).status, path).toBe(200);
    }
    expect((await runner.get('/api/orders/available?limit=100')).status).toBe(200);
  });
});

describe('ids in the path', () => {
  const routes: [string, string][] = [
    ['GET', '/api/orders/{id}'],
    ['GET', '/api/orders/{id}/payment'],
    ['GET', '/api/orders/{id}/timeline'],
    ['POST', '/api/orders/{id}/accept'],
    ['POST', '/api/orders/{id}/progress'],
    ['POST', '/api/orders/{id}/complete'],
    ['POST', '/api/orders/{id}/cancel'],
    ['POST', '/api/orders/{id}/release'],
    ['POST', '/api/orders/{id}/rating'],
    ['GET', '/api/sagas/{id}'],
    ['POST', '/api/notifications/{id}/read'],
  ];
  const badIds = ['not-a-uuid', '123', "1'%20or%20'1'='1", '00000000-0000-4000-8000-00000000000', '00000000-0000-4000-8000-0000000000000'];
  it.each(routes)('%s %s with a non-UUID id → 404 NOT_FOUND', async (method, template) => {
    const u = await (await registered('Ids')).becomeRunner();
    for (const id of badIds) {
      const body = template.endsWith('/progress') ? { status: 'PLACED' } : template.endsWith('/rating') ? { stars: 5 } : undefined;
      const res = await u.request(method, template.replace('{id}', id), body);
      expectProblem(res, 404, 'NOT_FOUND');
    }
  });
});

describe('after all of that', () => {
  it('the server still answers /health and takes a normal order', async () => {
    const health = await fetch(`${sys.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const c = await (await registered('Normal')).addCard();
    const { orderId, sagaId } = await c.createOrder();
    expect((await c.saga(sagaId)).status).toBe('COMPLETED');
    expect((await c.orderIn(orderId, 'CREATED')).totalCents).toBe(1380);
  });

  it('no error body carried a stack trace or SQL', () => {
    expect(errorBodies.length).toBeGreaterThan(100);
    for (const body of errorBodies) expect(JSON.stringify(body)).not.toMatch(LEAK);
  });
});
