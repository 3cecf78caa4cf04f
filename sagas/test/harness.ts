import { createMessage, MESSAGES, type MessageType, type PayloadOf, type TypedMessage } from '@campusg/contracts';
import {
  type Decision,
  decide,
  type HistoryEntry,
  initialState,
  type SagaCommand,
  type SagaDefinition,
  type SagaInput,
  type SagaSettings,
  type SagaState,
} from '@campusg/saga';
import { expect } from 'vitest';
import type { AcceptOrderData } from '../src/accept-order.ts';
import type { CancelOrderData } from '../src/cancel-order.ts';
import type { CompleteOrderData } from '../src/complete-order.ts';
import { type CreateOrderData, createOrderSaga } from '../src/create-order.ts';
import type { ReleaseOrderData } from '../src/release-order.ts';

// Test support for the saga definitions: fixed ids, a hand-moved clock, and a tiny "world" that
// answers every command with a schema-valid success or failure reply.

export const ORDER = '6f1c2a0e-4b7d-4c1e-9a2b-3d4e5f6a7b8c';
export const CUSTOMER = '0b8e7f6a-5d4c-4b3a-8f9e-1a2b3c4d5e6f';
export const RUNNER = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
export const OTHER_RUNNER = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
export const PAYMENT = '1f2e3d4c-5b6a-4978-8a7b-6c5d4e3f2a1b';
export const SAGA = '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d';
export const T0 = new Date('2026-11-26T10:00:00.000Z');
export const SETTINGS: SagaSettings = { stepTimeoutMs: 30_000, maxAttempts: 4 };
/** The acceptance window the create-order definition under test is built with. */
export const ACCEPT_TIMEOUT_MS = 1_800_000;
export const createOrder = createOrderSaga({ orderAcceptTimeoutMs: ACCEPT_TIMEOUT_MS });

export const ORDER_PAYLOAD: PayloadOf<'create_order'> = {
  order_id: ORDER,
  customer_id: CUSTOMER,
  store: { name: 'Koufu', location: 'SMU Connexion L1' },
  items: [{ name: 'Chicken rice', quantity: 2, price_cents: 450 }],
  delivery_fee_cents: 300,
  delivery_location: { building: 'SCIS 1', room: 'GSR 2-4' },
  instructions: null,
};
export const TOTAL_CENTS = 1200;
export const CARD_TOKEN = 'tok_sandbox_visa_4242';
export const PAYOUT_ACCOUNT = 'acct_runner_001';

export const createData = (over: Partial<CreateOrderData> = {}): CreateOrderData => ({
  order: structuredClone(ORDER_PAYLOAD),
  totalCents: null,
  paymentMethodToken: null,
  cancelReason: 'SYSTEM_ERROR',
  ...over,
});
export const acceptData = (over: Partial<AcceptOrderData> = {}): AcceptOrderData => ({ orderId: ORDER, runnerId: RUNNER, ...over });
export const releaseData = (over: Partial<ReleaseOrderData> = {}): ReleaseOrderData => ({
  orderId: ORDER,
  runnerId: RUNNER,
  acceptBy: new Date(T0.getTime() + ACCEPT_TIMEOUT_MS).toISOString(),
  ...over,
});
export const cancelData = (reason: CancelOrderData['reason']): CancelOrderData => ({ orderId: ORDER, reason });
export const completeData = (over: Partial<CompleteOrderData> = {}): CompleteOrderData => ({
  orderId: ORDER,
  runnerId: RUNNER,
  payoutAccountId: null,
  ...over,
});

type Reply = { type: MessageType; payload: unknown };

