import { describe, expect, it } from 'vitest';
import { partiesOf, TIMESTAMP_COLUMN, totals } from '../src/order.ts';

describe('order rows', () => {
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

  it('hands the order rules its parties and status', () => {
    expect(partiesOf({ customer_id: 'c', runner_id: null, status: 'CREATED' })).toEqual({
      customerId: 'c',
      runnerId: null,
      status: 'CREATED',
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
