import { ORDER_STATUSES, type OrderStatus } from '@campusg/contracts';
import { describe, expect, it } from 'vitest';
import { CANCELLABLE, canTransition, canView, nextProgress, SAGA_STATUS_UPDATES, TIMESTAMP_COLUMN, totals } from '../src/order.ts';

// The order state machine of sagas.md, every pair checked: these and only these transitions exist.
const ALLOWED: [OrderStatus, OrderStatus][] = [
  ['PENDING', 'CREATED'],
  ['PENDING', 'CANCELLED'],
  ['CREATED', 'ACCEPTED'],
  ['CREATED', 'CANCELLED'],
  ['ACCEPTED', 'CREATED'],
  ['ACCEPTED', 'PLACED'],
  ['PLACED', 'ON_THE_WAY'],
  ['ON_THE_WAY', 'DELIVERED'],
  ['DELIVERED', 'COMPLETED'],
];

describe('order state machine', () => {
  const pairs = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as const));
  it.each(pairs)('%s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(ALLOWED.some(([f, t]) => f === from && t === to));
  });

  it('has final states COMPLETED and CANCELLED', () => {
    for (const to of ORDER_STATUSES) {
      expect(canTransition('COMPLETED', to)).toBe(false);
      expect(canTransition('CANCELLED', to)).toBe(false);
    }
  });

  it('lets a runner move one step at a time, and only from ACCEPTED to DELIVERED', () => {
    expect(ORDER_STATUSES.map((s) => nextProgress(s))).toEqual([null, null, 'PLACED', 'ON_THE_WAY', 'DELIVERED', null, null, null]);
    for (const s of ORDER_STATUSES) {
      const next = nextProgress(s);
      if (next) expect(canTransition(s, next)).toBe(true);
    }
  });

  it('lets sagas ask only for CREATED after PENDING and COMPLETED after DELIVERED', () => {
    expect(SAGA_STATUS_UPDATES).toEqual([
      ['PENDING', 'CREATED'],
      ['DELIVERED', 'COMPLETED'],
    ]);
    for (const [from, to] of SAGA_STATUS_UPDATES) expect(canTransition(from, to)).toBe(true);
    expect(CANCELLABLE).toEqual(['PENDING', 'CREATED']);
  });

  it('stamps each status it enters with its own timestamp', () => {
    expect(TIMESTAMP_COLUMN).toEqual({
      ACCEPTED: 'accepted_at',
      PLACED: 'placed_at',
      ON_THE_WAY: 'picked_up_at',
      DELIVERED: 'delivered_at',
      COMPLETED: 'completed_at',
      CANCELLED: 'cancelled_at',
    });
  });
});

describe('totals', () => {
  it('computes food and total in integer cents on the server', () => {
    expect(
      totals(
        [
          { quantity: 2, price_cents: 450 },
          { quantity: 3, price_cents: 201 },
        ],
        300,
      ),
    ).toEqual({
      foodCents: 1503,
      deliveryFeeCents: 300,
      totalCents: 1803,
    });
    // The original's float bug: $2.01 became 200 cents. Integer cents never lose one.
    expect(totals([{ quantity: 1, price_cents: 201 }], 100).totalCents).toBe(301);
    expect(totals([{ quantity: 99, price_cents: 100000 }], 5000).totalCents).toBe(9_905_000);
  });
});

describe('who may see an order', () => {
  const customer = { id: 'c', roles: ['customer'] };
  const runner = { id: 'r', roles: ['customer', 'runner'] };
  const other = { id: 'x', roles: ['customer', 'runner'] };
  it('its customer and its runner always; other runners only while it is open', () => {
    for (const status of ORDER_STATUSES) {
      const order = {
        customer_id: 'c',
        runner_id: status === 'CREATED' || status === 'PENDING' || status === 'CANCELLED' ? null : 'r',
        status,
      };
      expect(canView(order, customer)).toBe(true);
      if (order.runner_id) expect(canView(order, runner)).toBe(true);
      expect(canView(order, other)).toBe(status === 'CREATED');
      expect(canView(order, { id: 'y', roles: ['customer'] })).toBe(false);
    }
  });
});
