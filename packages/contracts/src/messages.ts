import { z } from 'zod';
import type { TopicName } from './topics.ts';

const id = z.uuid();
const cents = z.number().int().min(0);
const text = (max: number) => z.string().min(1).max(max);

export const ORDER_STATUSES = ['PENDING', 'CREATED', 'ACCEPTED', 'PLACED', 'ON_THE_WAY', 'DELIVERED', 'COMPLETED', 'CANCELLED'] as const;
export const orderStatus = z.enum(ORDER_STATUSES);
export type OrderStatus = z.infer<typeof orderStatus>;

export const CANCEL_REASONS = ['NO_PAYMENT_METHOD', 'PAYMENT_DECLINED', 'CUSTOMER_CANCELLED', 'ACCEPT_TIMEOUT', 'SYSTEM_ERROR'] as const;
export const cancelReason = z.enum(CANCEL_REASONS);
export type CancelReason = z.infer<typeof cancelReason>;

export const SAGA_TYPES = ['create-order', 'accept-order', 'complete-order', 'cancel-order', 'release-order'] as const;
export type SagaType = (typeof SAGA_TYPES)[number];
export const SAGA_STATUSES = ['RUNNING', 'COMPLETED', 'COMPENSATING', 'COMPENSATED', 'FAILED'] as const;
export type SagaStatus = (typeof SAGA_STATUSES)[number];

const store = z.object({ name: text(100), location: text(200) });
const deliveryLocation = z.object({ building: text(100), room: text(50) });
const item = z.object({ name: text(100), quantity: z.number().int().min(1).max(99), price_cents: cents.max(100000) });

/**
 * Every command and event: its payload schema and the topic it travels on.
 * Keyed by message `type`; the single source for producers, consumers and the audit log.
 */
