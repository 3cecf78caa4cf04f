import { describe, expect, it } from 'vitest';
import {
  createMessage,
  decodeMessage,
  keyOf,
  MESSAGES,
  type MessageType,
  type PayloadOf,
  TOPIC_NAMES,
  topicCatalog,
  topicOf,
} from '../src/index.ts';

const ORDER = '6f1c2a0e-4b7d-4c1e-9a2b-3d4e5f6a7b8c';
const CUSTOMER = '0b8e7f6a-5d4c-4b3a-8f9e-1a2b3c4d5e6f';
const RUNNER = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
const PAYMENT = '1f2e3d4c-5b6a-4978-8a7b-6c5d4e3f2a1b';
const SAGA = '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d';
const AT = '2026-11-26T10:00:00.000Z';

const sagaPayload = {
  saga_id: SAGA,
  saga_type: 'create-order',
  order_id: ORDER,
  step: 'authorize_payment',
  status: 'RUNNING',
  error: null,
} as const;

/** One valid payload per message type; the compiler and the first test keep it complete. */
const EXAMPLES = {
  create_order: {
    order_id: ORDER,
    customer_id: CUSTOMER,
    store: { name: 'Koufu', location: 'SMU Connexion L1' },
    items: [{ name: 'Chicken rice', quantity: 2, price_cents: 450 }],
    delivery_fee_cents: 300,
    delivery_location: { building: 'SCIS 1', room: 'GSR 2-4' },
    instructions: null,
  },
  update_order_status: { order_id: ORDER, status: 'PLACED', expected_status: 'ACCEPTED' },
  accept_order: { order_id: ORDER, runner_id: RUNNER },
  release_runner: { order_id: ORDER, runner_id: RUNNER },
  release_order: { order_id: ORDER, runner_id: RUNNER, accept_by: AT },
  cancel_order: { order_id: ORDER, reason: 'CUSTOMER_CANCELLED' },
  'order.created': {
    order_id: ORDER,
    customer_id: CUSTOMER,
    status: 'PENDING',
    food_cents: 900,
    delivery_fee_cents: 300,
    total_cents: 1200,
  },
  'order.creation_failed': { order_id: ORDER, code: 'INVALID_ORDER', message: 'no items' },
  'order.status_updated': { order_id: ORDER, status: 'PLACED', previous_status: 'ACCEPTED', runner_id: RUNNER },
  'order.status_update_failed': { order_id: ORDER, code: 'INVALID_TRANSITION', message: 'PENDING → PLACED' },
  'order.accepted': { order_id: ORDER, runner_id: RUNNER, customer_id: CUSTOMER },
  'order.accept_failed': { order_id: ORDER, runner_id: RUNNER, code: 'ORDER_NOT_AVAILABLE' },
  'order.runner_released': { order_id: ORDER, runner_id: RUNNER },
  'order.runner_release_failed': { order_id: ORDER, code: 'RUNNER_NOT_ASSIGNED' },
  'order.released': { order_id: ORDER, runner_id: RUNNER, customer_id: CUSTOMER, accept_by: AT },
  'order.release_failed': { order_id: ORDER, runner_id: RUNNER, code: 'RUNNER_NOT_ASSIGNED', status: 'PLACED' },
  'order.rated': { order_id: ORDER, rater_id: CUSTOMER, ratee_id: RUNNER, stars: 5 },
  'order.cancelled': { order_id: ORDER, reason: 'ACCEPT_TIMEOUT', previous_status: 'CREATED' },
  'order.cancel_failed': { order_id: ORDER, code: 'ORDER_NOT_CANCELLABLE', status: 'ON_THE_WAY' },
  get_payment_info: { user_id: CUSTOMER },
  get_payout_info: { user_id: RUNNER },
  'user.payment_info_retrieved': {
    user_id: CUSTOMER,
    payment_method_token: 'pm_sandbox_abc',
    card: { brand: 'visa', last4: '4242' },
  },
  'user.payment_info_failed': { user_id: CUSTOMER, code: 'NO_PAYMENT_METHOD' },
  'user.payout_info_retrieved': { user_id: RUNNER, payout_account_id: 'acct_runner_1' },
  'user.payout_info_failed': { user_id: RUNNER, code: 'NOT_A_RUNNER' },
  'user.registered': { user_id: CUSTOMER },
  'user.profile_updated': { user_id: CUSTOMER, name: 'Carol', phone: '+65 9123 4567' },
  'user.card_updated': { user_id: CUSTOMER },
  'user.card_removed': { user_id: CUSTOMER },
  'user.became_runner': { user_id: RUNNER },
  'user.session_revoked': { user_id: CUSTOMER, token_id: '5b1f3c3e-7d7a-4f7e-9a51-7c3b2a0e9d11', expires_at: '2026-12-03T10:00:00.000Z' },
  authorize_payment: {
    order_id: ORDER,
    customer_id: CUSTOMER,
    payment_method_token: 'pm_sandbox_abc',
    amount_cents: 1200,
    currency: 'SGD',
  },
  revert_payment: { order_id: ORDER, reason: 'CUSTOMER_CANCELLED' },
  release_payment: { order_id: ORDER, runner_id: RUNNER, payout_account_id: 'acct_runner_1' },
  'payment.authorized': { payment_id: PAYMENT, order_id: ORDER, amount_cents: 1200 },
  'payment.failed': { order_id: ORDER, code: 'CARD_DECLINED', message: 'declined by issuer' },
  'payment.reverted': { payment_id: PAYMENT, order_id: ORDER, amount_cents: 1200, method: 'VOID' },
  'payment.revert_failed': { order_id: ORDER, code: 'ALREADY_RELEASED' },
  'payment.released': {
    payment_id: PAYMENT,
    order_id: ORDER,
    runner_id: RUNNER,
    amount_cents: 1200,
    transfer_id: 'tr_1',
  },
  'payment.release_failed': { order_id: ORDER, code: 'ALREADY_REVERTED' },
  start_order_timer: { order_id: ORDER, timeout_at: AT },
  restart_order_timer: { order_id: ORDER, timeout_at: AT },
  stop_order_timer: { order_id: ORDER, reason: 'ACCEPTED' },
  'timer.started': { order_id: ORDER, timeout_at: AT },
  'timer.failed': { order_id: ORDER, code: 'STORE_UNAVAILABLE' },
  'timer.stopped': { order_id: ORDER, reason: 'CANCELLED', already: false },
  'timer.expired': { order_id: ORDER, timeout_at: AT },
  'saga.started': sagaPayload,
  'saga.step_completed': sagaPayload,
  'saga.compensating': { ...sagaPayload, status: 'COMPENSATING', error: 'payment declined' },
  'saga.completed': { ...sagaPayload, step: null, status: 'COMPLETED' },
  'saga.compensated': { ...sagaPayload, status: 'COMPENSATED', error: 'payment declined' },
  'saga.failed': { ...sagaPayload, status: 'FAILED', error: 'order service did not answer' },
} satisfies { [T in MessageType]: PayloadOf<T> };

