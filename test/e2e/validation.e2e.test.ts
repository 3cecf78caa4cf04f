import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, ORDER_BODY, type Res } from '../support/client.ts';
import { checkInvariants, quiesce } from '../support/invariants.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

/**
 * Every validation rule of http-api.md: 400 VALIDATION_FAILED problem+json naming the field,
 * nothing created, no internals in the body, and the server keeps answering.
 */

let sys: TestSystem;
/** Every error answer seen, checked for leaked internals at the end too. */
const errorBodies: unknown[] = [];

beforeAll(async () => {
  sys = await startSystem();
});
afterAll(async () => {
  if (!sys) return;
  await quiesce(sys.infra.db, sys.infra.transport);
  expect(await checkInvariants(sys.infra.db)).toEqual([]);
  await sys.close();
});

// ---------------------------------------------------------------------------------------------
// helpers

/** Stack frames, SQL and source paths: none may appear in an error body. */
const LEAK = /stack|\n\s+at |\bat \S+ \(|\bat \S+:\d+:\d+|\bselect |\binsert |\bupdate \S+ set\b|node_modules|\.ts:\d+|\.js:\d+/i;

function expectProblem(res: Res, status: number, code: string) {
  errorBodies.push(res.body);
  expect({ status: res.status, code: res.body?.code }, JSON.stringify(res.body)).toEqual({ status, code });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, code });
  expect(JSON.stringify(res.body)).not.toMatch(LEAK);
}

/** 400 VALIDATION_FAILED with an `errors` entry for `path` (a string, or a pattern for the path). */
function expectInvalid(res: Res, path: string | RegExp) {
  expectProblem(res, 400, 'VALIDATION_FAILED');
  expect(typeof res.body.detail).toBe('string');
  expect(Array.isArray(res.body.errors), JSON.stringify(res.body)).toBe(true);
  for (const e of res.body.errors) expect(e).toEqual({ path: expect.any(String), message: expect.any(String) });
  const paths: string[] = res.body.errors.map((e: any) => e.path);
  const hit = typeof path === 'string' ? paths.includes(path) : paths.some((p) => path.test(p));
  expect(hit, `errors ${JSON.stringify(res.body.errors)} name ${String(path)}`).toBe(true);
}

let seq = 0;
const uniq = () => `${process.pid}${Date.now().toString(36)}${++seq}`;
const email = (tag = 'v') => `${tag}.${uniq()}@smu.edu.sg`;
const PASSWORD = 'correct horse';

/** A syntactically valid address of exactly `n` characters (n ≥ 72): 64-char local part, long domain. */
function emailOfLength(n: number): string {
  const local = `${uniq()}${'x'.repeat(64)}`.slice(0, 64);
  const rest = n - 64 - 1 - 3;
  const chars = Array.from({ length: rest }, (_, i) => (i % 61 === 60 ? '.' : 'd'));
  if (chars[chars.length - 1] === '.') chars[chars.length - 1] = 'd';
  const address = `${local}@${chars.join('')}.sg`;
  expect(address).toHaveLength(n);
  return address;
}

/** Appends the Luhn check digit to `body`. */
function withLuhn(body: string): string {
  for (let d = 0; d <= 9; d++) {
    const n = `${body}${d}`;
    let sum = 0;
    for (let i = 0; i < n.length; i++) {
      let x = Number(n[n.length - 1 - i]);
      if (i % 2 === 1) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
      sum += x;
    }
    if (sum % 10 === 0) return n;
  }
  throw new Error('unreachable');
}

const orderBody = () => structuredClone(ORDER_BODY) as any;
const item = (i: number) => ({ name: `Item ${i}`, quantity: 1, priceCents: 100 });

async function registered(name: string) {
  return sys.client().register(name);
}

/** Nothing of this user's exists: no order, no saga, no idempotency key, no hold. */
async function expectNothingCreated(c: ApiClient) {
  await quiesce(sys.infra.db, sys.infra.transport);
  const list = await c.get('/api/orders');
  expect(list.status).toBe(200);
  expect(list.body.items).toEqual([]);
  const db = sys.infra.db;
  const [orders] = await db.query<{ n: number }>('select count(*)::int as n from orders.orders where customer_id = $1', [c.user.id]);
  const [sagas] = await db.query<{ n: number }>('select count(*)::int as n from sagas.instances where started_by = $1', [c.user.id]);
  const [keys] = await db.query<{ n: number }>('select count(*)::int as n from sagas.idempotency_keys where user_id = $1', [c.user.id]);
  expect({ orders: orders?.n, sagas: sagas?.n, keys: keys?.n }).toEqual({ orders: 0, sagas: 0, keys: 0 });
  expect((await c.get('/api/wallet')).body.heldCents).toBe(0);
}

