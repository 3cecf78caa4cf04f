import type { SagaCommand } from '@campusg/saga';
import { describe, expect, it } from 'vitest';
// The definitions' own modules (the package index also wires orchestrators and routes).
import { acceptOrderSaga } from '../src/accept-order.ts';
import { cancelOrderSaga } from '../src/cancel-order.ts';
import { completeOrderSaga } from '../src/complete-order.ts';
import { createOrderSaga } from '../src/create-order.ts';
import {
  acceptData,
  CARD_TOKEN,
  CUSTOMER,
  cancelData,
  completeData,
  createData,
  ORDER,
  ORDER_PAYLOAD,
  OTHER_RUNNER,
  PAYMENT,
  PAYOUT_ACCOUNT,
  RUNNER,
  Run,
  SETTINGS,
  T0,
  TOTAL_CENTS,
} from './harness.ts';

// Every row of every table in sagas.md, for the four saga definitions.

const cancel = (reason: string): SagaCommand => ({ type: 'cancel_order', payload: { order_id: ORDER, reason } }) as SagaCommand;
const revert = (reason: string): SagaCommand => ({ type: 'revert_payment', payload: { order_id: ORDER, reason } });
const stopTimer = (reason: 'ACCEPTED' | 'CANCELLED'): SagaCommand => ({ type: 'stop_order_timer', payload: { order_id: ORDER, reason } });
const releaseRunner = (runner = RUNNER): SagaCommand => ({ type: 'release_runner', payload: { order_id: ORDER, runner_id: runner } });