/** The world's answer to a command: its success reply, and its failure reply if it has one. */
export function replyTo(command: SagaCommand, ok: boolean): Reply {
  const c = command;
  switch (c.type) {
    case 'create_order':
      return ok
        ? {
            type: 'order.created',
            payload: {
              order_id: c.payload.order_id,
              customer_id: c.payload.customer_id,
              status: 'PENDING',
              food_cents: 900,
              delivery_fee_cents: 300,
              total_cents: TOTAL_CENTS,
            },
          }
        : { type: 'order.creation_failed', payload: { order_id: c.payload.order_id, code: 'INVALID_ORDER', message: 'no items' } };
    case 'get_payment_info':
      return ok
        ? {
            type: 'user.payment_info_retrieved',
            payload: { user_id: c.payload.user_id, payment_method_token: CARD_TOKEN, card: { brand: 'visa', last4: '4242' } },
          }
        : { type: 'user.payment_info_failed', payload: { user_id: c.payload.user_id, code: 'NO_PAYMENT_METHOD' } };
    case 'authorize_payment':
      return ok
        ? {
            type: 'payment.authorized',
            payload: { payment_id: PAYMENT, order_id: c.payload.order_id, amount_cents: c.payload.amount_cents },
          }
        : { type: 'payment.failed', payload: { order_id: c.payload.order_id, code: 'CARD_DECLINED', message: 'declined' } };
    case 'update_order_status':
      return ok
        ? {
            type: 'order.status_updated',
            payload: {
              order_id: c.payload.order_id,
              status: c.payload.status,
              previous_status: c.payload.expected_status,
              runner_id: null,
            },
          }
        : {
            type: 'order.status_update_failed',
            payload: { order_id: c.payload.order_id, code: 'INVALID_TRANSITION', message: 'conflict' },
          };
    case 'start_order_timer':
      return ok
        ? { type: 'timer.started', payload: { order_id: c.payload.order_id, timeout_at: c.payload.timeout_at } }
        : { type: 'timer.failed', payload: { order_id: c.payload.order_id, code: 'TIMER_UNAVAILABLE' } };
    case 'stop_order_timer':
      // There is no failure reply to stop_order_timer.
      return { type: 'timer.stopped', payload: { order_id: c.payload.order_id, reason: c.payload.reason, already: !ok } };
    case 'accept_order':
      return ok
        ? { type: 'order.accepted', payload: { order_id: c.payload.order_id, runner_id: c.payload.runner_id, customer_id: CUSTOMER } }
        : {
            type: 'order.accept_failed',
            payload: { order_id: c.payload.order_id, runner_id: c.payload.runner_id, code: 'ORDER_NOT_AVAILABLE' },
          };
    case 'release_runner':
      return ok
        ? { type: 'order.runner_released', payload: { order_id: c.payload.order_id, runner_id: c.payload.runner_id } }
        : { type: 'order.runner_release_failed', payload: { order_id: c.payload.order_id, code: 'RUNNER_NOT_ASSIGNED' } };
    case 'release_order':
      return ok
        ? {
            type: 'order.released',
            payload: {
              order_id: c.payload.order_id,
              runner_id: c.payload.runner_id,
              customer_id: CUSTOMER,
              accept_by: c.payload.accept_by,
            },
          }
        : {
            type: 'order.release_failed',
            payload: { order_id: c.payload.order_id, runner_id: c.payload.runner_id, code: 'RUNNER_NOT_ASSIGNED', status: 'PLACED' },
          };
    case 'restart_order_timer':
      // timer.failed: the order was cancelled meanwhile, and its timer stays stopped.
      return ok
        ? { type: 'timer.started', payload: { order_id: c.payload.order_id, timeout_at: c.payload.timeout_at } }
        : { type: 'timer.failed', payload: { order_id: c.payload.order_id, code: 'ORDER_CANCELLED' } };
    case 'cancel_order':
      return ok
        ? { type: 'order.cancelled', payload: { order_id: c.payload.order_id, reason: c.payload.reason, previous_status: 'CREATED' } }
        : { type: 'order.cancel_failed', payload: { order_id: c.payload.order_id, code: 'ORDER_NOT_CANCELLABLE', status: 'ACCEPTED' } };
    case 'revert_payment':
      return ok
        ? {
            type: 'payment.reverted',
            payload: { payment_id: PAYMENT, order_id: c.payload.order_id, amount_cents: TOTAL_CENTS, method: 'VOID' },
          }
        : { type: 'payment.revert_failed', payload: { order_id: c.payload.order_id, code: 'ALREADY_RELEASED' } };
    case 'get_payout_info':
      return ok
        ? { type: 'user.payout_info_retrieved', payload: { user_id: c.payload.user_id, payout_account_id: PAYOUT_ACCOUNT } }
        : { type: 'user.payout_info_failed', payload: { user_id: c.payload.user_id, code: 'NOT_A_RUNNER' } };
    case 'release_payment':
      return ok
        ? {
            type: 'payment.released',
            payload: {
              payment_id: PAYMENT,
              order_id: c.payload.order_id,
              runner_id: c.payload.runner_id,
              amount_cents: TOTAL_CENTS,
              transfer_id: 'tr_001',
            },
          }
        : { type: 'payment.release_failed', payload: { order_id: c.payload.order_id, code: 'NOT_AUTHORIZED' } };
    default:
      throw new Error(`no reply known for ${c.type}`);
  }
}

/** Throws unless `payload` is valid for `type` (every command a saga sends, every reply a test makes). */
export function assertValid(type: MessageType, payload: unknown): void {
  const result = MESSAGES[type].payload.safeParse(payload);
  if (!result.success) throw new Error(`invalid ${type} payload: ${JSON.stringify(payload)}: ${result.error.message}`);
}

export interface Sent {
  messageId: string;
  command: SagaCommand;
  kind: 'command' | 'compensation';
  /** 1 for a first attempt, n for a re-send. */
  attempt: number;
  at: Date;
}

/** Drives one saga instance by hand, keeping every command, reply, event and history entry. */
export class Run<D> {
  state: SagaState<D>;
  now = new Date(T0);
  last!: Decision<D>;
  readonly sent: Sent[] = [];
  readonly delivered: TypedMessage[] = [];
  readonly history: HistoryEntry[] = [];
  readonly events: Decision<D>['events'] = [];
  #ids = 0;

