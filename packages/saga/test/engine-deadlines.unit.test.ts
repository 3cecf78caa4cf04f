import type { TypedMessage } from '@campusg/contracts';
import { describe, expect, it } from 'vitest';
import { atStepFour, makeDef, ORDER, RUNNER, Run, SETTINGS, T0 } from './engine-fixture.ts';

// Missed deadlines, and replies that answer nothing in hand: late, duplicate, stray, or to a finished saga.

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