/** Acknowledges compensations one by one (alternating success and failure replies) until the saga ends. */
function acknowledgeAll<D>(run: Run<D>): SagaCommand[] {
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

describe('create-order', () => {
  const STEP_NAMES = ['create_order', 'get_payment_info', 'authorize_payment', 'update_order_status', 'start_order_timer'];

  /** Starts a saga and answers the first `n` steps with success. */
  function passSteps(n: number, data = createData()) {
    const run = new Run(createOrderSaga, data);
    run.start();
    for (let i = 0; i < n; i++) run.answer(true);
    expect(run.current().command.type).toBe(STEP_NAMES[n]);
    return run;
  }

  it('sends each step’s command with its payload and completes', () => {
    const run = new Run(createOrderSaga, createData());
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
    const timeoutAt = new Date(sentAt.getTime() + SETTINGS.orderAcceptTimeoutMs).toISOString();
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
    const run = new Run(createOrderSaga, createData(), { ...SETTINGS, orderAcceptTimeoutMs: 60_000 });
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
});

describe('accept-order', () => {
  it('accepts for this runner, stops the timer (ACCEPTED) and completes', () => {
    const run = new Run(acceptOrderSaga, acceptData());
    run.start();
    expect(run.lastCommands()).toEqual([{ type: 'accept_order', payload: { order_id: ORDER, runner_id: RUNNER } }]);
    run.replyWith('order.accepted', { order_id: ORDER, runner_id: RUNNER, customer_id: CUSTOMER });
    // release_runner is registered only once the accept succeeded.
    expect(run.state.compensations).toEqual([{ step: 'accept_order', command: releaseRunner() }]);
    expect(run.lastCommands()).toEqual([stopTimer('ACCEPTED')]);
    const d = run.replyWith('timer.stopped', { order_id: ORDER, reason: 'ACCEPTED', already: false });
    expect(d.state.status).toBe('COMPLETED');
    expect(run.events.map((e) => e.type)).toEqual(['saga.started', 'saga.step_completed', 'saga.step_completed', 'saga.completed']);
  });

  it('a stopped timer that had already fired (already: true) still completes', () => {
    const run = new Run(acceptOrderSaga, acceptData());
    run.start();
    run.answer(true);
    run.answer(false); // timer.stopped {already: true}
    expect(run.state.status).toBe('COMPLETED');
  });

  it.each(['ORDER_NOT_AVAILABLE', 'OWN_ORDER', 'ORDER_NOT_FOUND'] as const)(
    'lost the race (%s): COMPENSATED, no release_runner',
    (code) => {
      const run = new Run(acceptOrderSaga, acceptData());
      run.start();
      const d = run.replyWith('order.accept_failed', { order_id: ORDER, runner_id: RUNNER, code });
      expect(d.commands).toEqual([]);
      expect(d.state.status).toBe('COMPENSATED');
      expect(d.state.compensations).toEqual([]);
      expect(run.sent.map((s) => s.command.type)).toEqual(['accept_order']);
    },
  );

  it('step 1 timeout: releases this runner only, then COMPENSATED; a late accept is ignored', () => {
    const run = new Run(acceptOrderSaga, acceptData());
    run.start();
    const accept = run.current();
    const d = run.expire();
    expect(d.commands.map((c) => c.command)).toEqual([releaseRunner(RUNNER)]);
    expect(d.state.status).toBe('COMPENSATING');
    run.answer(false); // RUNNER_NOT_ASSIGNED still acknowledges
    expect(run.state.status).toBe('COMPENSATED');
    const before = structuredClone(run.state);
    run.answer(true, accept);
    expect(run.state).toEqual(before);
    expect(run.sent.map((s) => s.command.type)).toEqual(['accept_order', 'release_runner']);
  });

  it('never releases another runner, whatever the replies say', () => {
    const run = new Run(acceptOrderSaga, acceptData());
    run.start();
    // A reply naming another runner does not change whom the saga would release.
    run.replyWith('order.accepted', { order_id: ORDER, runner_id: OTHER_RUNNER, customer_id: CUSTOMER });
    expect(run.state.compensations).toEqual([{ step: 'accept_order', command: releaseRunner(RUNNER) }]);
  });

  it('stop_order_timer is re-sent on timeout until acknowledged; a reply to any attempt completes', () => {
    const run = new Run(acceptOrderSaga, acceptData());
    run.start();
    run.answer(true);
    const first = run.current();
    run.expire();
    run.expire();
    expect(run.commands('command', true)).toEqual([
      { type: 'accept_order', payload: { order_id: ORDER, runner_id: RUNNER } },
      ...Array(3).fill(stopTimer('ACCEPTED')),
    ]);
    expect(new Set(run.state.awaiting).size).toBe(3);
    run.answer(true, first);
    expect(run.state.status).toBe('COMPLETED');
    expect(run.commands('compensation', true)).toEqual([]);
  });

  it('stop_order_timer never acknowledged: FAILED after maxAttempts, the runner is not released', () => {
    const run = new Run(acceptOrderSaga, acceptData());
    run.start();
    run.answer(true);
    for (let i = 0; i < SETTINGS.maxAttempts; i++) run.expire();
    expect(run.state.status).toBe('FAILED');
    expect(run.commands('command', true).filter((c) => c.type === 'stop_order_timer')).toHaveLength(SETTINGS.maxAttempts);
    expect(run.commands('compensation', true)).toEqual([]);
  });
});

describe('cancel-order', () => {
  it('customer cancel: cancel_order, revert_payment, stop_order_timer (CANCELLED), COMPLETED', () => {
    const run = new Run(cancelOrderSaga, cancelData('CUSTOMER_CANCELLED'));
    run.start();
    expect(run.lastCommands()).toEqual([cancel('CUSTOMER_CANCELLED')]);
    run.replyWith('order.cancelled', { order_id: ORDER, reason: 'CUSTOMER_CANCELLED', previous_status: 'CREATED' });
    expect(run.lastCommands()).toEqual([revert('CUSTOMER_CANCELLED')]);
    run.replyWith('payment.reverted', { payment_id: PAYMENT, order_id: ORDER, amount_cents: TOTAL_CENTS, method: 'VOID' });
    expect(run.lastCommands()).toEqual([stopTimer('CANCELLED')]);
    run.replyWith('timer.stopped', { order_id: ORDER, reason: 'CANCELLED', already: false });
    expect(run.state.status).toBe('COMPLETED');
    expect(run.events.filter((e) => e.type === 'saga.step_completed').map((e) => e.step)).toEqual([
      'cancel_order',
      'revert_payment',
      'stop_order_timer',
    ]);
  });

  it('acceptance timeout: cancel_order, revert_payment, COMPLETED without stop_order_timer', () => {
    const run = new Run(cancelOrderSaga, cancelData('ACCEPT_TIMEOUT'));
    run.start();
    expect(run.lastCommands()).toEqual([cancel('ACCEPT_TIMEOUT')]);
    run.answer(true);
    expect(run.lastCommands()).toEqual([revert('ACCEPT_TIMEOUT')]);
    const d = run.answer(true);
    expect(d.commands).toEqual([]);
    expect(d.state.status).toBe('COMPLETED');
    expect(run.sent.map((s) => s.command.type)).toEqual(['cancel_order', 'revert_payment']);
  });

  it.each(['CUSTOMER_CANCELLED', 'ACCEPT_TIMEOUT'] as const)('ORDER_NOT_CANCELLABLE (%s): COMPENSATED, payment untouched', (reason) => {
    const run = new Run(cancelOrderSaga, cancelData(reason));
    run.start();
    const d = run.replyWith('order.cancel_failed', { order_id: ORDER, code: 'ORDER_NOT_CANCELLABLE', status: 'ACCEPTED' });
    expect(d.commands).toEqual([]);
    expect(d.state.status).toBe('COMPENSATED');
    expect(run.sent.map((s) => s.command.type)).toEqual(['cancel_order']);
  });

  it('every step is re-sent on timeout until acknowledged', () => {
    const run = new Run(cancelOrderSaga, cancelData('CUSTOMER_CANCELLED'));
    run.start();
    for (const type of ['cancel_order', 'revert_payment', 'stop_order_timer']) {
      const first = run.current();
      expect(first.command.type).toBe(type);
      run.expire();
      run.expire();
      expect(run.current()).toMatchObject({ command: first.command, attempt: 3 });
      run.answer(true, first);
    }
    expect(run.state.status).toBe('COMPLETED');
    expect(run.commands('command', true).map((c) => c.type)).toEqual([
      ...Array(3).fill('cancel_order'),
      ...Array(3).fill('revert_payment'),
      ...Array(3).fill('stop_order_timer'),
    ]);
  });

  it('a cancel_order that is never answered: FAILED after maxAttempts, no revert', () => {
    const run = new Run(cancelOrderSaga, cancelData('ACCEPT_TIMEOUT'));
    run.start();
    for (let i = 0; i < SETTINGS.maxAttempts; i++) run.expire();
    expect(run.state.status).toBe('FAILED');
    expect(new Set(run.sent.map((s) => s.command.type))).toEqual(new Set(['cancel_order']));
  });

  it('revert_payment answered ALREADY_RELEASED: FAILED for an operator, nothing more is sent', () => {
    const run = new Run(cancelOrderSaga, cancelData('CUSTOMER_CANCELLED'));
    run.start();
    run.answer(true);
    const d = run.replyWith('payment.revert_failed', { order_id: ORDER, code: 'ALREADY_RELEASED' });
    expect(d.commands).toEqual([]);
    expect(d.state.status).toBe('FAILED');
  });
});

describe('complete-order', () => {
  it('payout info, release the payment to that account, COMPLETED expected DELIVERED', () => {
    const run = new Run(completeOrderSaga, completeData());
    run.start();
    expect(run.lastCommands()).toEqual([{ type: 'get_payout_info', payload: { user_id: RUNNER } }]);
    run.replyWith('user.payout_info_retrieved', { user_id: RUNNER, payout_account_id: 'acct_xyz' });
    expect(run.lastCommands()).toEqual([
      { type: 'release_payment', payload: { order_id: ORDER, runner_id: RUNNER, payout_account_id: 'acct_xyz' } },
    ]);
    run.replyWith('payment.released', {
      payment_id: PAYMENT,
      order_id: ORDER,
      runner_id: RUNNER,
      amount_cents: TOTAL_CENTS,
      transfer_id: 'tr_1',
    });
    expect(run.lastCommands()).toEqual([
      { type: 'update_order_status', payload: { order_id: ORDER, status: 'COMPLETED', expected_status: 'DELIVERED' } },
    ]);
    run.replyWith('order.status_updated', { order_id: ORDER, status: 'COMPLETED', previous_status: 'DELIVERED', runner_id: RUNNER });
    expect(run.state.status).toBe('COMPLETED');
    expect(run.state.data.payoutAccountId).toBe('acct_xyz');
  });

  it.each(['USER_NOT_FOUND', 'NOT_A_RUNNER'] as const)('payout info failure (%s): FAILED, nothing released', (code) => {
    const run = new Run(completeOrderSaga, completeData());
    run.start();
    const d = run.replyWith('user.payout_info_failed', { user_id: RUNNER, code });
    expect(d.commands).toEqual([]);
    expect(d.state.status).toBe('FAILED');
    expect(d.events.map((e) => e.type)).toEqual(['saga.failed']);
    expect(run.sent.map((s) => s.command.type)).toEqual(['get_payout_info']);
  });

  it.each(['NOT_AUTHORIZED', 'ALREADY_REVERTED', 'GATEWAY_ERROR'] as const)(
    'release failure (%s): FAILED, no revert, no status update',
    (code) => {
      const run = new Run(completeOrderSaga, completeData());
      run.start();
      run.answer(true);
      const d = run.replyWith('payment.release_failed', { order_id: ORDER, code });
      expect(d.commands).toEqual([]);
      expect(d.state.status).toBe('FAILED');
      expect(run.sent.map((s) => s.command.type)).toEqual(['get_payout_info', 'release_payment']);
    },
  );

  it('update_order_status failure is retried until acknowledged; a duplicate failure does not add a retry', () => {
    const run = new Run(completeOrderSaga, completeData());
    run.start();
    run.answer(true);
    run.answer(true);
    const update = run.current();
    const failure = run.message(
      { type: 'order.status_update_failed', payload: { order_id: ORDER, code: 'INVALID_TRANSITION', message: 'x' } },
      update.messageId,
    );
    run.deliver(failure);
    expect(run.current()).toMatchObject({ command: update.command, attempt: 2 });
    const before = structuredClone(run.state);
    run.deliver(failure);
    run.deliver({ ...failure, message_id: run.newId() });
    expect(run.state).toEqual(before);
    run.answer(false);
    expect(run.current()).toMatchObject({ command: update.command, attempt: 3 });
    run.answer(true);
    expect(run.state.status).toBe('COMPLETED');
    expect(run.commands('command', true).filter((c) => c.type === 'update_order_status')).toHaveLength(3);
  });

  it('every step is re-sent on timeout; a reply to any attempt is accepted', () => {
    const run = new Run(completeOrderSaga, completeData());
    run.start();
    for (const type of ['get_payout_info', 'release_payment', 'update_order_status']) {
      const first = run.current();
      expect(first.command.type).toBe(type);
      run.expire();
      expect(run.current()).toMatchObject({ command: first.command, attempt: 2 });
      run.answer(true, first);
    }
    expect(run.state.status).toBe('COMPLETED');
    expect(run.state.data.payoutAccountId).toBe(PAYOUT_ACCOUNT);
  });

  it('release_payment never answered: FAILED after maxAttempts, never revert_payment', () => {
    const run = new Run(completeOrderSaga, completeData());
    run.start();
    run.answer(true);
    for (let i = 0; i < SETTINGS.maxAttempts; i++) run.expire();
    expect(run.state.status).toBe('FAILED');
    expect(run.sent.map((s) => s.command.type)).toEqual(['get_payout_info', ...Array(SETTINGS.maxAttempts).fill('release_payment')]);
  });
});

describe('shared rules', () => {
  it('every definition sends only schema-valid commands and starts at T0', () => {
    // (The harness validates each command's payload; this only checks that each saga starts.)
    for (const run of [
      new Run(createOrderSaga, createData()),
      new Run(acceptOrderSaga, acceptData()),
      new Run(cancelOrderSaga, cancelData('CUSTOMER_CANCELLED')),
      new Run(completeOrderSaga, completeData()),
    ] as Run<unknown>[]) {
      run.start();
      expect(run.last.commands).toHaveLength(1);
      expect(run.state.startedAt).toBe(T0.toISOString());
    }
  });

  it('the card token from step 2 is the one authorised', () => {
    const run = new Run(createOrderSaga, createData());
    run.start();
    run.answer(true);
    run.answer(true);
    expect(run.current().command).toMatchObject({ payload: { payment_method_token: CARD_TOKEN, amount_cents: TOTAL_CENTS } });
  });
});
