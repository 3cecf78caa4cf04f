import { z } from 'zod';
import { cancelReason, type OrderStatus, orderStatus } from '../messages.ts';
import { cents, intBetween, isoTime, oneOf, text, typeError, uuid } from './fields.ts';
import { ratingSummary } from './profile.ts';

const ORDER_STATUS_COUNT = 8;

const store = z.object({ name: text(1, 100), location: text(1, 200) }, { error: typeError('an object') });
const deliveryLocation = z.object({ building: text(1, 100), room: text(1, 50) }, { error: typeError('an object') });
const item = z.object(
  { name: text(1, 100), quantity: intBetween(1, 99), priceCents: intBetween(0, 100000) },
  { error: typeError('an object') },
);

/** `POST /api/orders`. Unknown fields are dropped; the server computes the totals. */
export const createOrderBody = z.object({
  store,
  items: z
    .array(item, { error: typeError('an array') })
    .min(1, { error: 'must have between 1 and 50 items' })
    .max(50, { error: 'must have between 1 and 50 items' }),
  deliveryFeeCents: intBetween(100, 5000),
  deliveryLocation,
  instructions: z
    .string({ error: 'must be a string or null' })
    .trim()
    .max(200, { error: 'must be at most 200 characters' })
    .nullable()
    .optional(),
});
export type CreateOrderBody = z.infer<typeof createOrderBody>;

/** The optional `Idempotency-Key` header of `POST /api/orders` (Node lower-cases header names). */
export const createOrderHeaders = z.object({
  'idempotency-key': z.string().min(1, { error: 'must not be empty' }).max(255, { error: 'must be at most 255 characters' }).optional(),
});
export type CreateOrderHeaders = z.infer<typeof createOrderHeaders>;

/**
 * An order as every service that shows it holds it (the read models, the live stream's `order`
 * event). The Order object of the order routes adds the people and the acceptance deadline.
 */
export const orderRecordSchema = z.object({
  id: uuid,
  customerId: uuid,
  runnerId: uuid.nullable(),
  store: z.object({ name: z.string(), location: z.string() }),
  items: z.array(z.object({ name: z.string(), quantity: z.number().int(), priceCents: cents })),
  deliveryLocation: z.object({ building: z.string(), room: z.string() }),
  instructions: z.string().nullable(),
  foodCents: cents,
  deliveryFeeCents: cents,
  totalCents: cents,
  status: orderStatus,
  cancelReason: cancelReason.nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
  acceptedAt: isoTime.nullable(),
  placedAt: isoTime.nullable(),
  pickedUpAt: isoTime.nullable(),
  deliveredAt: isoTime.nullable(),
  completedAt: isoTime.nullable(),
  cancelledAt: isoTime.nullable(),
});
export type OrderRecord = z.infer<typeof orderRecordSchema>;

/** A party to an order; `phone` only for the counterpart of an active order (`ACCEPTED` to `DELIVERED`). */
export const orderPerson = z.object({ id: uuid, name: z.string(), rating: ratingSummary, phone: z.string().nullable().optional() });
export type OrderPerson = z.infer<typeof orderPerson>;

/** The Order object: the record, its customer and runner, and while `CREATED` when the acceptance window ends. */
export const orderSchema = orderRecordSchema.extend({
  customer: orderPerson,
  runner: orderPerson.nullable(),
  acceptBy: isoTime.nullable(),
});
export type Order = z.infer<typeof orderSchema>;

/** 202 of `POST /api/orders`. */
export const createOrderResponse = z.object({ orderId: uuid, sagaId: uuid, status: z.literal('PENDING') });
export type CreateOrderResponse = z.infer<typeof createOrderResponse>;

/** 202 of accept, complete and cancel: the saga that carries the request out. */
export const sagaStartedResponse = z.object({ sagaId: uuid });
export type SagaStartedResponse = z.infer<typeof sagaStartedResponse>;

const limit = intBetween(1, 100, { coerce: true }).default(20);
const cursor = z.string().min(1, { error: 'must not be empty' }).max(500, { error: 'must be at most 500 characters' });

/** `GET /api/orders/available`: one page, newest first. */
export const availableOrdersQuery = z.object({ limit, cursor: cursor.optional() });
export type AvailableOrdersQuery = z.infer<typeof availableOrdersQuery>;

const statusValue = z.enum(orderStatus.options, { error: `must be one of ${orderStatus.options.join(', ')}` });

/**
 * `GET /api/orders`: the caller's orders as customer (default) or as runner; `status` may repeat
 * (any of them), `q` matches the store's name or an item's name, case-insensitively.
 */
export const listOrdersQuery = availableOrdersQuery.extend({
  as: oneOf(['customer', 'runner']).default('customer'),
  status: z.union([statusValue, z.array(statusValue).max(ORDER_STATUS_COUNT, { error: 'must not repeat more than 8 times' })]).optional(),
  q: text(1, 100).optional(),
});
export type ListOrdersQuery = z.infer<typeof listOrdersQuery>;

/** The statuses a `GET /api/orders` query asks for: none (any), one, or several. */
export const queriedStatuses = (status: ListOrdersQuery['status']): OrderStatus[] | undefined =>
  status === undefined ? undefined : Array.isArray(status) ? status : [status];

/** A page of orders; `nextCursor` is `null` on the last page. */
export const orderPage = z.object({ items: z.array(orderSchema), nextCursor: z.string().nullable() });
export type OrderPage = z.infer<typeof orderPage>;

/** The statuses a runner moves an order through, in order. */
export const PROGRESS_STATUSES = ['PLACED', 'ON_THE_WAY', 'DELIVERED'] as const;
export type ProgressStatus = (typeof PROGRESS_STATUSES)[number];

/** `POST /api/orders/{id}/progress`. */
export const progressBody = z.object({ status: oneOf(PROGRESS_STATUSES) });
export type ProgressBody = z.infer<typeof progressBody>;

/** Where an order's payment stands. */
export const PAYMENT_STATUSES = ['AUTHORIZED', 'RELEASED', 'REVERTED', 'FAILED'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** `GET /api/orders/{id}/payment`. */
export const paymentView = z.object({
  orderId: uuid,
  status: z.enum(PAYMENT_STATUSES),
  amountCents: cents,
  authorizedAt: isoTime.nullable(),
  releasedAt: isoTime.nullable(),
  revertedAt: isoTime.nullable(),
  failureCode: z.string().nullable(),
  /** The payout account the payment was transferred to: shown to the paid runner only, else `null`. */
  payoutAccountId: z.string().nullable(),
});
export type PaymentView = z.infer<typeof paymentView>;
