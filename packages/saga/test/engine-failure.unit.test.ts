import { describe, expect, it } from 'vitest';
import { atStepFour, makeDef, ORDER, RUNNER, Run, T0 } from './engine-fixture.ts';

// The engine on a failure reply: compensate, retry or fail, as the step says.

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