const TYPES = Object.keys(MESSAGES) as MessageType[];
const parse = (type: MessageType, payload: unknown) => MESSAGES[type].payload.safeParse(payload);
const example = (type: MessageType): Record<string, unknown> => structuredClone(EXAMPLES[type]);

describe('message payload schemas', () => {
  it('has an example for every message type and no example for an unknown one', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual([...TYPES].sort());
  });

  it.each(TYPES)('%s accepts its example', (type) => {
    const result = parse(type, example(type));
    expect(result.error).toBeUndefined();
  });

  it.each(TYPES)('%s rejects the example with any one field missing', (type) => {
    for (const field of Object.keys(EXAMPLES[type])) {
      const payload = example(type);
      delete payload[field];
      expect(parse(type, payload).success, `without ${field}`).toBe(false);
    }
  });

  it.each(TYPES)('%s rejects the example with any one field of the wrong type', (type) => {
    for (const field of Object.keys(EXAMPLES[type])) {
      expect(parse(type, { ...example(type), [field]: { wrong: true } }).success, `bad ${field}`).toBe(false);
    }
  });

  it.each(TYPES)('%s rejects negative or fractional cents', (type) => {
    for (const field of Object.keys(EXAMPLES[type]).filter((f) => f.endsWith('_cents'))) {
      expect(parse(type, { ...example(type), [field]: -1 }).success, `${field} -1`).toBe(false);
      expect(parse(type, { ...example(type), [field]: 1.5 }).success, `${field} 1.5`).toBe(false);
    }
  });

  it('rejects negative or oversized item prices and bad quantities in create_order', () => {
    const withItem = (item: object) => ({ ...example('create_order'), items: [item] });
    expect(parse('create_order', withItem({ name: 'x', quantity: 1, price_cents: -1 })).success).toBe(false);
    expect(parse('create_order', withItem({ name: 'x', quantity: 1, price_cents: 100001 })).success).toBe(false);
    expect(parse('create_order', withItem({ name: 'x', quantity: 0, price_cents: 1 })).success).toBe(false);
    expect(parse('create_order', { ...example('create_order'), items: [] }).success).toBe(false);
  });

  it.each([
    ['update_order_status', 'status', 'SHIPPED'],
    ['update_order_status', 'expected_status', 'pending'],
    ['cancel_order', 'reason', 'BORED'],
    ['order.created', 'status', 'CREATED'],
    ['order.accept_failed', 'code', 'TOO_LATE'],
    ['user.payment_info_failed', 'code', 'CARD_DECLINED'],
    ['authorize_payment', 'currency', 'USD'],
    ['payment.failed', 'code', 'NOPE'],
    ['payment.reverted', 'method', 'CHARGEBACK'],
    ['stop_order_timer', 'reason', 'EXPIRED'],
    ['saga.started', 'saga_type', 'refund-order'],
    ['saga.failed', 'status', 'DONE'],
  ] as const)('%s rejects %s = %s', (type, field, value) => {
    expect(parse(type, { ...example(type), [field]: value }).success).toBe(false);
  });

  it('rejects ids that are not UUIDs and timestamps that are not ISO-8601', () => {
    expect(parse('accept_order', { order_id: 'order-1', runner_id: RUNNER }).success).toBe(false);
    expect(parse('start_order_timer', { order_id: ORDER, timeout_at: 'tomorrow' }).success).toBe(false);
  });
});