// ---------------------------------------------------------------------------------------------

describe('POST /api/auth/register', () => {
  const valid = () => ({ email: email('reg'), password: PASSWORD, name: 'Valerie' });
  const cases: [string, (b: any) => void, string][] = [
    [
      'an email without @',
      (b) => {
        b.email = 'not-an-email';
      },
      'email',
    ],
    [
      'an email without a local part',
      (b) => {
        b.email = '@smu.edu.sg';
      },
      'email',
    ],
    [
      'an email with a space',
      (b) => {
        b.email = 'a b@smu.edu.sg';
      },
      'email',
    ],
    [
      'an email of 255 characters',
      (b) => {
        b.email = emailOfLength(255);
      },
      'email',
    ],
    [
      'an email that is a number',
      (b) => {
        b.email = 42;
      },
      'email',
    ],
    [
      'a missing email',
      (b) => {
        delete b.email;
      },
      'email',
    ],
    [
      'a password of 7 characters',
      (b) => {
        b.password = 'x'.repeat(7);
      },
      'password',
    ],
    [
      'a password of 129 characters',
      (b) => {
        b.password = 'x'.repeat(129);
      },
      'password',
    ],
    [
      'a missing password',
      (b) => {
        delete b.password;
      },
      'password',
    ],
    [
      'a password that is a number',
      (b) => {
        b.password = 12345678;
      },
      'password',
    ],
    [
      'an empty name',
      (b) => {
        b.name = '';
      },
      'name',
    ],
    [
      'a name of 101 characters',
      (b) => {
        b.name = 'n'.repeat(101);
      },
      'name',
    ],
    [
      'a missing name',
      (b) => {
        delete b.name;
      },
      'name',
    ],
  ];
  it.each(cases)('rejects %s, and creates no account', async (_what, mutate, path) => {
    const body = valid();
    const address = body.email;
    mutate(body);
    const res = await sys.client().post('/api/auth/register', body);
    expectInvalid(res, path);
    expect(res.headers.getSetCookie().some((c) => c.startsWith('campusg_session='))).toBe(false);
    // the valid address (where it was not the thing changed) is still free
    if (path !== 'email') {
      expect((await sys.client().post('/api/auth/register', { ...valid(), email: address })).status).toBe(201);
    }
  });

  it('accepts the boundaries: email of 254, password of 8 and 128, name of 1 and 100 characters', async () => {
    const bodies = [
      { email: emailOfLength(254), password: PASSWORD, name: 'Edge' },
      { email: email('p8'), password: 'x'.repeat(8), name: 'N' },
      { email: email('p128'), password: 'x'.repeat(128), name: 'n'.repeat(100) },
    ];
    for (const body of bodies) {
      const res = await sys.client().post('/api/auth/register', body);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.user.email).toBe(body.email);
    }
  });

  it('ignores unknown fields, including an attempt to grant roles', async () => {
    const res = await sys
      .client()
      .post('/api/auth/register', { ...valid(), roles: ['runner'], id: '00000000-0000-4000-8000-000000000000', admin: true });
    expect(res.status).toBe(201);
    expect(res.body.user.roles).toEqual(['customer']);
    expect(res.body.user.id).not.toBe('00000000-0000-4000-8000-000000000000');
    expect(res.body.user).not.toHaveProperty('admin');
  });

  it('refuses an email that is taken, case-insensitively, with 409 EMAIL_TAKEN', async () => {
    const tag = uniq();
    const first = await sys.client().post('/api/auth/register', { email: `Case.${tag}@SMU.edu.sg`, password: PASSWORD, name: 'Casey' });
    expect(first.status).toBe(201);
    for (const variant of [`case.${tag}@smu.edu.sg`, `CASE.${tag}@SMU.EDU.SG`, `Case.${tag}@SMU.edu.sg`]) {
      expectProblem(
        await sys.client().post('/api/auth/register', { email: variant, password: PASSWORD, name: 'Other' }),
        409,
        'EMAIL_TAKEN',
      );
    }
    expect((await sys.client().post('/api/auth/login', { email: `case.${tag}@smu.edu.sg`, password: PASSWORD })).body.user.id).toBe(
      first.body.user.id,
    );
  });

  it('rejects invalid login bodies with 400', async () => {
    expectInvalid(await sys.client().post('/api/auth/login', { password: PASSWORD }), 'email');
    expectInvalid(await sys.client().post('/api/auth/login', { email: email(), password: 5 }), 'password');
  });
});

