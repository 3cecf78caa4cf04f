import { describe, expect, it } from 'vitest';
import { acceptOrderSaga } from '../src/accept-order.ts';
import { acceptData, CUSTOMER, ORDER, OTHER_RUNNER, RUNNER, Run, releaseRunner, SETTINGS, stopTimer } from './harness.ts';

// accept-order, every row of its table in sagas.md.

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
