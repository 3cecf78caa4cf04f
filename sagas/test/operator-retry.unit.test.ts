import { describe, expect, it } from 'vitest';
import { cancelOrderSaga } from '../src/cancel-order.ts';
import { completeOrderSaga } from '../src/complete-order.ts';
import { cancelData, completeData, createData, createOrder, ORDER, RUNNER, Run } from './harness.ts';

// An operator's retry resumes a FAILED saga exactly where it stopped; it moves nothing else.

describe('operator retry of a FAILED saga', () => {
  it('re-sends the forward step a complete-order saga failed at, then runs to COMPLETED', () => {
    const run = new Run(completeOrderSaga, completeData());
    run.start();
    run.answer(true);
    run.replyWith('payment.release_failed', { order_id: ORDER, code: 'GATEWAY_ERROR' });
    expect(run.state).toMatchObject({ status: 'FAILED', failedIn: 'forward' });

    const d = run.decide({ kind: 'retry' });
    expect(d.state).toMatchObject({ status: 'RUNNING', error: null, endedAt: null, attempts: 1 });
    expect(d.commands.map((c) => c.command.type)).toEqual(['release_payment']);
    run.replyWith('payment.released', {
      payment_id: '1f2e3d4c-5b6a-4978-8a7b-6c5d4e3f2a1b',
      order_id: ORDER,
      runner_id: RUNNER,
      amount_cents: 1200,
      transfer_id: 'tr_1',
    });
    run.answer(true);
    expect(run.state.status).toBe('COMPLETED');
  });

  it('resumes the unacknowledged compensation of a saga that failed while compensating', () => {
    const run = new Run(createOrder, createData(), { stepTimeoutMs: 1000, maxAttempts: 2 });
    run.start();
    run.answer(true); // order.created
    run.answer(true); // payment info
    run.answer(true); // authorized
    run.answer(false); // update_order_status failed → revert, then cancel
    expect(run.current().command.type).toBe('revert_payment');
    run.expire();
    run.expire(); // the revert is never acknowledged: FAILED after two sends
    expect(run.state).toMatchObject({ status: 'FAILED', failedIn: 'compensation' });

    const d = run.decide({ kind: 'retry' });
    expect(d.state.status).toBe('COMPENSATING');
    expect(d.commands.map((c) => c.command.type)).toEqual(['revert_payment']);
    run.answer(true);
    expect(run.current().command).toMatchObject({ type: 'cancel_order', payload: { reason: 'SYSTEM_ERROR' } });
    run.answer(true);
    expect(run.state.status).toBe('COMPENSATED');
  });

  it('does nothing to a saga that did not fail', () => {
    const run = new Run(cancelOrderSaga, cancelData('CUSTOMER_CANCELLED'));
    run.start();
    const before = structuredClone(run.state);
    const d = run.decide({ kind: 'retry' });
    expect(d.commands).toEqual([]);
    expect(d.state).toEqual(before);
  });
});
