import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as contracts from '../src/index.ts';
import {
  authResponse,
  availableOrdersQuery,
  cardBody,
  cardBrand,
  createOrderBody,
  createOrderHeaders,
  createOrderResponse,
  ERROR_CODES,
  fieldErrors,
  idParams,
  isCardExpired,
  issuePath,
  listOrdersQuery,
  loginBody,
  luhnValid,
  notificationsQuery,
  notificationsView,
  orderPage,
  orderSchema,
  paymentView,
  problemSchema,
  progressBody,
  registerBody,
  sagaStartedResponse,
  sagaView,
  timelineResponse,
  userSchema,
  walletView,
} from '../src/index.ts';

const ID = '6f1c2a0e-4b7d-4c1e-9a2b-3d4e5f6a7b8c';
const OTHER_ID = '0b8e7f6a-5d4c-4b3a-8f9e-1a2b3c4d5e6f';
const AT = '2026-11-26T10:00:00.000Z';

/** The first issue of a failed parse as `{path, message}`, or undefined when it passed. */
function firstError(schema: z.ZodType, value: unknown) {
  const result = schema.safeParse(value);
  return result.success ? undefined : fieldErrors(result.error)[0];
}

describe('auth bodies', () => {
  const register = { email: 'alice@smu.edu.sg', password: 'correct horse', name: 'Alice' };

  it('accepts a registration and normalises email and name', () => {
    expect(registerBody.parse({ ...register, email: '  Alice@SMU.edu.sg ', name: ' Alice ' })).toEqual(register);
  });

  it('accepts an email of exactly 254 characters and rejects 255', () => {
    const email = (length: number) => `${'a'.repeat(length - '@campus.edu'.length)}@campus.edu`;
    expect(registerBody.safeParse({ ...register, email: email(254) }).success).toBe(true);
    expect(firstError(registerBody, { ...register, email: email(255) })).toEqual({
      path: 'email',
      message: 'must be at most 254 characters',
    });
  });

  it.each(['not-an-email', 'a@b', '@campus.edu', 'a b@campus.edu', ''])('rejects the email %j', (email) => {
    expect(registerBody.safeParse({ ...register, email }).success).toBe(false);
  });

  it('accepts passwords of 8 and 128 characters and rejects 7 and 129', () => {
    expect(registerBody.safeParse({ ...register, password: 'p'.repeat(8) }).success).toBe(true);
    expect(registerBody.safeParse({ ...register, password: 'p'.repeat(128) }).success).toBe(true);
    for (const length of [7, 129]) {
      expect(firstError(registerBody, { ...register, password: 'p'.repeat(length) })).toEqual({
        path: 'password',
        message: 'must be between 8 and 128 characters',
      });
    }
  });

  it('rejects a blank or over-long name', () => {
    expect(firstError(registerBody, { ...register, name: '   ' })?.path).toBe('name');
    expect(firstError(registerBody, { ...register, name: 'n'.repeat(101) })?.path).toBe('name');
    expect(registerBody.safeParse({ ...register, name: 'n'.repeat(100) }).success).toBe(true);
  });

  it('says which field is missing', () => {
    expect(firstError(registerBody, { email: register.email, name: 'Alice' })).toEqual({
      path: 'password',
      message: 'is required',
    });
  });

  it('accepts a login and bounds the password at 1–128 characters', () => {
    expect(loginBody.parse({ email: ' ALICE@smu.edu.sg', password: 'x' })).toEqual({
      email: 'alice@smu.edu.sg',
      password: 'x',
    });
    expect(loginBody.safeParse({ email: 'alice@smu.edu.sg', password: '' }).success).toBe(false);
    expect(loginBody.safeParse({ email: 'alice@smu.edu.sg', password: 'p'.repeat(129) }).success).toBe(false);
  });
});

