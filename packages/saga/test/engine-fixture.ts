import { createMessage, type MessageType, type PayloadOf, type TypedMessage } from '@campusg/contracts';
import {
  type Decision,
  decide,
  type FailurePolicy,
  type HistoryEntry,
  initialState,
  type SagaDefinition,
  type SagaInput,
  type SagaSettings,
  type SagaState,
  type StepDefinition,
} from '@campusg/saga';
import { expect } from 'vitest';

// The engine's generic rules are checked with a small made-up saga of four steps. Time only moves
// when a test moves `now`; ids come from a counter.

export const ORDER = '6f1c2a0e-4b7d-4c1e-9a2b-3d4e5f6a7b8c';
export const USER = '0b8e7f6a-5d4c-4b3a-8f9e-1a2b3c4d5e6f';
export const RUNNER = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
export const PAYMENT = '1f2e3d4c-5b6a-4978-8a7b-6c5d4e3f2a1b';
export const SAGA = '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d';
export const T0 = new Date('2026-11-26T10:00:00.000Z');
export const SETTINGS: SagaSettings = { stepTimeoutMs: 30_000, maxAttempts: 3 };

export interface Data {
  token: string | null;
  reason: 'SYSTEM_ERROR' | 'NO_PAYMENT_METHOD' | 'PAYMENT_DECLINED';
  skipThree: boolean;
  skipFour: boolean;
}

type Overrides = Partial<Record<'one' | 'two' | 'three' | 'four', Partial<StepDefinition<Data>>>>;

/**
 * one   get_payment_info     (compensation cancel_order {reason from data}; a failure sets the reason)
 * two   accept_order         (compensation release_runner)
 * three authorize_payment    (compensation revert_payment; skipped when data.skipThree)
 * four  update_order_status  (no compensation; skipped when data.skipFour)
 * Every step compensates on failure and on timeout unless overridden.
 */
export function makeDef(over: Overrides = {}): SagaDefinition<Data> {
  const policy = (p: FailurePolicy = 'compensate') => ({ onFailure: p, onTimeout: p });
  return {
    type: 'test-saga',
    group: 'test-saga-orchestrator',
    topics: ['order_events', 'user_events', 'payment_events'],
    key: () => ORDER,
    businessKey: () => `test-saga:${ORDER}`,
    exclusive: true,
    compensationReplies: ['order.cancelled', 'order.cancel_failed', 'payment.reverted', 'payment.revert_failed'],
    steps: [
      {
        name: 'one',
        command: () => ({ type: 'get_payment_info', payload: { user_id: USER } }),
        replies: { 'user.payment_info_retrieved': 'success', 'user.payment_info_failed': 'failure' },
        onSuccess: (d, m) => ({ ...d, token: (m.payload as PayloadOf<'user.payment_info_retrieved'>).payment_method_token }),
        ...policy(),
        compensation: (d) => ({ type: 'cancel_order', payload: { order_id: ORDER, reason: d.reason } }),
        ...over.one,
      },
      {
        name: 'two',
        command: () => ({ type: 'accept_order', payload: { order_id: ORDER, runner_id: RUNNER } }),
        replies: { 'order.accepted': 'success', 'order.accept_failed': 'failure' },
        ...policy(),
        compensation: () => ({ type: 'release_runner', payload: { order_id: ORDER, runner_id: RUNNER } }),
        ...over.two,
      },
      {
        name: 'three',
        skip: (d) => d.skipThree,
        command: (d) => ({
          type: 'authorize_payment',
          payload: { order_id: ORDER, customer_id: USER, payment_method_token: d.token ?? '', amount_cents: 1200, currency: 'SGD' },
        }),
        replies: { 'payment.authorized': 'success', 'payment.failed': 'failure' },
        ...policy(),
        onFailed: (d, reply) => ({ ...d, reason: reply ? 'PAYMENT_DECLINED' : 'SYSTEM_ERROR' }),
        compensation: () => ({ type: 'revert_payment', payload: { order_id: ORDER, reason: 'test' } }),
        ...over.three,
      },
      {
        name: 'four',
        skip: (d) => d.skipFour,
        command: () => ({ type: 'update_order_status', payload: { order_id: ORDER, status: 'CREATED', expected_status: 'PENDING' } }),
        replies: { 'order.status_updated': 'success', 'order.status_update_failed': 'failure' },
        ...policy(),
        ...over.four,
      },
    ],
  };
}

