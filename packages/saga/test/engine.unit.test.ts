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
import { describe, expect, it } from 'vitest';

// The engine's generic rules, checked with a small made-up saga of four steps. Time only moves when a
// test moves `now`; ids come from a counter.

const ORDER = '6f1c2a0e-4b7d-4c1e-9a2b-3d4e5f6a7b8c';
const USER = '0b8e7f6a-5d4c-4b3a-8f9e-1a2b3c4d5e6f';
const RUNNER = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
const PAYMENT = '1f2e3d4c-5b6a-4978-8a7b-6c5d4e3f2a1b';
const SAGA = '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d';
const T0 = new Date('2026-11-26T10:00:00.000Z');
const SETTINGS: SagaSettings = { stepTimeoutMs: 30_000, maxAttempts: 3, orderAcceptTimeoutMs: 1_800_000 };

interface Data {
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
function makeDef(over: Overrides = {}): SagaDefinition<Data> {
  const policy = (p: FailurePolicy = 'compensate') => ({ onFailure: p, onTimeout: p });
  return {
    type: 'create-order',
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
const REPLIES = {
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
type ReplyType = keyof typeof REPLIES;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Drives one saga instance by hand: every decision is checked not to touch the state it was given. */
class Run {
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
      orderId: ORDER,
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
function atStepFour(def = makeDef()): Run {
  const run = new Run(def);
  run.start();
  run.reply('user.payment_info_retrieved');
  run.reply('order.accepted');
  run.reply('payment.authorized');
  expect(run.commandTypes()).toEqual(['update_order_status']);
  return run;
}

describe('start', () => {
  it('sends step 1, emits saga.started and arms the deadline', () => {
    const run = new Run();
    const d = run.start();
    expect(d.commands).toHaveLength(1);
    const [sent] = d.commands;
    expect(sent?.command).toEqual({ type: 'get_payment_info', payload: { user_id: USER } });
    expect(d.events).toEqual([{ type: 'saga.started', step: null }]);
    expect(d.history).toEqual([
      { at: T0.toISOString(), kind: 'command', type: 'get_payment_info', messageId: sent?.messageId, note: null },
    ]);
    expect(d.state).toMatchObject({
      status: 'RUNNING',
      phase: 'forward',
      stepIndex: 0,
      awaiting: [sent?.messageId],
      attempts: 1,
      deadlineAt: new Date(T0.getTime() + SETTINGS.stepTimeoutMs).toISOString(),
      compensations: [],
      endedAt: null,
      error: null,
    });
  });

  it('is a no-op on a saga that already started', () => {
    const run = new Run();
    run.start();
    const before = structuredClone(run.state);
    const d = run.start();
    expect(d.commands).toEqual([]);
    expect(d.events).toEqual([]);
    expect(d.state).toEqual(before);
  });

  it('skips the first steps when their skip() says so, and completes a saga that has nothing to do', () => {
    const def = makeDef({ one: { skip: () => true }, two: { skip: () => true } });
    const run = new Run(def, { skipThree: true, skipFour: false });
    run.start();
    expect(run.commandTypes()).toEqual(['update_order_status']);
    expect(run.state.stepIndex).toBe(3);

    const empty = new Run(def, { skipThree: true, skipFour: true });
    const d = empty.start();
    expect(d.commands).toEqual([]);
    expect(empty.eventTypes()).toEqual(['saga.started', 'saga.completed']);
    expect(d.state.status).toBe('COMPLETED');
    expect(d.state.endedAt).toBe(T0.toISOString());
  });
});

describe('forward steps', () => {
  it('a success reply folds the data, registers the compensation, emits saga.step_completed and sends the next step', () => {
    const run = new Run();
    run.start();
    const first = run.lastCommandId();
    run.now = new Date(T0.getTime() + 5_000);
    const reply = run.message('user.payment_info_retrieved', first);
    const d = run.deliver(reply);
    expect(d.events).toEqual([{ type: 'saga.step_completed', step: 'one' }]);
    expect(run.commandTypes()).toEqual(['accept_order']);
    expect(d.state.data.token).toBe('tok_visa');
    expect(d.state.stepIndex).toBe(1);
    expect(d.state.awaiting).toEqual([d.commands[0]?.messageId]);
    expect(d.state.attempts).toBe(1);
    expect(d.state.deadlineAt).toBe(new Date(run.now.getTime() + SETTINGS.stepTimeoutMs).toISOString());
    expect(d.state.compensations).toEqual([
      { step: 'one', command: { type: 'cancel_order', payload: { order_id: ORDER, reason: 'SYSTEM_ERROR' } } },
    ]);
    expect(d.history).toEqual([
      { at: run.now.toISOString(), kind: 'event', type: 'user.payment_info_retrieved', messageId: reply.message_id, note: null },
      { at: run.now.toISOString(), kind: 'command', type: 'accept_order', messageId: d.commands[0]?.messageId, note: null },
    ]);
  });

  it('the last success completes the saga with endedAt', () => {
    const run = atStepFour();
    run.now = new Date(T0.getTime() + 60_000);
    const d = run.reply('order.status_updated');
    expect(d.commands).toEqual([]);
    expect(d.events).toEqual([
      { type: 'saga.step_completed', step: 'four' },
      { type: 'saga.completed', step: null },
    ]);
    expect(d.state).toMatchObject({
      status: 'COMPLETED',
      phase: 'done',
      awaiting: [],
      deadlineAt: null,
      error: null,
      endedAt: run.now.toISOString(),
      startedAt: T0.toISOString(),
    });
  });

  it('skip() skips a middle step: no command, no step_completed, no compensation for it', () => {
    const run = new Run(makeDef(), { skipThree: true });
    run.start();
    run.reply('user.payment_info_retrieved');
    const d = run.reply('order.accepted');
    expect(run.commandTypes()).toEqual(['update_order_status']);
    expect(d.events).toEqual([{ type: 'saga.step_completed', step: 'two' }]);
    expect(d.state.stepIndex).toBe(3);
    run.reply('order.status_update_failed');
    expect(run.commandTypes()).toEqual(['release_runner']);
    run.reply('order.runner_released');
    expect(run.commandTypes()).toEqual(['cancel_order']);
    run.reply('order.cancelled');
    expect(run.state.status).toBe('COMPENSATED');
    expect(run.history.some((h) => h.type === 'authorize_payment' || h.type === 'revert_payment')).toBe(false);
  });

  it('skip() on the last steps completes the saga right after the last step that runs', () => {
    const run = new Run(makeDef(), { skipThree: true, skipFour: true });
    run.start();
    run.reply('user.payment_info_retrieved');
    const d = run.reply('order.accepted');
    expect(d.commands).toEqual([]);
    expect(run.eventTypes()).toEqual(['saga.step_completed', 'saga.completed']);
    expect(d.state.status).toBe('COMPLETED');
  });
});

describe('failure policies', () => {
  it('compensate: runs the registered compensations in reverse order, one at a time, each acked by any reply', () => {
    const run = atStepFour();
    const d = run.reply('order.status_update_failed');
    expect(d.events).toEqual([{ type: 'saga.compensating', step: 'four' }]);
    expect(d.state.status).toBe('COMPENSATING');
    expect(d.state.phase).toBe('compensation');
    expect(d.state.error).toBe('four failed: order.status_update_failed (INVALID_TRANSITION)');
    expect(d.state.compensations.map((c) => c.step)).toEqual(['one', 'two', 'three']);
    // One at a time: the last registered first.
    expect(d.commands).toHaveLength(1);
    expect(d.commands[0]?.command).toEqual({ type: 'revert_payment', payload: { order_id: ORDER, reason: 'test' } });
    expect(d.history.at(-1)).toMatchObject({ kind: 'compensation', type: 'revert_payment', note: null });
    expect(d.state.awaiting).toEqual([d.commands[0]?.messageId]);

    // A failure-type reply acknowledges a compensation too.
    const e = run.reply('payment.revert_failed');
    expect(e.history[0]).toMatchObject({ kind: 'event', type: 'payment.revert_failed', note: 'compensation acknowledged' });
    expect(e.commands.map((c) => c.command)).toEqual([{ type: 'release_runner', payload: { order_id: ORDER, runner_id: RUNNER } }]);
    expect(e.events).toEqual([]);
    expect(e.state.compensated).toBe(1);

    // So does a success-type reply, and a reply of a type unrelated to the compensating command.
    run.reply('order.runner_released');
    expect(run.last.commands.map((c) => c.command)).toEqual([
      { type: 'cancel_order', payload: { order_id: ORDER, reason: 'SYSTEM_ERROR' } },
    ]);
    run.now = new Date(T0.getTime() + 99_000);
    const f = run.reply('payment.reverted');
    expect(f.commands).toEqual([]);
    expect(f.events).toEqual([{ type: 'saga.compensated', step: 'four' }]);
    expect(f.state).toMatchObject({
      status: 'COMPENSATED',
      phase: 'done',
      compensated: 3,
      awaiting: [],
      deadlineAt: null,
      endedAt: run.now.toISOString(),
      error: 'four failed: order.status_update_failed (INVALID_TRANSITION)',
    });
    expect(run.history.filter((h) => h.kind === 'compensation').map((h) => h.type)).toEqual([
      'revert_payment',
      'release_runner',
      'cancel_order',
    ]);
  });

  it('compensate: compensations are built from the data at failure time (onFailed)', () => {
    const run = new Run();
    run.start();
    run.reply('user.payment_info_retrieved');
    run.reply('order.accepted');
    expect(run.state.compensations[0]?.command).toEqual({ type: 'cancel_order', payload: { order_id: ORDER, reason: 'SYSTEM_ERROR' } });
    run.reply('payment.failed');
    expect(run.state.data.reason).toBe('PAYMENT_DECLINED');
    // A failure reply does not register the failing step's own compensation.
    expect(run.state.compensations.map((c) => c.step)).toEqual(['one', 'two']);
    expect(run.last.commands.map((c) => c.command.type)).toEqual(['release_runner']);
    run.reply('order.runner_released');
    expect(run.last.commands.map((c) => c.command)).toEqual([
      { type: 'cancel_order', payload: { order_id: ORDER, reason: 'PAYMENT_DECLINED' } },
    ]);
  });

  it('compensate with nothing registered: COMPENSATED directly, no command', () => {
    const run = new Run();
    run.start();
    const d = run.reply('user.payment_info_failed');
    expect(d.commands).toEqual([]);
    expect(d.events).toEqual([
      { type: 'saga.compensating', step: 'one' },
      { type: 'saga.compensated', step: 'one' },
    ]);
    expect(d.state).toMatchObject({ status: 'COMPENSATED', phase: 'done', awaiting: [], endedAt: T0.toISOString() });
    expect(d.state.error).toBe('one failed: user.payment_info_failed (NO_PAYMENT_METHOD)');
  });

  it('fail: FAILED at once, registered compensations are not run', () => {
    const run = atStepFour(makeDef({ four: { onFailure: 'fail' } }));
    const d = run.reply('order.status_update_failed');
    expect(d.commands).toEqual([]);
    expect(d.events).toEqual([{ type: 'saga.failed', step: 'four' }]);
    expect(d.state).toMatchObject({
      status: 'FAILED',
      phase: 'done',
      awaiting: [],
      deadlineAt: null,
      endedAt: T0.toISOString(),
      error: 'four failed: order.status_update_failed (INVALID_TRANSITION)',
    });
    expect(d.history.some((h) => h.kind === 'compensation')).toBe(false);
  });

  it('fail applies onFailed to the data', () => {
    const run = new Run(makeDef({ three: { onFailure: 'fail' } }));
    run.start();
    run.reply('user.payment_info_retrieved');
    run.reply('order.accepted');
    run.reply('payment.failed');
    expect(run.state.status).toBe('FAILED');
    expect(run.state.data.reason).toBe('PAYMENT_DECLINED');
  });

  it('retry: a failure re-sends the same command with a new message id and counts the attempt', () => {
    const run = atStepFour(makeDef({ four: { onFailure: 'retry' } }));
    const first = run.lastCommandId();
    const firstCommand = structuredClone(run.last.commands[0]?.command);
    const d = run.reply('order.status_update_failed', first);
    expect(d.commands).toHaveLength(1);
    const second = d.commands[0]!;
    expect(second.messageId).not.toBe(first);
    expect(second.command).toEqual(firstCommand);
    expect(d.events).toEqual([]);
    expect(d.state).toMatchObject({ status: 'RUNNING', phase: 'forward', stepIndex: 3, attempts: 2 });
    expect(d.state.awaiting).toContain(second.messageId);
    expect(d.history.at(-1)).toMatchObject({
      kind: 'command',
      type: 'update_order_status',
      messageId: second.messageId,
      note: 'attempt 2',
    });
    // The reply to the new id is accepted.
    run.reply('order.status_updated', second.messageId);
    expect(run.state.status).toBe('COMPLETED');
  });

  it('retry: after a timeout re-send, a reply to the old id or to the new id is accepted', () => {
    const def = makeDef({ four: { onTimeout: 'retry' } });
    for (const answer of ['old', 'new'] as const) {
      const run = atStepFour(def);
      const old = run.lastCommandId();
      run.expire();
      const fresh = run.lastCommandId();
      expect(fresh).not.toBe(old);
      expect(run.state.awaiting).toEqual([old, fresh]);
      expect(run.last.history.map((h) => [h.kind, h.type, h.note])).toEqual([
        ['timeout', 'four', null],
        ['command', 'update_order_status', 'attempt 2'],
      ]);
      const d = run.reply('order.status_updated', answer === 'old' ? old : fresh);
      expect(d.state.status).toBe('COMPLETED');
      // The other attempt's reply is then late and ignored.
      const before = structuredClone(run.state);
      const late = run.reply('order.status_updated', answer === 'old' ? fresh : old);
      expect(late.state).toEqual(before);
      expect(late.history).toEqual([expect.objectContaining({ kind: 'event', note: 'ignored: does not answer the command in hand' })]);
    }
  });

  it('retry: a duplicate of a failure reply already acted upon does not retry again', () => {
    const run = atStepFour(makeDef({ four: { onFailure: 'retry' } }));
    const failure = run.message('order.status_update_failed', run.lastCommandId());
    run.deliver(failure);
    expect(run.state.attempts).toBe(2);
    const before = structuredClone(run.state);
    // The same message delivered again, and the same reply produced again by an idempotent handler.
    for (const again of [failure, { ...failure, message_id: run.newId() }]) {
      const d = run.deliver(again);
      expect(d.commands).toEqual([]);
      expect(d.events).toEqual([]);
      expect(d.state).toEqual(before);
      expect(d.history).toEqual([
        expect.objectContaining({ kind: 'event', type: 'order.status_update_failed', note: expect.stringMatching(/^ignored/) }),
      ]);
    }
  });

  it('retry: maxAttempts exhausted by failures → FAILED', () => {
    const run = atStepFour(makeDef({ four: { onFailure: 'retry' } }));
    run.reply('order.status_update_failed');
    run.reply('order.status_update_failed');
    expect(run.state.attempts).toBe(3);
    const d = run.reply('order.status_update_failed');
    expect(d.commands).toEqual([]);
    expect(d.events).toEqual([{ type: 'saga.failed', step: 'four' }]);
    expect(d.state.status).toBe('FAILED');
    expect(d.state.error).toBe('four failed: order.status_update_failed (INVALID_TRANSITION) after 3 attempts');
    expect(run.history.filter((h) => h.kind === 'command' && h.type === 'update_order_status')).toHaveLength(3);
  });

  it('retry: maxAttempts exhausted by timeouts → FAILED', () => {
    const run = atStepFour(makeDef({ four: { onTimeout: 'retry' } }));
    run.expire();
    run.expire();
    expect(run.state.awaiting).toHaveLength(3);
    const d = run.expire();
    expect(d.commands).toEqual([]);
    expect(d.state.status).toBe('FAILED');
    expect(d.state.error).toBe('STEP_TIMEOUT: no reply to four after 3 attempts');
    expect(d.events).toEqual([{ type: 'saga.failed', step: 'four' }]);
  });
});

describe('deadlines', () => {
  it('a timeout before the deadline does nothing, not even a history entry', () => {
    const run = atStepFour();
    const before = structuredClone(run.state);
    const deadline = new Date(run.state.deadlineAt!).getTime();
    for (const at of [T0.getTime(), deadline - 1]) {
      run.now = new Date(at);
      const d = run.timeout();
      expect(d).toEqual({ state: before, commands: [], history: [], events: [] });
    }
  });

  it('a timeout after the deadline applies onTimeout and registers the timed-out step’s own compensation', () => {
    const run = new Run();
    run.start();
    run.reply('user.payment_info_retrieved');
    const d = run.expire(5_000);
    expect(d.history[0]).toEqual({ at: run.now.toISOString(), kind: 'timeout', type: 'two', messageId: null, note: null });
    expect(d.events).toEqual([{ type: 'saga.compensating', step: 'two' }]);
    expect(d.state.error).toBe('STEP_TIMEOUT: no reply to two');
    // accept_order may still land: its release is registered and runs first.
    expect(d.state.compensations.map((c) => c.step)).toEqual(['one', 'two']);
    expect(d.commands.map((c) => c.command)).toEqual([{ type: 'release_runner', payload: { order_id: ORDER, runner_id: RUNNER } }]);
    // The timed-out step's late success is ignored.
    const before = structuredClone(run.state);
    const late = run.reply('order.accepted', run.history.find((h) => h.type === 'accept_order')!.messageId);
    expect(late.state).toEqual(before);
    expect(late.commands).toEqual([]);
    run.reply('order.runner_release_failed');
    run.reply('order.cancel_failed');
    expect(run.state.status).toBe('COMPENSATED');
    expect(run.state.error).toBe('STEP_TIMEOUT: no reply to two');
  });

  it('a timeout passes onFailed a null reply', () => {
    const run = new Run();
    run.start();
    run.reply('user.payment_info_retrieved');
    run.reply('order.accepted');
    run.expire();
    expect(run.state.data.reason).toBe('SYSTEM_ERROR');
    expect(run.last.commands.map((c) => c.command.type)).toEqual(['revert_payment']);
  });

  it('a timeout with policy fail → FAILED', () => {
    const run = new Run(makeDef({ one: { onTimeout: 'fail' } }));
    run.start();
    const d = run.expire();
    expect(d.state.status).toBe('FAILED');
    expect(d.commands).toEqual([]);
    expect(d.events).toEqual([{ type: 'saga.failed', step: 'one' }]);
  });

  it('a compensation that times out is re-sent until maxAttempts, then the saga is FAILED', () => {
    const run = atStepFour();
    run.reply('order.status_update_failed');
    const first = run.last.commands[0]!;
    const d2 = run.expire();
    expect(d2.commands.map((c) => c.command)).toEqual([first.command]);
    expect(d2.commands[0]?.messageId).not.toBe(first.messageId);
    expect(d2.history.map((h) => [h.kind, h.type, h.note])).toEqual([
      ['timeout', 'revert_payment', null],
      ['compensation', 'revert_payment', 'attempt 2'],
    ]);
    run.expire();
    expect(run.state.attempts).toBe(3);
    const d = run.expire();
    expect(d.commands).toEqual([]);
    expect(d.events).toEqual([{ type: 'saga.failed', step: 'four' }]);
    expect(d.state.status).toBe('FAILED');
    expect(d.state.error).toBe('compensation revert_payment unacknowledged after 3 attempts');
    expect(d.state.endedAt).toBe(run.now.toISOString());
  });

  it('a re-sent compensation is acknowledged by a reply to any of its attempts', () => {
    const run = atStepFour();
    run.reply('order.status_update_failed');
    const first = run.lastCommandId();
    run.expire();
    run.reply('payment.reverted', first);
    expect(run.last.commands.map((c) => c.command.type)).toEqual(['release_runner']);
    expect(run.state.attempts).toBe(1);
    expect(run.state.compensated).toBe(1);
  });
});

describe('replies that do not answer the command in hand', () => {
  function expectIgnored(run: Run, message: TypedMessage, note = 'ignored: does not answer the command in hand') {
    const before = structuredClone(run.state);
    const d = run.deliver(message);
    expect(d.state).toEqual(before);
    expect(d.commands).toEqual([]);
    expect(d.events).toEqual([]);
    expect(d.history).toEqual([{ at: run.now.toISOString(), kind: 'event', type: message.type, messageId: message.message_id, note }]);
  }

  it('late replies to an earlier step, duplicates, unknown or missing causation are recorded and ignored', () => {
    const run = new Run();
    run.start();
    const firstId = run.lastCommandId();
    const reply = run.message('user.payment_info_retrieved', firstId);
    run.deliver(reply);
    expectIgnored(run, reply); // the same delivery again
    expectIgnored(run, run.message('user.payment_info_retrieved', firstId)); // the same reply produced again
    expectIgnored(run, run.message('user.payment_info_failed', firstId)); // a late, contradicting one
    expectIgnored(run, run.message('order.accepted', null));
    expectIgnored(run, run.message('order.accepted', run.newId()));
  });

  it('a reply of a type the step does not know is ignored even with the right causation', () => {
    const run = new Run();
    run.start();
    expectIgnored(run, run.message('order.accepted', run.lastCommandId()), 'ignored: not a reply of this step');
  });

  it('replies to a compensation already acknowledged are ignored', () => {
    const run = atStepFour();
    run.reply('order.status_update_failed');
    const ack = run.message('payment.reverted', run.lastCommandId());
    run.deliver(ack);
    expectIgnored(run, ack);
    expectIgnored(run, run.message('payment.revert_failed', ack.causation_id));
  });

  it('replies and timeouts to finished sagas change nothing', () => {
    const completed = atStepFour();
    const lastId = completed.lastCommandId();
    completed.reply('order.status_updated');
    expectIgnored(completed, completed.message('order.status_updated', lastId));
    expectIgnored(completed, completed.message('order.status_update_failed', lastId));

    const compensated = new Run();
    compensated.start();
    const id = compensated.lastCommandId();
    compensated.reply('user.payment_info_failed');
    expect(compensated.state.status).toBe('COMPENSATED');
    expectIgnored(compensated, compensated.message('user.payment_info_retrieved', id));

    const failed = atStepFour(makeDef({ four: { onFailure: 'fail' } }));
    const fid = failed.lastCommandId();
    failed.reply('order.status_update_failed');
    expectIgnored(failed, failed.message('order.status_updated', fid));

    for (const run of [completed, compensated, failed]) {
      const before = structuredClone(run.state);
      run.now = new Date(run.now.getTime() + 10 * SETTINGS.stepTimeoutMs);
      expect(run.timeout()).toEqual({ state: before, commands: [], history: [], events: [] });
      expect(run.start()).toEqual({ state: before, commands: [], history: [], events: [] });
    }
  });
});

describe('purity and history', () => {
  it('decide does not mutate the state it is given (also checked on every decision of every test)', () => {
    const run = atStepFour();
    const input = structuredClone(run.state);
    const snapshot = JSON.stringify(input);
    const out = decide(
      run.def,
      input,
      { kind: 'reply', message: run.message('order.status_update_failed', run.lastCommandId()) },
      {
        now: run.now,
        settings: SETTINGS,
        newId: run.newId,
      },
    );
    expect(JSON.stringify(input)).toBe(snapshot);
    expect(out.state).not.toBe(input);
    expect(out.state.data).not.toBe(input.data);
    expect(out.state.status).toBe('COMPENSATING');
    expect(input.status).toBe('RUNNING');
  });

  it('history kinds are command, event, timeout and compensation, stamped with `now`', () => {
    const run = new Run(makeDef({ two: { onTimeout: 'retry' } }));
    run.start();
    run.now = new Date(T0.getTime() + 1_000);
    run.reply('user.payment_info_retrieved');
    run.expire();
    run.reply('order.accepted');
    run.reply('payment.failed');
    run.expire();
    run.reply('order.runner_released');
    run.reply('order.cancelled');
    expect(run.state.status).toBe('COMPENSATED');
    expect(new Set(run.history.map((h) => h.kind))).toEqual(new Set(['command', 'event', 'timeout', 'compensation']));
    expect(run.history.map((h) => [h.kind, h.type])).toEqual([
      ['command', 'get_payment_info'],
      ['event', 'user.payment_info_retrieved'],
      ['command', 'accept_order'],
      ['timeout', 'two'],
      ['command', 'accept_order'],
      ['event', 'order.accepted'],
      ['command', 'authorize_payment'],
      ['event', 'payment.failed'],
      ['compensation', 'release_runner'],
      ['timeout', 'release_runner'],
      ['compensation', 'release_runner'],
      ['event', 'order.runner_released'],
      ['compensation', 'cancel_order'],
      ['event', 'order.cancelled'],
    ]);
    expect(run.history[0]?.at).toBe(T0.toISOString());
    expect(run.history[1]?.at).toBe(new Date(T0.getTime() + 1_000).toISOString());
  });
});
