import type { SagaStatus, SagaType } from '@campusg/contracts';
import { type Decision, isActive, type SagaDefinition, type SagaInput, type SagaState } from '@campusg/saga';
import type fc from 'fast-check';
import { expect } from 'vitest';
import type { CancelOrderData } from '../src/cancel-order.ts';
import { ACCEPT_TIMEOUT_MS, CARD_TOKEN, ORDER, RUNNER, type Run, replyTo, TOTAL_CENTS } from './harness.ts';
import type { Label } from './model-world.ts';

// The rules of sagas.md, written independently of the definitions, and the checks the model-based
// tests run on every decision and on every whole history.

export const cancel = (reason: string) => ({ type: 'cancel_order', payload: { order_id: ORDER, reason } });
const revert = (reason: string) => ({ type: 'revert_payment', payload: { order_id: ORDER, reason } });
const CREATE_STEPS = ['create_order', 'get_payment_info', 'authorize_payment', 'update_order_status', 'start_order_timer'];

/** sagas.md, independently of the definitions: which failures compensate, and with what, in order. */
const ORACLE: Record<SagaType, (step: string, kind: 'failure' | 'timeout') => object[] | 'never'> = {
  'create-order': (step, kind) => {
    const i = CREATE_STEPS.indexOf(step);
    const reason = kind === 'timeout' ? 'SYSTEM_ERROR' : i === 1 ? 'NO_PAYMENT_METHOD' : i === 2 ? 'PAYMENT_DECLINED' : 'SYSTEM_ERROR';
    const list: object[] = [];
    if (i === 4 && kind === 'timeout') list.push({ type: 'stop_order_timer', payload: { order_id: ORDER, reason: 'CANCELLED' } });
    if (i > 2 || (i === 2 && kind === 'timeout')) list.push(revert(reason));
    if (i > 0 || kind === 'timeout') list.push(cancel(reason));
    return list;
  },
  'accept-order': (step, kind) =>
    step !== 'accept_order'
      ? 'never'
      : kind === 'timeout'
        ? [{ type: 'release_runner', payload: { order_id: ORDER, runner_id: RUNNER } }]
        : [],
  'cancel-order': (step, kind) => (step === 'cancel_order' && kind === 'failure' ? [] : 'never'),
  'complete-order': () => 'never',
  // Only a refused release ends early, with nothing to undo; everything else is asked again.
  'release-order': (step, kind) => (step === 'release_order' && kind === 'failure' ? [] : 'never'),
};

/** Replies that finish a step although they are not its usual success: a cancelled order's timer stays stopped. */
const ALSO_DONE: Partial<Record<string, string>> = { restart_order_timer: 'timer.failed' };

type Policy = 'compensate' | 'retry' | 'fail';
/** sagas.md's "on failure" column per step, for a failure reply and for a missed deadline. */
const POLICY: Record<SagaType, Record<string, { failure?: Policy; timeout: Policy }>> = {
  'create-order': Object.fromEntries(CREATE_STEPS.map((n) => [n, { failure: 'compensate', timeout: 'compensate' }])),
  'accept-order': {
    accept_order: { failure: 'compensate', timeout: 'compensate' },
    stop_order_timer: { timeout: 'retry' }, // no failure reply exists
  },
  'cancel-order': {
    cancel_order: { failure: 'compensate', timeout: 'retry' },
    revert_payment: { failure: 'fail', timeout: 'retry' },
    stop_order_timer: { timeout: 'retry' },
  },
  'complete-order': {
    get_payout_info: { failure: 'fail', timeout: 'retry' },
    release_payment: { failure: 'fail', timeout: 'retry' },
    update_order_status: { failure: 'retry', timeout: 'retry' },
  },
  'release-order': {
    release_order: { failure: 'compensate', timeout: 'retry' },
    restart_order_timer: { timeout: 'retry' },
  },
};

