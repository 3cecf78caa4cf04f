import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as contracts from '../src/index.ts';
import {
  authResponse,
  createOrderResponse,
  ERROR_CODES,
  issuePath,
  notificationsView,
  orderPage,
  orderSchema,
  paymentView,
  problemSchema,
  sagaStartedResponse,
  sagaView,
  timelineResponse,
  userSchema,
  walletView,
} from '../src/index.ts';
import { AT, ID, OTHER_ID } from './http-support.ts';

/** What the API answers (the documented shapes, problem+json included), and that every schema converts to OpenAPI. */

describe('response shapes', () => {
  const user = { id: ID, email: 'a@b.edu', name: 'Alice', roles: ['customer'], card: null, phone: null, createdAt: AT };
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
    customer: { id: OTHER_ID, name: 'Carol', rating: { average: null, count: 0 } },
    runner: null,
    acceptBy: null,
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
    // The people: a runner with a rating and, for the counterpart of an active order, a phone.
    const accepted = {
      ...order,
      status: 'ACCEPTED',
      runnerId: ID,
      runner: { id: ID, name: 'Rita', rating: { average: 4.5, count: 2 }, phone: '+65 9123 4567' },
    };
    expect(orderSchema.parse(accepted)).toEqual(accepted);
    expect(orderSchema.safeParse({ ...order, customer: undefined }).success).toBe(false);
    expect(orderSchema.safeParse({ ...accepted, runner: { ...accepted.runner, rating: { average: 6, count: 1 } } }).success).toBe(false);
    expect(orderSchema.safeParse({ ...order, acceptBy: 'tomorrow' }).success).toBe(false);
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
      payoutAccountId: null,
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
        'ALREADY_RATED',
        'IDEMPOTENCY_KEY_REUSED',
        'RATE_LIMITED',
        'NOT_READY',
        'OVERLOADED',
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