describe('PUT /api/me/card', () => {
  let u: ApiClient;
  beforeAll(async () => {
    u = await registered('Cardie');
  });
  const now = new Date();
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() + 1;
  const valid = () => ({ number: '4242424242424242', expMonth: 12, expYear: year + 3, cvc: '123' });
  const cases: [string, (b: any) => void, string | RegExp][] = [
    [
      'a number failing Luhn',
      (b) => {
        b.number = '4242424242424241';
      },
      'number',
    ],
    [
      'a number of 11 digits',
      (b) => {
        b.number = withLuhn('4242424242');
      },
      'number',
    ],
    [
      'a number of 20 digits',
      (b) => {
        b.number = withLuhn('4242424242424242424');
      },
      'number',
    ],
    [
      'a number with letters',
      (b) => {
        b.number = '4242abcd42424242';
      },
      'number',
    ],
    [
      'a number given as a number',
      (b) => {
        b.number = 4242424242424242;
      },
      'number',
    ],
    [
      'a missing number',
      (b) => {
        delete b.number;
      },
      'number',
    ],
    [
      'an expired card (expYear 2020)',
      (b) => {
        b.expYear = 2020;
      },
      /^exp(Month|Year)$/,
    ],
    [
      'expMonth 13',
      (b) => {
        b.expMonth = 13;
      },
      'expMonth',
    ],
    [
      'expMonth 0',
      (b) => {
        b.expMonth = 0;
      },
      'expMonth',
    ],
    [
      'expMonth "12"',
      (b) => {
        b.expMonth = '12';
      },
      'expMonth',
    ],
    [
      'a cvc of 2 digits',
      (b) => {
        b.cvc = '12';
      },
      'cvc',
    ],
    [
      'a cvc of 5 digits',
      (b) => {
        b.cvc = '12345';
      },
      'cvc',
    ],
    [
      'a cvc with letters',
      (b) => {
        b.cvc = '12a';
      },
      'cvc',
    ],
    [
      'a missing cvc',
      (b) => {
        delete b.cvc;
      },
      'cvc',
    ],
  ];
  if (month > 1)
    cases.push([
      'a card that expired last month',
      (b) => {
        b.expMonth = month - 1;
        b.expYear = year;
      },
      /^exp(Month|Year)$/,
    ]);

  it.each(cases)('rejects %s, stores nothing and echoes no card data', async (_what, mutate, path) => {
    const body = valid();
    mutate(body);
    const res = await u.put('/api/me/card', body);
    expectInvalid(res, path);
    const text = JSON.stringify(res.body);
    if (typeof body.number === 'string' && body.number.length >= 12) expect(text).not.toContain(body.number);
    expect((await u.get('/api/me')).body.card).toBeNull();
  });

  it('accepts 12- and 19-digit numbers, spaces, a 4-digit cvc, a card expiring this month, unknown fields', async () => {
    const ok = [
      { number: withLuhn('42424242424'), expMonth: 12, expYear: year + 1, cvc: '123' },
      { number: withLuhn('424242424242424242'), expMonth: 1, expYear: year + 1, cvc: '1234' },
      { number: '4242 4242 4242 4242', expMonth: month, expYear: year, cvc: '123', holder: 'ignored' },
    ];
    for (const body of ok) {
      const res = await u.put('/api/me/card', body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.card).toMatchObject({
        last4: body.number.replace(/ /g, '').slice(-4),
        expMonth: body.expMonth,
        expYear: body.expYear,
      });
      expect(JSON.stringify(res.body)).not.toContain(body.number.replace(/ /g, ''));
    }
    expect((await u.delete('/api/me/card')).status).toBe(204);
    expect((await u.get('/api/me')).body.card).toBeNull();
  });
});