/** A valid reply payload for every reply type the tests use. */
export const REPLIES = {
  'user.payment_info_retrieved': { user_id: USER, payment_method_token: 'tok_visa', card: { brand: 'visa', last4: '4242' } },
  'user.payment_info_failed': { user_id: USER, code: 'NO_PAYMENT_METHOD' },
  'order.accepted': { order_id: ORDER, runner_id: RUNNER, customer_id: USER },
  'order.accept_failed': { order_id: ORDER, runner_id: RUNNER, code: 'ORDER_NOT_AVAILABLE' },
  'payment.authorized': { payment_id: PAYMENT, order_id: ORDER, amount_cents: 1200 },
  'payment.failed': { order_id: ORDER, code: 'CARD_DECLINED', message: 'declined' },
  'order.status_updated': { order_id: ORDER, status: 'CREATED', previous_status: 'PENDING', runner_id: null },
  'order.status_update_failed': { order_id: ORDER, code: 'INVALID_TRANSITION', message: 'nope' },
  'order.cancelled': { order_id: ORDER, reason: 'SYSTEM_ERROR', previous_status: 'PENDING' },
  'order.cancel_failed': { order_id: ORDER, code: 'ORDER_NOT_FOUND', status: null },
  'order.runner_released': { order_id: ORDER, runner_id: RUNNER },
  'order.runner_release_failed': { order_id: ORDER, code: 'RUNNER_NOT_ASSIGNED' },
  'payment.reverted': { payment_id: PAYMENT, order_id: ORDER, amount_cents: 1200, method: 'VOID' },
  'payment.revert_failed': { order_id: ORDER, code: 'ALREADY_RELEASED' },
} satisfies { [T in MessageType]?: PayloadOf<T> };
export type ReplyType = keyof typeof REPLIES;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Drives one saga instance by hand: every decision is checked not to touch the state it was given. */
export class Run {
  state: SagaState<Data>;
  now = new Date(T0);
  last!: Decision<Data>;
  readonly history: HistoryEntry[] = [];
  #ids = 0;
  constructor(
    readonly def: SagaDefinition<Data> = makeDef(),
    data: Partial<Data> = {},
    readonly settings: SagaSettings = SETTINGS,
  ) {
    this.state = initialState(def, {
      id: SAGA,
      data: { token: null, reason: 'SYSTEM_ERROR', skipThree: false, skipFour: false, ...data },
      now: this.now,
    });
  }

  newId = (): string => `00000000-0000-4000-8000-${String(++this.#ids).padStart(12, '0')}`;

  decide(input: SagaInput): Decision<Data> {
    const before = structuredClone(this.state);
    const frozen = deepFreeze(structuredClone(this.state));
    const decision = decide(this.def, frozen, input, { now: new Date(this.now), settings: this.settings, newId: this.newId });
    expect(frozen).toEqual(before);
    this.state = decision.state;
    this.history.push(...decision.history);
    this.last = decision;
    return decision;
  }

  start() {
    return this.decide({ kind: 'start' });
  }

  timeout() {
    return this.decide({ kind: 'timeout' });
  }

  /** Moves the clock past the current deadline, then fires the timeout. */
  expire(extraMs = 1) {
    if (!this.state.deadlineAt) throw new Error('no deadline');
    this.now = new Date(new Date(this.state.deadlineAt).getTime() + extraMs);
    return this.timeout();
  }

  message<T extends ReplyType>(type: T, causationId: string | null): TypedMessage {
    return createMessage(type, REPLIES[type] as PayloadOf<T>, {
      messageId: this.newId(),
      correlationId: SAGA,
      causationId,
      source: 'test',
      timestamp: this.now,
    }) as TypedMessage;
  }

  deliver(message: TypedMessage) {
    return this.decide({ kind: 'reply', message });
  }

  /** Replies `type` to the latest command sent (or to `causationId`). */
  reply(type: ReplyType, causationId: string | null = this.lastCommandId()) {
    return this.deliver(this.message(type, causationId));
  }

  lastCommandId(): string {
    const id = this.state.awaiting.at(-1);
    if (!id) throw new Error('nothing awaited');
    return id;
  }

  commandTypes(d: Decision<Data> = this.last) {
    return d.commands.map((c) => c.command.type);
  }

  eventTypes(d: Decision<Data> = this.last) {
    return d.events.map((e) => e.type);
  }
}

/** A run that has passed steps one, two and three (and is waiting for four). */
export function atStepFour(def = makeDef()): Run {
  const run = new Run(def);
  run.start();
  run.reply('user.payment_info_retrieved');
  run.reply('order.accepted');
  run.reply('payment.authorized');
  expect(run.commandTypes()).toEqual(['update_order_status']);
  return run;
}
