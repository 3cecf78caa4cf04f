import type { CreateOrderBody } from '@campusg/contracts';

/**
 * The sample order every load generator and test posts to `POST /api/orders`: two items, so the
 * totals are not trivially one price (2 × 450 + 180 + 300 fee = 1380 cents).
 */
const SAMPLE_ORDER: CreateOrderBody = {
  store: { name: 'Koufu', location: 'SMU Connexion L1' },
  items: [
    { name: 'Chicken rice', quantity: 2, priceCents: 450 },
    { name: 'Teh peng', quantity: 1, priceCents: 180 },
  ],
  deliveryFeeCents: 300,
  deliveryLocation: { building: 'SCIS 1', room: 'GSR 2-4' },
  instructions: 'Leave at the door',
};

/** A fresh copy of the sample order body, with `overrides` replacing whole top-level fields. */
export function sampleOrderBody(overrides: Partial<CreateOrderBody> = {}): CreateOrderBody {
  return { ...structuredClone(SAMPLE_ORDER), ...overrides };
}

/** Card numbers the sandbox gateway answers in a known way (see the user service's card check). */
export const SANDBOX_CARDS = {
  /** Authorises every amount. */
  ok: '4242424242424242',
  /** Declined by the issuer. */
  declined: '4000000000000002',
  /** Declined for insufficient funds. */
  insufficientFunds: '4000000000009995',
} as const;

/** The statuses a runner moves an accepted order through, in order, before completing it. */
export const DELIVERY_STEPS = ['PLACED', 'ON_THE_WAY', 'DELIVERED'] as const;
