import type { CreateOrderBody } from '@campusg/contracts';
import { ORDER_BODY } from './client.ts';

type Body = CreateOrderBody;

/**
 * A fresh copy of the sample `POST /api/orders` body (Koufu: two items, S$13.80 in all), with
 * `overrides` laid over its top-level fields. Each call returns a new object, so a test may mutate it.
 */
export function sampleOrderBody(overrides: Partial<Body> = {}): Body {
  return { ...structuredClone(ORDER_BODY), ...overrides };
}
