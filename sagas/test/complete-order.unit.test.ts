import { describe, expect, it } from 'vitest';
import { completeOrderSaga } from '../src/complete-order.ts';
import { completeData, ORDER, PAYMENT, PAYOUT_ACCOUNT, RUNNER, Run, SETTINGS, TOTAL_CENTS } from './harness.ts';

// complete-order, every row of its table in sagas.md.

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
