import { decide } from '@campusg/saga';
import { describe, expect, it } from 'vitest';
import { atStepFour, makeDef, ORDER, Run, SAGA, SETTINGS, T0, USER } from './engine-fixture.ts';

// The engine going forward: starting, steps that succeed or are skipped, purity and the history it writes.

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

  it('a fresh instance takes its type and key from the definition', () => {
    const def = { ...makeDef(), type: 'other-saga', key: (d: { token: string | null }) => `k:${d.token}` };
    const run = new Run(def, { token: 'tok_1' });
    expect(run.state).toMatchObject({ id: SAGA, type: 'other-saga', key: 'k:tok_1', status: 'RUNNING', stepIndex: 0 });
    // The key is fixed at start: later data does not move the instance.
    run.start();
    run.reply('user.payment_info_retrieved');
    expect(run.state.key).toBe('k:tok_1');
    expect(new Run().state.key).toBe(ORDER);
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