describe('decodeMessage', () => {
  const envelope = (overrides: Record<string, unknown> = {}) => ({
    message_id: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f',
    type: 'order.accepted',
    correlation_id: SAGA,
    causation_id: null,
    timestamp: AT,
    source: 'order-service',
    schema_version: 1,
    payload: EXAMPLES['order.accepted'],
    ...overrides,
  });

  it('rejects bytes that are not JSON', () => {
    expect(decodeMessage(Buffer.from('{not json'))).toMatchObject({ ok: false, reason: 'NOT_JSON' });
    expect(decodeMessage('')).toMatchObject({ ok: false, reason: 'NOT_JSON' });
  });

  it.each([
    ['a JSON array', []],
    ['a missing message_id', { ...envelope(), message_id: undefined }],
    ['a non-UUID correlation_id', envelope({ correlation_id: 'saga-1' })],
    ['an unknown schema_version', envelope({ schema_version: 2 })],
    ['a non-ISO timestamp', envelope({ timestamp: '26/11/2026' })],
    ['a payload that is not an object', envelope({ payload: 'hello' })],
  ])('rejects an envelope with %s', (_name, value) => {
    expect(decodeMessage(JSON.stringify(value))).toMatchObject({ ok: false, reason: 'INVALID_ENVELOPE' });
  });

  it('rejects an unknown type', () => {
    const result = decodeMessage(JSON.stringify(envelope({ type: 'order.teleported' })));
    expect(result).toMatchObject({ ok: false, reason: 'UNKNOWN_TYPE' });
  });

  it('rejects a payload that does not match its type', () => {
    const result = decodeMessage(JSON.stringify(envelope({ payload: { order_id: ORDER } })));
    expect(result).toMatchObject({ ok: false, reason: 'INVALID_PAYLOAD' });
    if (!result.ok) expect(result.detail).toContain('runner_id');
  });

  it('accepts a valid message from bytes, a string or an object', () => {
    for (const raw of [Buffer.from(JSON.stringify(envelope())), JSON.stringify(envelope()), envelope()]) {
      const result = decodeMessage(raw);
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.message).toEqual(envelope());
    }
  });

  it('drops unknown payload fields of a valid message', () => {
    const result = decodeMessage(envelope({ payload: { ...EXAMPLES['order.accepted'], extra: 1 } }));
    expect(result.ok && result.message.payload).toEqual(EXAMPLES['order.accepted']);
  });

  it('round-trips every example built with createMessage', () => {
    const origin = {
      messageId: PAYMENT,
      correlationId: SAGA,
      causationId: null,
      source: 'test',
      timestamp: new Date(AT),
    };
    for (const type of TYPES) {
      const message = createMessage(type, EXAMPLES[type] as PayloadOf<typeof type>, origin);
      const result = decodeMessage(JSON.stringify(message));
      expect(result, type).toEqual({ ok: true, message });
    }
  });
});

describe('keyOf', () => {
  it('keys by order id, then user id, then correlation id', () => {
    const origin = {
      messageId: PAYMENT,
      correlationId: SAGA,
      causationId: null,
      source: 'test',
      timestamp: new Date(AT),
    };
    expect(keyOf(createMessage('accept_order', EXAMPLES.accept_order, origin))).toBe(ORDER);
    expect(keyOf(createMessage('user.registered', EXAMPLES['user.registered'], origin))).toBe(CUSTOMER);
    expect(keyOf({ ...createMessage('user.registered', EXAMPLES['user.registered'], origin), payload: {} })).toBe(SAGA);
  });
});

describe('topic catalogue', () => {
  const catalog = topicCatalog();
  const names = catalog.map((t) => t.name);

  it('has the 10 topics of docs/messages.md and one dead-letter topic each', () => {
    expect(catalog).toHaveLength(20);
    expect(names.filter((n) => !n.endsWith('_dlq')).sort()).toEqual([...TOPIC_NAMES].sort());
    expect(names.filter((n) => n.endsWith('_dlq')).sort()).toEqual(TOPIC_NAMES.map((t) => `${t}_dlq`).sort());
  });

  it('carries every message type on a catalogued topic', () => {
    for (const type of TYPES) expect(names, type).toContain(topicOf(type));
  });

  it('applies the retention defaults and the partition override', () => {
    const byName = new Map(topicCatalog({ partitions: 6 }).map((t) => [t.name, t]));
    expect(byName.get('order_events')).toMatchObject({ partitions: 6, retentionMs: 7 * 24 * 3600 * 1000 });
    expect(byName.get('order_events_dlq')).toMatchObject({ retentionMs: 30 * 24 * 3600 * 1000 });
    expect(topicCatalog().find((t) => t.name === 'order_events')?.partitions).toBe(3);
  });
});