/** What a forward step's outcome must do to the saga, whatever the definition says. */
function checkPolicy(s: Scenario, run: Run<unknown>, input: SagaInput, pre: SagaState<unknown>, d: Decision<unknown>) {
  if (pre.phase !== 'forward' || !isActive(pre.status)) return;
  const step = s.def.steps[pre.stepIndex]!;
  let outcome: 'success' | 'failure' | 'timeout';
  if (input.kind === 'timeout') {
    if (!d.history.some((h) => h.kind === 'timeout')) return;
    outcome = 'timeout';
  } else if (input.kind === 'reply' && input.message.causation_id && pre.awaiting.includes(input.message.causation_id)) {
    const command = run.sent.find((x) => x.messageId === input.message.causation_id)!.command;
    const done = input.message.type === replyTo(command, true).type || ALSO_DONE[command.type] === input.message.type;
    outcome = done ? 'success' : 'failure';
  } else return;
  const post = d.state;
  if (outcome === 'success') {
    expect(post.stepIndex).toBeGreaterThan(pre.stepIndex);
    expect(d.events[0]).toEqual({ type: 'saga.step_completed', step: step.name });
    return;
  }
  const policy = POLICY[s.name][step.name]?.[outcome];
  expect(policy, `${s.name} ${step.name} has no ${outcome} outcome`).toBeDefined();
  if (policy === 'compensate') {
    expect(d.events[0]).toEqual({ type: 'saga.compensating', step: step.name });
  } else if (policy === 'fail' || pre.attempts >= run.settings.maxAttempts) {
    expect(post.status).toBe('FAILED');
    expect(d.commands).toEqual([]);
  } else {
    expect(post).toMatchObject({ status: 'RUNNING', stepIndex: pre.stepIndex, attempts: pre.attempts + 1 });
    expect(d.commands.map((c) => c.command)).toEqual([run.sent.find((x) => x.messageId === pre.awaiting.at(-1))!.command]);
  }
}

const NEXT: Record<SagaStatus, SagaStatus[]> = {
  RUNNING: ['RUNNING', 'COMPLETED', 'COMPENSATING', 'COMPENSATED', 'FAILED'],
  COMPENSATING: ['COMPENSATING', 'COMPENSATED', 'FAILED'],
  COMPLETED: ['COMPLETED'],
  COMPENSATED: ['COMPENSATED'],
  FAILED: ['FAILED'],
};

export interface Scenario {
  name: SagaType;
  def: SagaDefinition<unknown>;
  data: fc.Arbitrary<unknown>;
}

/** What one whole history showed, for the end-of-run checks. */
export interface Observed {
  compensationBegan: { step: string; kind: 'failure' | 'timeout'; registered: SagaState<unknown>['compensations'] } | null;
  completedSteps: string[];
}

