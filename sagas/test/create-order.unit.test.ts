import type { SagaCommand } from '@campusg/saga';
import { describe, expect, it } from 'vitest';
import { createOrderSaga } from '../src/create-order.ts';
import {
  ACCEPT_TIMEOUT_MS,
  acknowledgeAll,
  CARD_TOKEN,
  CUSTOMER,
  cancel,
  createData,
  createOrder,
  ORDER,
  ORDER_PAYLOAD,
  PAYMENT,
  Run,
  revert,
  SETTINGS,
  stopTimer,
  TOTAL_CENTS,
} from './harness.ts';

// create-order, every row of its table in sagas.md.

describe('create-order', () => {
  const STEP_NAMES = ['create_order', 'get_payment_info', 'authorize_payment', 'update_order_status', 'start_order_timer'];

  /** Starts a saga and answers the first `n` steps with success. */
  function passSteps(n: number, data = createData()) {
    const run = new Run(createOrder, data);
    run.start();
    for (let i = 0; i < n; i++) run.answer(true);
    expect(run.current().command.type).toBe(STEP_NAMES[n]);
    return run;
  }

  it('sends each step’s command with its payload and completes', () => {
    const run = new Run(createOrder, createData());
    const d1 = run.start();
    expect(d1.events).toEqual([{ type: 'saga.started', step: null }]);
    // 1: create_order with the order as given.
    expect(run.lastCommands()).toEqual([{ type: 'create_order', payload: ORDER_PAYLOAD }]);
    run.advance(1_000);
    run.replyWith('order.created', {
      order_id: ORDER,
      customer_id: CUSTOMER,
      status: 'PENDING',
      food_cents: 900,
      delivery_fee_cents: 300,
      total_cents: 1234,
    });
    expect(run.state.data.totalCents).toBe(1234);
    // 2: get_payment_info for the customer.
    expect(run.lastCommands()).toEqual([{ type: 'get_payment_info', payload: { user_id: CUSTOMER } }]);
    run.replyWith('user.payment_info_retrieved', {
      user_id: CUSTOMER,
      payment_method_token: 'tok_42',
      card: { brand: 'visa', last4: '4242' },
    });
    // 3: authorize the order's total with the card token.
    expect(run.lastCommands()).toEqual([
      {
        type: 'authorize_payment',
        payload: { order_id: ORDER, customer_id: CUSTOMER, payment_method_token: 'tok_42', amount_cents: 1234, currency: 'SGD' },
      },
    ]);
    run.replyWith('payment.authorized', { payment_id: PAYMENT, order_id: ORDER, amount_cents: 1234 });
    // 4: PENDING → CREATED.
    expect(run.lastCommands()).toEqual([
      { type: 'update_order_status', payload: { order_id: ORDER, status: 'CREATED', expected_status: 'PENDING' } },
    ]);
    run.advance(7_000);
    const sentAt = new Date(run.now);
    run.replyWith('order.status_updated', { order_id: ORDER, status: 'CREATED', previous_status: 'PENDING', runner_id: null });
    // 5: the acceptance timer, due ORDER_ACCEPT_TIMEOUT_MS after the step is sent.
    const timeoutAt = new Date(sentAt.getTime() + ACCEPT_TIMEOUT_MS).toISOString();
    expect(run.lastCommands()).toEqual([{ type: 'start_order_timer', payload: { order_id: ORDER, timeout_at: timeoutAt } }]);
    run.advance(3_000);
    const d = run.replyWith('timer.started', { order_id: ORDER, timeout_at: timeoutAt });
    expect(d.state.status).toBe('COMPLETED');
    expect(d.state.endedAt).toBe(run.now.toISOString());
    expect(d.commands).toEqual([]);
    expect(run.events.map((e) => `${e.type}:${e.step}`)).toEqual([
      'saga.started:null',
      'saga.step_completed:create_order',
      'saga.step_completed:get_payment_info',
      'saga.step_completed:authorize_payment',
      'saga.step_completed:update_order_status',
      'saga.step_completed:start_order_timer',
      'saga.completed:null',
    ]);
    expect(run.commands('compensation')).toEqual([]);
  });

  it('timeout_at follows the configured ORDER_ACCEPT_TIMEOUT_MS', () => {
    const run = new Run(createOrderSaga({ orderAcceptTimeoutMs: 60_000 }), createData());
    run.start();
    for (let i = 0; i < 4; i++) run.answer(true);
    expect(run.current().command).toEqual({
      type: 'start_order_timer',
      payload: { order_id: ORDER, timeout_at: new Date(run.now.getTime() + 60_000).toISOString() },
    });
  });

  it('step 1 failure: COMPENSATED, nothing to undo, no command', () => {
    const run = passSteps(0);
    const d = run.answer(false);
    expect(d.commands).toEqual([]);
    expect(d.state.status).toBe('COMPENSATED');
    expect(d.events.map((e) => e.type)).toEqual(['saga.compensating', 'saga.compensated']);
    expect(d.state.error).toBe('create_order failed: order.creation_failed (INVALID_ORDER)');
  });

  // [failing step index, failure kind, expected compensations in order]
  const FAILURES: [number, 'failure' | 'timeout', SagaCommand[]][] = [
    [0, 'timeout', [cancel('SYSTEM_ERROR')]],
    [1, 'failure', [cancel('NO_PAYMENT_METHOD')]],
    [1, 'timeout', [cancel('SYSTEM_ERROR')]],
    [2, 'failure', [cancel('PAYMENT_DECLINED')]],
    [2, 'timeout', [revert('SYSTEM_ERROR'), cancel('SYSTEM_ERROR')]],
    [3, 'failure', [revert('SYSTEM_ERROR'), cancel('SYSTEM_ERROR')]],
    [3, 'timeout', [revert('SYSTEM_ERROR'), cancel('SYSTEM_ERROR')]],
    [4, 'failure', [revert('SYSTEM_ERROR'), cancel('SYSTEM_ERROR')]],
    [4, 'timeout', [stopTimer('CANCELLED'), revert('SYSTEM_ERROR'), cancel('SYSTEM_ERROR')]],
  ];

  it.each(FAILURES)('step %i (%s) compensates with exactly the listed commands, in order', (index, kind, expected) => {
    const step = STEP_NAMES[index]!;
    // The initial reason is deliberately wrong: the failing step decides it.
    const run = passSteps(index, createData({ cancelReason: 'CUSTOMER_CANCELLED' }));
    const d = kind === 'failure' ? run.answer(false) : run.expire();
    expect(d.events[0]).toEqual({ type: 'saga.compensating', step });
    expect(d.state.status).toBe('COMPENSATING');
    expect(d.state.error).toMatch(kind === 'timeout' ? `STEP_TIMEOUT: no reply to ${step}` : `${step} failed:`);
    expect(acknowledgeAll(run)).toEqual(expected);
    expect(run.state.status).toBe('COMPENSATED');
    expect(run.commands('compensation', true)).toEqual(expected);
    // Nothing forward is ever sent once compensation began.
    const began = run.history.findIndex((h) => h.kind === 'compensation');
    expect(run.history.slice(began).filter((h) => h.kind === 'command')).toEqual([]);
    expect(run.events.at(-1)).toEqual({ type: 'saga.compensated', step });
  });

  it('a compensation that is not acknowledged is re-sent, then the saga is FAILED after maxAttempts', () => {
    const run = passSteps(3);
    run.answer(false);
    const first = run.current();
    expect(first.command).toEqual(revert('SYSTEM_ERROR'));
    for (let i = 2; i <= SETTINGS.maxAttempts; i++) {
      run.expire();
      expect(run.current()).toMatchObject({ command: first.command, attempt: i, kind: 'compensation' });
    }
    const d = run.expire();
    expect(d.commands).toEqual([]);
    expect(d.state.status).toBe('FAILED');
    expect(d.events.map((e) => e.type)).toEqual(['saga.failed']);
    expect(run.commands('compensation', true)).toEqual(Array(SETTINGS.maxAttempts).fill(revert('SYSTEM_ERROR')));
  });

  it('a re-sent compensation acknowledged by its first attempt goes on to the next one', () => {
    const run = passSteps(3);
    run.answer(false);
    const first = run.current();
    run.expire();
    run.answer(true, first);
    expect(run.lastCommands()).toEqual([cancel('SYSTEM_ERROR')]);
  });

  it('a late payment.authorized after the saga compensated sends nothing (no resurrection)', () => {
    const run = passSteps(2);
    const authorize = run.current();
    run.expire();
    expect(acknowledgeAll(run)).toEqual([revert('SYSTEM_ERROR'), cancel('SYSTEM_ERROR')]);
    expect(run.state.status).toBe('COMPENSATED');
    const before = structuredClone(run.state);
    run.advance(60_000);
    const d = run.answer(true, authorize);
    expect(d.commands).toEqual([]);
    expect(d.events).toEqual([]);
    expect(d.state).toEqual(before);
    expect(d.history).toEqual([
      expect.objectContaining({ kind: 'event', type: 'payment.authorized', note: expect.stringMatching(/^ignored/) }),
    ]);
  });

  it('a late payment.authorized during compensation does not interrupt it', () => {
    const run = passSteps(2);
    const authorize = run.current();
    run.expire();
    const before = structuredClone(run.state);
    const d = run.answer(true, authorize);
    expect(d.commands).toEqual([]);
    expect(d.state).toEqual(before);
    expect(acknowledgeAll(run)).toEqual([revert('SYSTEM_ERROR'), cancel('SYSTEM_ERROR')]);
    expect(run.commands('command').map((c) => c.type)).not.toContain('update_order_status');
  });

  it('a late order.status_updated after a step-4 timeout sends no start_order_timer', () => {
    const run = passSteps(3);
    const update = run.current();
    run.expire();
    run.answer(true, update);
    acknowledgeAll(run);
    run.answer(true, update);
    expect(run.state.status).toBe('COMPENSATED');
    expect(run.commands('command').map((c) => c.type)).toEqual([
      'create_order',
      'get_payment_info',
      'authorize_payment',
      'update_order_status',
    ]);
  });

  it('a late reply to a compensated step-1 timeout changes nothing', () => {
    const run = passSteps(0);
    const create = run.current();
    run.expire();
    acknowledgeAll(run);
    const before = structuredClone(run.state);
    run.answer(true, create);
    expect(run.state).toEqual(before);
    expect(run.last.commands).toEqual([]);
  });

  it('the card token from step 2 is the one authorised', () => {
    const run = new Run(createOrder, createData());
    run.start();
    run.answer(true);
    run.answer(true);
    expect(run.current().command).toMatchObject({ payload: { payment_method_token: CARD_TOKEN, amount_cents: TOTAL_CENTS } });
  });
});
