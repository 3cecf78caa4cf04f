import { describe, expect, it } from 'vitest';
import { cancelOrderSaga } from '../src/cancel-order.ts';
import { cancel, cancelData, ORDER, PAYMENT, Run, revert, SETTINGS, stopTimer, TOTAL_CENTS } from './harness.ts';

// cancel-order, every row of its table in sagas.md.

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