export function checkDecision(
  s: Scenario,
  run: Run<unknown>,
  input: SagaInput,
  label: Label,
  pre: SagaState<unknown>,
  d: Decision<unknown>,
  obs: Observed,
) {
  const { settings } = run;
  const post = d.state;
  expect(NEXT[pre.status]).toContain(post.status);
  expect(d.commands.length).toBeLessThanOrEqual(1);

  // A terminal saga never moves and never emits again.
  if (!isActive(pre.status)) {
    expect(d.commands).toEqual([]);
    expect(d.events).toEqual([]);
    expect(post).toEqual(pre);
  }
  // Duplicates, replies produced again and stray replies are recorded and otherwise ignored.
  if (label === 'redeliver' || label === 'again' || label === 'stray') {
    expect(post).toEqual(pre);
    expect(d.commands).toEqual([]);
    expect(d.events).toEqual([]);
    expect(d.history).toHaveLength(1);
    expect(d.history[0]).toMatchObject({ kind: 'event', note: expect.stringMatching(/^ignored/) });
  }
  // A deadline check before the deadline does nothing.
  if (label === 'early') expect(d).toEqual({ state: pre, commands: [], history: [], events: [] });
  if (input.kind === 'reply') {
    expect(d.history.filter((h) => h.kind === 'event')).toHaveLength(1);
  }

  checkPolicy(s, run, input, pre, d);

  // Bounded retries; terminal states are tidy.
  expect(post.attempts).toBeLessThanOrEqual(settings.maxAttempts);
  if (!isActive(post.status)) {
    expect(post).toMatchObject({ phase: 'done', awaiting: [], deadlineAt: null });
    expect(post.endedAt).not.toBeNull();
  } else {
    expect(post.awaiting.length).toBeGreaterThan(0);
    expect(post.deadlineAt).not.toBeNull();
  }

  for (const e of d.events) {
    if (e.type === 'saga.step_completed') obs.completedSteps.push(e.step!);
    if (e.type === 'saga.compensating') {
      expect(obs.compensationBegan).toBeNull();
      obs.compensationBegan = {
        step: e.step!,
        kind: input.kind === 'timeout' ? 'timeout' : 'failure',
        registered: structuredClone(post.compensations),
      };
    }
  }

  for (const { messageId, command } of d.commands) {
    const sent = run.sent.find((x) => x.messageId === messageId)!;
    expect(sent.attempt).toBeLessThanOrEqual(settings.maxAttempts);
    // Once compensation began, only compensations are sent.
    if (pre.phase === 'compensation' || post.phase === 'compensation') expect(sent.kind).toBe('compensation');
    // release_runner only ever releases this saga's own runner.
    if (command.type === 'release_runner') expect(command.payload.runner_id).toBe(RUNNER);
    if (s.name === 'complete-order') expect(command.type).not.toBe('revert_payment');
    if (s.name === 'cancel-order') {
      // The payment is touched only once the order is cancelled; an expired timer needs no stop.
      if (command.type === 'revert_payment') expect(obs.completedSteps).toContain('cancel_order');
      if ((post.data as CancelOrderData).reason === 'ACCEPT_TIMEOUT') expect(command.type).not.toBe('stop_order_timer');
    }
    if (s.name === 'create-order') {
      if (obs.compensationBegan || post.phase === 'compensation') expect(command.type).not.toBe('update_order_status');
      if (command.type === 'authorize_payment') {
        expect(command.payload).toMatchObject({ amount_cents: TOTAL_CENTS, payment_method_token: CARD_TOKEN, currency: 'SGD' });
      }
      if (command.type === 'start_order_timer') {
        expect(command.payload.timeout_at).toBe(new Date(run.now.getTime() + ACCEPT_TIMEOUT_MS).toISOString());
      }
    }
  }
}

export function checkHistory(s: Scenario, run: Run<unknown>, obs: Observed) {
  const final = run.state;
  expect(isActive(final.status)).toBe(false);
  const compensations = run.commands('compensation');
  const compensationsAll = run.commands('compensation', true);

  // Every re-send repeats the command it re-sends.
  for (let i = 0; i < run.sent.length; i++) {
    const sent = run.sent[i]!;
    if (sent.attempt > 1) expect(sent.command).toEqual(run.sent[i - 1]!.command);
  }

  if (!obs.compensationBegan) {
    expect(compensationsAll).toEqual([]);
    expect(final.status).not.toBe('COMPENSATED');
    if (s.name === 'create-order') expect(final.status).toBe('COMPLETED');
    return;
  }

  const { step, kind, registered } = obs.compensationBegan;
  const expected = ORACLE[s.name](step, kind);
  expect(expected, `${s.name} must not compensate on ${step} ${kind}`).not.toBe('never');
  // Registered compensations follow the order of their steps; they run in reverse order.
  const index = (name: string) => s.def.steps.findIndex((st) => st.name === name);
  const regIdx = registered.map((c) => index(c.step));
  expect(regIdx).toEqual([...regIdx].sort((a, b) => a - b));
  const fromDef = [...obs.completedSteps, ...(kind === 'timeout' ? [step] : [])]
    .filter((name) => s.def.steps[index(name)]?.compensation)
    .map((name) => s.def.steps[index(name)]!.compensation!(final.data))
    .reverse();
  expect(registered.map((c) => c.command).reverse()).toEqual(fromDef);
  expect(fromDef).toEqual(expected);
  if (final.status === 'COMPENSATED') {
    expect(compensations).toEqual(expected);
  } else {
    expect(final.status).toBe('FAILED');
    expect(compensations.length).toBeGreaterThan(0);
    expect(compensations).toEqual((expected as object[]).slice(0, compensations.length));
  }
  // Each compensation is sent only after the previous one was acknowledged, and no more than maxAttempts times.
  const runs: number[] = [];
  for (const c of run.sent.filter((x) => x.kind === 'compensation')) {
    if (c.attempt === 1) runs.push(1);
    else runs[runs.length - 1]!++;
  }
  for (const n of runs) expect(n).toBeLessThanOrEqual(run.settings.maxAttempts);
}