describe('POST /api/orders', () => {
  let v: ApiClient;
  beforeAll(async () => {
    v = await (await registered('Vic')).addCard();
  });
  const long = (n: number) => 'a'.repeat(n);
  const cases: [string, (b: any) => void, string][] = [
    [
      'no items',
      (b) => {
        b.items = [];
      },
      'items',
    ],
    [
      '51 items',
      (b) => {
        b.items = Array.from({ length: 51 }, (_, i) => item(i));
      },
      'items',
    ],
    [
      'items that is not an array',
      (b) => {
        b.items = { name: 'x', quantity: 1, priceCents: 1 };
      },
      'items',
    ],
    [
      'an item that is not an object',
      (b) => {
        b.items[1] = 'Chicken rice';
      },
      'items[1]',
    ],
    [
      'quantity 0',
      (b) => {
        b.items[0].quantity = 0;
      },
      'items[0].quantity',
    ],
    [
      'quantity 100',
      (b) => {
        b.items[1].quantity = 100;
      },
      'items[1].quantity',
    ],
    [
      'quantity 1.5',
      (b) => {
        b.items[0].quantity = 1.5;
      },
      'items[0].quantity',
    ],
    [
      'quantity "2"',
      (b) => {
        b.items[0].quantity = '2';
      },
      'items[0].quantity',
    ],
    [
      'quantity -1',
      (b) => {
        b.items[0].quantity = -1;
      },
      'items[0].quantity',
    ],
    [
      'quantity null',
      (b) => {
        b.items[0].quantity = null;
      },
      'items[0].quantity',
    ],
    [
      'a missing quantity',
      (b) => {
        delete b.items[0].quantity;
      },
      'items[0].quantity',
    ],
    [
      'priceCents -1',
      (b) => {
        b.items[0].priceCents = -1;
      },
      'items[0].priceCents',
    ],
    [
      'priceCents 100001',
      (b) => {
        b.items[1].priceCents = 100001;
      },
      'items[1].priceCents',
    ],
    [
      'priceCents 4.5',
      (b) => {
        b.items[0].priceCents = 4.5;
      },
      'items[0].priceCents',
    ],
    [
      'priceCents "450"',
      (b) => {
        b.items[0].priceCents = '450';
      },
      'items[0].priceCents',
    ],
    [
      'a missing priceCents',
      (b) => {
        delete b.items[0].priceCents;
      },
      'items[0].priceCents',
    ],
    [
      'an empty item name',
      (b) => {
        b.items[0].name = '';
      },
      'items[0].name',
    ],
    [
      'an item name of 101 characters',
      (b) => {
        b.items[1].name = long(101);
      },
      'items[1].name',
    ],
    [
      'a missing item name',
      (b) => {
        delete b.items[0].name;
      },
      'items[0].name',
    ],
    [
      'deliveryFeeCents 99',
      (b) => {
        b.deliveryFeeCents = 99;
      },
      'deliveryFeeCents',
    ],
    [
      'deliveryFeeCents 5001',
      (b) => {
        b.deliveryFeeCents = 5001;
      },
      'deliveryFeeCents',
    ],
    [
      'deliveryFeeCents 300.5',
      (b) => {
        b.deliveryFeeCents = 300.5;
      },
      'deliveryFeeCents',
    ],
    [
      'deliveryFeeCents "300"',
      (b) => {
        b.deliveryFeeCents = '300';
      },
      'deliveryFeeCents',
    ],
    [
      'a missing deliveryFeeCents',
      (b) => {
        delete b.deliveryFeeCents;
      },
      'deliveryFeeCents',
    ],
    [
      'an empty store name',
      (b) => {
        b.store.name = '';
      },
      'store.name',
    ],
    [
      'a store name of 101 characters',
      (b) => {
        b.store.name = long(101);
      },
      'store.name',
    ],
    [
      'an empty store location',
      (b) => {
        b.store.location = '';
      },
      'store.location',
    ],
    [
      'a store location of 201 characters',
      (b) => {
        b.store.location = long(201);
      },
      'store.location',
    ],
    [
      'a missing store location',
      (b) => {
        delete b.store.location;
      },
      'store.location',
    ],
    [
      'a missing store',
      (b) => {
        delete b.store;
      },
      'store',
    ],
    [
      'a store that is a string',
      (b) => {
        b.store = 'Koufu';
      },
      'store',
    ],
    [
      'an empty building',
      (b) => {
        b.deliveryLocation.building = '';
      },
      'deliveryLocation.building',
    ],
    [
      'a building of 101 characters',
      (b) => {
        b.deliveryLocation.building = long(101);
      },
      'deliveryLocation.building',
    ],
    [
      'an empty room',
      (b) => {
        b.deliveryLocation.room = '';
      },
      'deliveryLocation.room',
    ],
    [
      'a room of 51 characters',
      (b) => {
        b.deliveryLocation.room = long(51);
      },
      'deliveryLocation.room',
    ],
    [
      'a missing room',
      (b) => {
        delete b.deliveryLocation.room;
      },
      'deliveryLocation.room',
    ],
    [
      'a missing deliveryLocation',
      (b) => {
        delete b.deliveryLocation;
      },
      'deliveryLocation',
    ],
    [
      'a null deliveryLocation',
      (b) => {
        b.deliveryLocation = null;
      },
      'deliveryLocation',
    ],
    [
      'instructions of 201 characters',
      (b) => {
        b.instructions = long(201);
      },
      'instructions',
    ],
    [
      'instructions that are a number',
      (b) => {
        b.instructions = 5;
      },
      'instructions',
    ],
  ];
  it.each(cases)('rejects %s', async (_what, mutate, path) => {
    const body = orderBody();
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
    ['trailing garbage', `${JSON.stringify(ORDER_BODY)} trailing`],
    ['a bare word', 'undefined'],
  ])('rejects malformed JSON (%s) with 400', async (_what, raw) => {
    expectProblem(await v.post('/api/orders', raw), 400, 'VALIDATION_FAILED');
  });

  it.each([
    ['text/plain', JSON.stringify(ORDER_BODY)],
    ['application/x-www-form-urlencoded', 'store=Koufu&deliveryFeeCents=300'],
    ['application/xml', '<order/>'],
  ])('rejects a body sent as %s with 400', async (type, raw) => {
    expectProblem(await v.post('/api/orders', raw, { 'content-type': type }), 400, 'VALIDATION_FAILED');
  });

  it('rejects bodies over 64 KiB with 413 PAYLOAD_TOO_LARGE, and one just under with 400', async () => {
    const big = { ...orderBody(), instructions: 'x'.repeat(65 * 1024) };
    expectProblem(await v.post('/api/orders', big), 413, 'PAYLOAD_TOO_LARGE');
    const under = { ...orderBody(), instructions: 'x'.repeat(60 * 1024) };
    expectInvalid(await v.post('/api/orders', under), 'instructions');
    const bigRegister = { email: email(), password: PASSWORD, name: 'x'.repeat(70 * 1024) };
    expectProblem(await sys.client().post('/api/auth/register', bigRegister), 413, 'PAYLOAD_TOO_LARGE');
  });

  it.each([
    ['256 characters', 'k'.repeat(256)],
    ['empty', ''],
  ])('rejects an Idempotency-Key of %s with 400', async (_what, key) => {
    expectInvalid(await v.post('/api/orders', ORDER_BODY, { 'idempotency-key': key }), /idempotency-key/i);
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

    const low = {
      ...orderBody(),
      items: [{ name: 'N', quantity: 1, priceCents: 0 }],
      deliveryFeeCents: 100,
      store: { name: 'S', location: 'L' },
      deliveryLocation: { building: 'B', room: 'R' },
      instructions: null,
    };
    const lowRes = await u.post('/api/orders', low, { 'idempotency-key': 'k', 'content-type': 'application/json; charset=utf-8' });
    expect(lowRes.status, JSON.stringify(lowRes.body)).toBe(202);
    await u.saga(lowRes.body.sagaId);
    const noInstructions = { ...orderBody() };
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
    ['GET', '/api/sagas/{id}'],
    ['POST', '/api/notifications/{id}/read'],
  ];
  const badIds = ['not-a-uuid', '123', "1'%20or%20'1'='1", '00000000-0000-4000-8000-00000000000', '00000000-0000-4000-8000-0000000000000'];
  it.each(routes)('%s %s with a non-UUID id → 404 NOT_FOUND', async (method, template) => {
    const u = await (await registered('Ids')).becomeRunner();
    for (const id of badIds) {
      const body = template.endsWith('/progress') ? { status: 'PLACED' } : undefined;
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