export const MESSAGES = {
  // ---- order service ----
  create_order: {
    topic: 'create_order_commands',
    payload: z.object({
      order_id: id,
      customer_id: id,
      store,
      items: z.array(item).min(1).max(50),
      delivery_fee_cents: cents.min(100).max(5000),
      delivery_location: deliveryLocation,
      instructions: z.string().max(200).nullable(),
    }),
  },
  update_order_status: {
    topic: 'order_commands',
    payload: z.object({ order_id: id, status: orderStatus, expected_status: orderStatus }),
  },
  accept_order: { topic: 'order_commands', payload: z.object({ order_id: id, runner_id: id }) },
  release_runner: { topic: 'order_commands', payload: z.object({ order_id: id, runner_id: id }) },
  // The assigned runner gives the order back (release-order saga): CREATED again, with a fresh window ending at accept_by.
  release_order: { topic: 'order_commands', payload: z.object({ order_id: id, runner_id: id, accept_by: z.iso.datetime() }) },
  cancel_order: { topic: 'order_commands', payload: z.object({ order_id: id, reason: cancelReason }) },
  'order.created': {
    topic: 'order_events',
    payload: z.object({
      order_id: id,
      customer_id: id,
      status: z.literal('PENDING'),
      food_cents: cents,
      delivery_fee_cents: cents,
      total_cents: cents,
      // Event-carried state (optional): what other services need to show the order without asking for it.
      store: store.optional(),
      items: z.array(item).optional(),
      delivery_location: deliveryLocation.optional(),
      instructions: z.string().max(200).nullable().optional(),
      created_at: z.iso.datetime().optional(),
    }),
  },
  'order.creation_failed': {
    topic: 'order_events',
    payload: z.object({ order_id: id, code: z.enum(['INVALID_ORDER']), message: z.string() }),
  },
  'order.status_updated': {
    topic: 'order_events',
    payload: z.object({ order_id: id, status: orderStatus, previous_status: orderStatus, runner_id: id.nullable() }),
  },
  'order.status_update_failed': {
    topic: 'order_events',
    payload: z.object({ order_id: id, code: z.enum(['INVALID_TRANSITION', 'ORDER_NOT_FOUND']), message: z.string() }),
  },
  'order.accepted': { topic: 'order_events', payload: z.object({ order_id: id, runner_id: id, customer_id: id }) },
  'order.accept_failed': {
    topic: 'order_events',
    payload: z.object({
      order_id: id,
      runner_id: id,
      code: z.enum(['ORDER_NOT_AVAILABLE', 'OWN_ORDER', 'ORDER_NOT_FOUND']),
    }),
  },
  'order.runner_released': { topic: 'order_events', payload: z.object({ order_id: id, runner_id: id }) },
  'order.runner_release_failed': {
    topic: 'order_events',
    payload: z.object({ order_id: id, code: z.enum(['RUNNER_NOT_ASSIGNED', 'ORDER_NOT_FOUND']) }),
  },
  'order.released': {
    topic: 'order_events',
    payload: z.object({ order_id: id, runner_id: id, customer_id: id, accept_by: z.iso.datetime() }),
  },
  'order.release_failed': {
    topic: 'order_events',
    payload: z.object({
      order_id: id,
      runner_id: id,
      code: z.enum(['RUNNER_NOT_ASSIGNED', 'ORDER_NOT_FOUND']),
      status: orderStatus.nullable(),
    }),
  },
  // A party rated the other once the order was COMPLETED (no command: over HTTP).
  'order.rated': {
    topic: 'order_events',
    payload: z.object({ order_id: id, rater_id: id, ratee_id: id, stars: z.number().int().min(1).max(5) }),
  },
  'order.cancelled': {
    topic: 'order_events',
    payload: z.object({ order_id: id, reason: cancelReason, previous_status: orderStatus }),
  },
  'order.cancel_failed': {
    topic: 'order_events',
    payload: z.object({
      order_id: id,
      code: z.enum(['ORDER_NOT_CANCELLABLE', 'ORDER_NOT_FOUND']),
      status: orderStatus.nullable(),
    }),
  },
  // ---- user service ----
  get_payment_info: { topic: 'user_commands', payload: z.object({ user_id: id }) },
  get_payout_info: { topic: 'user_commands', payload: z.object({ user_id: id }) },
  'user.payment_info_retrieved': {
    topic: 'user_events',
    payload: z.object({
      user_id: id,
      payment_method_token: text(200),
      card: z.object({ brand: text(30), last4: z.string().regex(/^\d{4}$/) }),
    }),
  },
  'user.payment_info_failed': {
    topic: 'user_events',
    payload: z.object({ user_id: id, code: z.enum(['USER_NOT_FOUND', 'NO_PAYMENT_METHOD']) }),
  },
  'user.payout_info_retrieved': {
    topic: 'user_events',
    payload: z.object({ user_id: id, payout_account_id: text(200) }),
  },
  'user.payout_info_failed': {
    topic: 'user_events',
    payload: z.object({ user_id: id, code: z.enum(['USER_NOT_FOUND', 'NOT_A_RUNNER']) }),
  },
  // `name` (optional) lets the notification service say who accepted an order.
  'user.registered': { topic: 'user_events', payload: z.object({ user_id: id, name: text(100).optional() }) },
  // The profile as it now is: the order service shows names (and, while an order is active, phones) to the counterpart.
  'user.profile_updated': {
    topic: 'user_events',
    payload: z.object({ user_id: id, name: text(100), phone: z.string().max(20).nullable() }),
  },
  'user.card_updated': { topic: 'user_events', payload: z.object({ user_id: id }) },
  'user.card_removed': { topic: 'user_events', payload: z.object({ user_id: id }) },
  'user.became_runner': { topic: 'user_events', payload: z.object({ user_id: id, name: text(100).optional() }) },
  // A session token was revoked (sign-out): whatever it opened, such as a live stream, ends. `token_id`
  // is the token's `jti`; `expires_at` when the token would have expired anyway.
  'user.session_revoked': {
    topic: 'user_events',
    payload: z.object({ user_id: id, token_id: id, expires_at: z.iso.datetime() }),
  },
  // ---- payment service ----
  authorize_payment: {
    topic: 'payment_commands',
    payload: z.object({
      order_id: id,
      customer_id: id,
      payment_method_token: text(200),
      amount_cents: cents,
      currency: z.literal('SGD'),
    }),
  },
  revert_payment: { topic: 'payment_commands', payload: z.object({ order_id: id, reason: text(100) }) },
  release_payment: {
    topic: 'payment_commands',
    payload: z.object({ order_id: id, runner_id: id, payout_account_id: text(200) }),
  },
  'payment.authorized': {
    topic: 'payment_events',
    payload: z.object({ payment_id: id, order_id: id, amount_cents: cents }),
  },
  'payment.failed': {
    topic: 'payment_events',
    payload: z.object({
      order_id: id,
      code: z.enum(['CARD_DECLINED', 'INSUFFICIENT_FUNDS', 'INVALID_AMOUNT', 'GATEWAY_ERROR']),
      message: z.string(),
    }),
  },
  'payment.reverted': {
    topic: 'payment_events',
    payload: z.object({
      payment_id: id.nullable(),
      order_id: id,
      amount_cents: cents,
      method: z.enum(['VOID', 'REFUND', 'NONE']),
    }),
  },
  'payment.revert_failed': {
    topic: 'payment_events',
    payload: z.object({ order_id: id, code: z.enum(['ALREADY_RELEASED']) }),
  },
  'payment.released': {
    topic: 'payment_events',
    payload: z.object({ payment_id: id, order_id: id, runner_id: id, amount_cents: cents, transfer_id: text(200) }),
  },
  'payment.release_failed': {
    topic: 'payment_events',
    payload: z.object({ order_id: id, code: z.enum(['NOT_AUTHORIZED', 'ALREADY_REVERTED', 'GATEWAY_ERROR']) }),
  },
  // ---- timer service ----
  start_order_timer: { topic: 'timer_commands', payload: z.object({ order_id: id, timeout_at: z.iso.datetime() }) },
  // Arms the timer again with a new deadline (a released order's fresh window); a timer stopped by a cancel stays stopped.
  restart_order_timer: { topic: 'timer_commands', payload: z.object({ order_id: id, timeout_at: z.iso.datetime() }) },
  stop_order_timer: {
    topic: 'timer_commands',
    payload: z.object({ order_id: id, reason: z.enum(['ACCEPTED', 'CANCELLED']) }),
  },
  'timer.started': { topic: 'timer_events', payload: z.object({ order_id: id, timeout_at: z.iso.datetime() }) },
  'timer.failed': { topic: 'timer_events', payload: z.object({ order_id: id, code: text(100) }) },
  'timer.stopped': {
    topic: 'timer_events',
    payload: z.object({ order_id: id, reason: z.enum(['ACCEPTED', 'CANCELLED']), already: z.boolean() }),
  },
  'timer.expired': { topic: 'timer_events', payload: z.object({ order_id: id, timeout_at: z.iso.datetime() }) },
  // ---- saga orchestrators ----
  ...sagaEvents(),
} as const satisfies Record<string, { topic: TopicName; payload: z.ZodType }>;

function sagaEvents() {
  const payload = z.object({
    saga_id: id,
    saga_type: z.enum(SAGA_TYPES),
    order_id: id,
    step: z.string().max(100).nullable(),
    status: z.enum(SAGA_STATUSES),
    error: z.string().max(1000).nullable(),
  });
  const topic = 'saga_events' as const;
  return {
    'saga.started': { topic, payload },
    'saga.step_completed': { topic, payload },
    'saga.compensating': { topic, payload },
    'saga.completed': { topic, payload },
    'saga.compensated': { topic, payload },
    'saga.failed': { topic, payload },
  };
}

export type MessageType = keyof typeof MESSAGES;
export type PayloadOf<T extends MessageType> = z.infer<(typeof MESSAGES)[T]['payload']>;

export const isMessageType = (type: string): type is MessageType => Object.hasOwn(MESSAGES, type);
export const topicOf = (type: MessageType): TopicName => MESSAGES[type].topic;