describe('card', () => {
  const card = { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' };

  it('accepts a Luhn-valid number and strips spaces', () => {
    expect(cardBody.parse(card)).toEqual(card);
    expect(cardBody.parse({ ...card, number: '4242 4242 4242 4242' }).number).toBe('4242424242424242');
  });

  it('rejects a number failing the Luhn check', () => {
    expect(firstError(cardBody, { ...card, number: '4242424242424241' })).toEqual({
      path: 'number',
      message: 'must pass the Luhn check',
    });
  });

  it.each(['42424242424', '42424242424242424242', '4242-4242-4242-4242', 'abcdabcdabcdabcd'])(
    'rejects the number %j with a single length/digits error',
    (number) => {
      const result = cardBody.safeParse({ ...card, number });
      expect(result.error?.issues.map((i) => i.message)).toEqual(['must be 12 to 19 digits']);
    },
  );

  it.each([
    ['expMonth', 0],
    ['expMonth', 13],
    ['expMonth', 1.5],
    ['expYear', 1999],
    ['expYear', 2101],
    ['cvc', '12'],
    ['cvc', '12345'],
    ['cvc', 'abc'],
    ['cvc', 123],
  ])('rejects %s = %j', (field, value) => {
    expect(firstError(cardBody, { ...card, [field]: value })?.path).toBe(field);
  });

  it('accepts 3- and 4-digit CVCs and the month/year bounds', () => {
    expect(cardBody.safeParse({ ...card, cvc: '1234', expMonth: 1, expYear: 2100 }).success).toBe(true);
  });

  it('checks Luhn on the sandbox cards', () => {
    expect(luhnValid('4242424242424242')).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(luhnValid('4000000000000002')).toBe(true);
    expect(luhnValid('4000000000009995')).toBe(true);
    expect(luhnValid('')).toBe(false);
    expect(luhnValid('4242x42424242424')).toBe(false);
  });

  it.each([
    ['4242424242424242', 'visa'],
    ['5555555555554444', 'mastercard'],
    ['2223003122003222', 'mastercard'],
    ['378282246310005', 'amex'],
    ['6011111111111117', 'discover'],
    ['3530111333300000', 'unknown'],
  ])('brands %s as %s', (number, brand) => {
    expect(cardBrand(number)).toBe(brand);
  });

  it('treats a card as valid through the last instant of its expiry month (UTC)', () => {
    expect(isCardExpired(11, 2026, new Date('2026-11-30T23:59:59.999Z'))).toBe(false);
    expect(isCardExpired(11, 2026, new Date('2026-12-01T00:00:00.000Z'))).toBe(true);
    expect(isCardExpired(12, 2025, new Date('2026-01-15T00:00:00.000Z'))).toBe(true);
    expect(isCardExpired(1, 2027, new Date('2026-12-31T00:00:00.000Z'))).toBe(false);
  });
});

describe('createOrderBody', () => {
  const item = { name: 'Chicken rice', quantity: 2, priceCents: 450 };
  const body = {
    store: { name: 'Koufu', location: 'SMU Connexion L1' },
    items: [item],
    deliveryFeeCents: 300,
    deliveryLocation: { building: 'SCIS 1', room: 'GSR 2-4' },
    instructions: 'Leave at the door',
  };
  const withItem = (patch: object) => ({ ...body, items: [{ ...item, ...patch }] });

  it('accepts the documented body and drops unknown fields', () => {
    expect(createOrderBody.parse({ ...body, totalCents: 1, extra: true })).toEqual(body);
  });

  it('accepts missing or null instructions and exactly 200 characters', () => {
    const { instructions: _omitted, ...without } = body;
    expect(createOrderBody.safeParse(without).success).toBe(true);
    expect(createOrderBody.safeParse({ ...body, instructions: null }).success).toBe(true);
    expect(createOrderBody.safeParse({ ...body, instructions: 'i'.repeat(200) }).success).toBe(true);
  });

  it('reports a bad quantity the way the contract shows it', () => {
    expect(firstError(createOrderBody, withItem({ quantity: 0 }))).toEqual({
      path: 'items[0].quantity',
      message: 'must be an integer between 1 and 99',
    });
  });

  it.each([
    ['quantity', 0],
    ['quantity', 100],
    ['quantity', 1.5],
    ['quantity', '2'],
    ['priceCents', -1],
    ['priceCents', 100001],
    ['name', ''],
    ['name', 'n'.repeat(101)],
  ])('rejects items[0].%s = %j', (field, value) => {
    expect(firstError(createOrderBody, withItem({ [field]: value }))?.path).toBe(`items[0].${field}`);
  });

  it('accepts the item bounds', () => {
    expect(createOrderBody.safeParse(withItem({ quantity: 1, priceCents: 0 })).success).toBe(true);
    expect(createOrderBody.safeParse(withItem({ quantity: 99, priceCents: 100000 })).success).toBe(true);
  });

  it('accepts a delivery fee of 100 and 5000 and rejects 99 and 5001', () => {
    expect(createOrderBody.safeParse({ ...body, deliveryFeeCents: 100 }).success).toBe(true);
    expect(createOrderBody.safeParse({ ...body, deliveryFeeCents: 5000 }).success).toBe(true);
    for (const fee of [99, 5001]) {
      expect(firstError(createOrderBody, { ...body, deliveryFeeCents: fee })).toEqual({
        path: 'deliveryFeeCents',
        message: 'must be an integer between 100 and 5000',
      });
    }
  });

  it('accepts 1 and 50 items and rejects 0 and 51', () => {
    const items = (n: number) => ({ ...body, items: Array.from({ length: n }, () => item) });
    expect(createOrderBody.safeParse(items(1)).success).toBe(true);
    expect(createOrderBody.safeParse(items(50)).success).toBe(true);
    expect(firstError(createOrderBody, items(0))).toEqual({
      path: 'items',
      message: 'must have between 1 and 50 items',
    });
    expect(firstError(createOrderBody, items(51))?.path).toBe('items');
  });

  it('rejects instructions of 201 characters', () => {
    expect(firstError(createOrderBody, { ...body, instructions: 'i'.repeat(201) })).toEqual({
      path: 'instructions',
      message: 'must be at most 200 characters',
    });
  });

  it.each([
    ['store.name', { ...body, store: { ...body.store, name: 'n'.repeat(101) } }],
    ['store.location', { ...body, store: { ...body.store, location: 'l'.repeat(201) } }],
    ['deliveryLocation.building', { ...body, deliveryLocation: { ...body.deliveryLocation, building: '' } }],
    ['deliveryLocation.room', { ...body, deliveryLocation: { ...body.deliveryLocation, room: 'r'.repeat(51) } }],
    ['store', { ...body, store: 'Koufu' }],
    ['items', { ...body, items: 'rice' }],
  ])('rejects a bad %s', (path, value) => {
    expect(firstError(createOrderBody, value)?.path).toBe(path);
  });

  it('reports a body that is not an object at the root', () => {
    expect(firstError(createOrderBody, 'order')?.path).toBe('');
  });

  it('bounds the Idempotency-Key header at 1–255 characters', () => {
    expect(createOrderHeaders.parse({})).toEqual({});
    expect(createOrderHeaders.safeParse({ 'idempotency-key': 'k'.repeat(255) }).success).toBe(true);
    expect(createOrderHeaders.safeParse({ 'idempotency-key': '' }).success).toBe(false);
    expect(createOrderHeaders.safeParse({ 'idempotency-key': 'k'.repeat(256) }).success).toBe(false);
  });
});

describe('queries and params', () => {
  it('defaults and coerces the order list query', () => {
    expect(listOrdersQuery.parse({})).toEqual({ as: 'customer', limit: 20 });
    expect(listOrdersQuery.parse({ as: 'runner', status: 'CREATED', limit: '100', cursor: 'abc' })).toEqual({
      as: 'runner',
      status: 'CREATED',
      limit: 100,
      cursor: 'abc',
    });
  });

  it.each([
    ['limit', '0'],
    ['limit', '101'],
    ['limit', '1.5'],
    ['limit', 'ten'],
    ['as', 'admin'],
    ['status', 'SHIPPED'],
    ['cursor', 'c'.repeat(501)],
  ])('rejects %s = %j', (field, value) => {
    expect(firstError(listOrdersQuery, { [field]: value })?.path).toBe(field);
  });

  it('pages the available list with the same limit and cursor rules', () => {
    expect(availableOrdersQuery.parse({ limit: '5' })).toEqual({ limit: 5 });
    expect(availableOrdersQuery.safeParse({ limit: '0' }).success).toBe(false);
  });

  it('reads unread=true|false as a boolean and nothing else', () => {
    expect(notificationsQuery.parse({})).toEqual({});
    expect(notificationsQuery.parse({ unread: 'true' })).toEqual({ unread: true });
    expect(notificationsQuery.parse({ unread: 'false' })).toEqual({ unread: false });
    expect(notificationsQuery.safeParse({ unread: 'yes' }).success).toBe(false);
  });

  it('accepts only UUID ids', () => {
    expect(idParams.parse({ id: ID })).toEqual({ id: ID });
    expect(firstError(idParams, { id: '42' })).toEqual({ path: 'id', message: 'must be a UUID' });
  });

  it('accepts only the runner progress statuses', () => {
    for (const status of ['PLACED', 'ON_THE_WAY', 'DELIVERED']) expect(progressBody.parse({ status })).toEqual({ status });
    expect(firstError(progressBody, { status: 'COMPLETED' })).toEqual({
      path: 'status',
      message: 'must be one of PLACED, ON_THE_WAY, DELIVERED',
    });
  });
});

describe('response shapes', () => {
  const user = { id: ID, email: 'a@b.edu', name: 'Alice', roles: ['customer'], card: null, createdAt: AT };
  const order = {
    id: ID,
    customerId: OTHER_ID,
    runnerId: null,
    store: { name: 'Koufu', location: 'SMU Connexion L1' },
    items: [{ name: 'Chicken rice', quantity: 2, priceCents: 450 }],
    deliveryLocation: { building: 'SCIS 1', room: 'GSR 2-4' },
    instructions: null,
    foodCents: 900,
    deliveryFeeCents: 300,
    totalCents: 1200,
    status: 'PENDING',
    cancelReason: null,
    createdAt: AT,
    updatedAt: AT,
    acceptedAt: null,
    placedAt: null,
    pickedUpAt: null,
    deliveredAt: null,
    completedAt: null,
    cancelledAt: null,
  };

  it('accepts the documented User, with and without a card', () => {
    expect(userSchema.parse(user)).toEqual(user);
    const runner = {
      ...user,
      roles: ['customer', 'runner'],
      card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 },
    };
    expect(userSchema.parse(runner)).toEqual(runner);
    expect(authResponse.parse({ token: 't', user })).toEqual({ token: 't', user });
    expect(userSchema.safeParse({ ...user, roles: ['admin'] }).success).toBe(false);
    expect(userSchema.safeParse({ ...user, createdAt: new Date(AT) }).success).toBe(false);
  });

  it('accepts the documented Order and pages of them', () => {
    expect(orderSchema.parse(order)).toEqual(order);
    const cancelled = { ...order, status: 'CANCELLED', cancelReason: 'NO_PAYMENT_METHOD', cancelledAt: AT };
    expect(orderSchema.parse(cancelled)).toEqual(cancelled);
    expect(orderPage.parse({ items: [order], nextCursor: null })).toEqual({ items: [order], nextCursor: null });
    expect(orderSchema.safeParse({ ...order, status: 'LOST' }).success).toBe(false);
    expect(orderSchema.safeParse({ ...order, cancelReason: 'BORED' }).success).toBe(false);
  });

  it('accepts the 202 bodies', () => {
    expect(createOrderResponse.parse({ orderId: ID, sagaId: OTHER_ID, status: 'PENDING' })).toBeTruthy();
    expect(createOrderResponse.safeParse({ orderId: ID, sagaId: OTHER_ID, status: 'CREATED' }).success).toBe(false);
    expect(sagaStartedResponse.parse({ sagaId: ID })).toEqual({ sagaId: ID });
  });

  it('accepts a payment view and a timeline', () => {
    const payment = {
      orderId: ID,
      status: 'AUTHORIZED',
      amountCents: 1200,
      authorizedAt: AT,
      releasedAt: null,
      revertedAt: null,
      failureCode: null,
    };
    expect(paymentView.parse(payment)).toEqual(payment);
    expect(paymentView.safeParse({ ...payment, status: 'CAPTURED' }).success).toBe(false);
    const timeline = {
      items: [
        {
          messageId: OTHER_ID,
          at: AT,
          topic: 'order_events',
          type: 'order.created',
          source: 'order-service',
          summary: 'Order recorded.',
        },
      ],
    };
    expect(timelineResponse.parse(timeline)).toEqual(timeline);
    expect(timelineResponse.safeParse({ items: [{ ...timeline.items[0], topic: 'nope' }] }).success).toBe(false);
  });

  it('accepts a saga view, a wallet and notifications', () => {
    const saga = {
      id: ID,
      type: 'accept-order',
      status: 'COMPENSATED',
      step: null,
      orderId: OTHER_ID,
      startedAt: AT,
      endedAt: AT,
      error: 'ORDER_NOT_AVAILABLE',
      history: [
        { at: AT, kind: 'command', type: 'accept_order' },
        { at: AT, kind: 'event', type: 'order.accept_failed' },
      ],
    };
    expect(sagaView.parse(saga)).toEqual(saga);
    expect(sagaView.safeParse({ ...saga, history: [{ at: AT, kind: 'retry', type: 'x' }] }).success).toBe(false);
    const wallet = {
      balanceCents: 300,
      earnedCents: 300,
      spentCents: 1200,
      heldCents: 0,
      transactions: [{ at: AT, kind: 'PAYOUT', amountCents: 300, orderId: ID }],
    };
    expect(walletView.parse(wallet)).toEqual(wallet);
    expect(walletView.safeParse({ ...wallet, heldCents: -1 }).success).toBe(false);
    const notifications = {
      items: [{ id: ID, at: AT, orderId: null, kind: 'order.created', text: 'Order placed.', read: false }],
      unread: 1,
    };
    expect(notificationsView.parse(notifications)).toEqual(notifications);
  });

  it("accepts the contract's problem example and knows every documented code", () => {
    const problem = {
      type: 'about:blank',
      title: 'Validation failed',
      status: 400,
      code: 'VALIDATION_FAILED',
      detail: 'items[0].quantity must be an integer between 1 and 99',
      errors: [{ path: 'items[0].quantity', message: 'must be an integer between 1 and 99' }],
    };
    expect(problemSchema.parse(problem)).toEqual(problem);
    expect(problemSchema.safeParse({ ...problem, code: 'TEAPOT' }).success).toBe(false);
    expect([...ERROR_CODES].sort()).toEqual(
      [
        'VALIDATION_FAILED',
        'UNAUTHENTICATED',
        'FORBIDDEN',
        'NOT_FOUND',
        'PAYLOAD_TOO_LARGE',
        'EMAIL_TAKEN',
        'INVALID_CREDENTIALS',
        'ORDER_NOT_AVAILABLE',
        'ORDER_NOT_CANCELLABLE',
        'INVALID_TRANSITION',
        'IDEMPOTENCY_KEY_REUSED',
        'RATE_LIMITED',
        'NOT_READY',
        'INTERNAL',
      ].sort(),
    );
  });

  it('renders issue paths with brackets for indexes', () => {
    expect(issuePath(['items', 0, 'quantity'])).toBe('items[0].quantity');
    expect(issuePath([3, 'a'])).toBe('[3].a');
    expect(issuePath([])).toBe('');
  });
});

describe('OpenAPI generation', () => {
  const schemas = Object.entries(contracts as Record<string, unknown>).filter(
    (entry): entry is [string, z.ZodType] => entry[1] instanceof z.ZodType,
  );

  it.each(schemas.map(([name, schema]) => [name, schema] as const))('%s converts to JSON Schema both ways', (_name, schema) => {
    expect(() => z.toJSONSchema(schema, { io: 'input' })).not.toThrow();
    expect(() => z.toJSONSchema(schema, { io: 'output' })).not.toThrow();
  });
});