  constructor(
    readonly def: SagaDefinition<D>,
    data: D,
    readonly settings: SagaSettings = SETTINGS,
  ) {
    this.state = initialState(def, { id: SAGA, data, now: this.now });
  }

  newId = (): string => `00000000-0000-4000-8000-${String(++this.#ids).padStart(12, '0')}`;

  decide(input: SagaInput): Decision<D> {
    const snapshot = JSON.stringify(this.state);
    const decision = decide(this.def, this.state, input, { now: new Date(this.now), settings: this.settings, newId: this.newId });
    if (JSON.stringify(this.state) !== snapshot) throw new Error('decide mutated its input state');
    for (const { messageId, command } of decision.commands) {
      assertValid(command.type, command.payload);
      const entry = decision.history.find((h) => h.messageId === messageId);
      if (!entry || (entry.kind !== 'command' && entry.kind !== 'compensation')) throw new Error(`command ${messageId} not in history`);
      const attempt = entry.note ? Number(/^attempt (\d+)$/.exec(entry.note)?.[1]) : 1;
      this.sent.push({ messageId, command, kind: entry.kind, attempt, at: new Date(this.now) });
    }
    this.state = decision.state;
    this.history.push(...decision.history);
    this.events.push(...decision.events);
    this.last = decision;
    return decision;
  }

  start() {
    return this.decide({ kind: 'start' });
  }

  timeout() {
    return this.decide({ kind: 'timeout' });
  }

  /** Moves the clock `extraMs` past the current deadline and fires the timeout. */
  expire(extraMs = 1) {
    if (!this.state.deadlineAt) throw new Error('no deadline');
    this.now = new Date(new Date(this.state.deadlineAt).getTime() + extraMs);
    return this.timeout();
  }

  advance(ms: number) {
    this.now = new Date(this.now.getTime() + ms);
  }

  /** A reply message from the world, answering `causationId`. */
  message(reply: Reply, causationId: string | null): TypedMessage {
    assertValid(reply.type, reply.payload);
    return createMessage(reply.type, reply.payload as never, {
      messageId: this.newId(),
      correlationId: SAGA,
      causationId,
      source: 'test-world',
      timestamp: this.now,
    }) as TypedMessage;
  }

  deliver(message: TypedMessage) {
    this.delivered.push(message);
    return this.decide({ kind: 'reply', message });
  }

  /** The world answers a sent command (by default the latest one in hand) with success or failure. */
  answer(ok: boolean, to: Sent = this.current()) {
    return this.deliver(this.message(replyTo(to.command, ok), to.messageId));
  }

  /** Replies with an explicit type and payload to the latest command in hand (or to `causationId`). */
  replyWith<T extends MessageType>(type: T, payload: PayloadOf<T>, causationId: string | null = this.current().messageId) {
    return this.deliver(this.message({ type, payload }, causationId));
  }

  /** The latest command sent for the step or compensation in hand. */
  current(): Sent {
    const id = this.state.awaiting.at(-1);
    const sent = this.sent.find((s) => s.messageId === id);
    if (!sent) throw new Error(`no command in hand (status ${this.state.status})`);
    return sent;
  }

  /** Commands sent by the last decision. */
  lastCommands(): SagaCommand[] {
    return this.last.commands.map((c) => c.command);
  }

  /** Every command sent so far, of one kind, first attempts only unless `all`. */
  commands(kind: 'command' | 'compensation', all = false): SagaCommand[] {
    return this.sent.filter((s) => s.kind === kind && (all || s.attempt === 1)).map((s) => s.command);
  }
}

// Commands the tests expect, for the order under test.
export const cancel = (reason: string): SagaCommand => ({ type: 'cancel_order', payload: { order_id: ORDER, reason } }) as SagaCommand;
export const revert = (reason: string): SagaCommand => ({ type: 'revert_payment', payload: { order_id: ORDER, reason } });
export const stopTimer = (reason: 'ACCEPTED' | 'CANCELLED'): SagaCommand => ({
  type: 'stop_order_timer',
  payload: { order_id: ORDER, reason },
});
export const releaseRunner = (runner = RUNNER): SagaCommand => ({
  type: 'release_runner',
  payload: { order_id: ORDER, runner_id: runner },
});

/** Acknowledges compensations one by one (alternating success and failure replies) until the saga ends. */
export function acknowledgeAll<D>(run: Run<D>): SagaCommand[] {
  const seen: SagaCommand[] = [];
  let ok = true;
  while (run.state.status === 'COMPENSATING') {
    seen.push(run.current().command);
    run.answer(ok);
    // One compensation at a time.
    expect(run.last.commands.length).toBeLessThanOrEqual(1);
    ok = !ok;
  }
  return seen;
}
