import { CANCEL_REASONS, type SagaStatus, type SagaType, type TypedMessage } from '@campusg/contracts';
import { type Decision, decide, isActive, type SagaCommand, type SagaDefinition, type SagaInput, type SagaState } from '@campusg/saga';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// The definitions' own modules (the package index also wires orchestrators and routes).
import { acceptOrderSaga } from '../src/accept-order.ts';
import { type CancelOrderData, cancelOrderSaga } from '../src/cancel-order.ts';
import { completeOrderSaga } from '../src/complete-order.ts';
import { createOrderSaga } from '../src/create-order.ts';
import {
  acceptData,
  CARD_TOKEN,
  cancelData,
  completeData,
  createData,
  ORDER,
  RUNNER,
  Run,
  replyTo,
  SETTINGS,
  type Sent,
  TOTAL_CENTS,
} from './harness.ts';

// Model-based: random interleavings of replies (success or failure, to any command sent so far, in
// any order), duplicated deliveries, replies produced again, stray replies, early and late timeouts,
// driven against each saga definition; then the world answers whatever is in hand until the saga ends.
// Invariants are checked on every decision and on every whole history.

type Action =
  | { k: 'current'; ok: boolean; dt: number } // the world answers the command in hand
  | { k: 'answer'; pick: number; ok: boolean; dt: number } // the world answers any command not answered yet (reordering)
  | { k: 'redeliver'; pick: number } // an already delivered reply is delivered again
  | { k: 'again'; pick: number } // an answered command is answered again by an idempotent handler (same reply, new id)
  | { k: 'stray'; nullCausation: boolean } // a reply that answers nothing this saga sent
  | { k: 'expire'; extra: number } // the clock passes the deadline and the deadline check runs
  | { k: 'early'; frac: number } // the deadline check runs before the deadline
  // The orchestrator process dies while handling the reply to the command in hand, then restarts
  // and loads the saga from its stored (JSON) state. Not committed: the decision is lost with its
  // transaction (no state change, no command sent) and the reply comes again. Committed: the
  // decision stands, the offset commit is lost, and the same reply comes again.
  | { k: 'crash'; ok: boolean; committed: boolean };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('current' as const), ok: fc.boolean(), dt: fc.integer({ min: 0, max: 5_000 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({ k: fc.constant('answer' as const), pick: fc.nat(), ok: fc.boolean(), dt: fc.integer({ min: 0, max: 5_000 }) }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('redeliver' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('again' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('stray' as const), nullCausation: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('expire' as const), extra: fc.integer({ min: 0, max: 120_000 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('early' as const), frac: fc.double({ min: 0, max: 0.999, noNaN: true }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('crash' as const), ok: fc.boolean(), committed: fc.boolean() }) },
);
const drainStep = fc.constantFrom('ok', 'fail', 'expire');

const cancel = (reason: string) => ({ type: 'cancel_order', payload: { order_id: ORDER, reason } });
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
};

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
    outcome = input.message.type === replyTo(command, true).type ? 'success' : 'failure';
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

interface Scenario {
  name: SagaType;
  def: SagaDefinition<unknown>;
  data: fc.Arbitrary<unknown>;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'create-order',
    def: createOrderSaga as SagaDefinition<unknown>,
    // The initial cancel reason is arbitrary: the failing step must decide it.
    data: fc.constantFrom(...CANCEL_REASONS).map((cancelReason) => createData({ cancelReason })),
  },
  { name: 'accept-order', def: acceptOrderSaga as SagaDefinition<unknown>, data: fc.constant(acceptData()) },
  {
    name: 'cancel-order',
    def: cancelOrderSaga as SagaDefinition<unknown>,
    data: fc.constantFrom('CUSTOMER_CANCELLED' as const, 'ACCEPT_TIMEOUT' as const).map(cancelData),
  },
  { name: 'complete-order', def: completeOrderSaga as SagaDefinition<unknown>, data: fc.constant(completeData()) },
];

/** The world: each command it has answered, and the reply it gave. */
class World {
  readonly replies = new Map<string, TypedMessage>();
  constructor(readonly run: Run<unknown>) {}

  answer(sent: Sent, ok: boolean): TypedMessage {
    if (this.replies.has(sent.messageId)) throw new Error(`world: ${sent.command.type} ${sent.messageId} answered twice`);
    const message = this.run.message(replyTo(sent.command, ok), sent.messageId);
    this.replies.set(sent.messageId, message);
    return message;
  }

  unanswered(): Sent[] {
    return this.run.sent.filter((s) => !this.replies.has(s.messageId));
  }
}

/** What one whole history showed, for the end-of-run checks. */
interface Observed {
  compensationBegan: { step: string; kind: 'failure' | 'timeout'; registered: SagaState<unknown>['compensations'] } | null;
  completedSteps: string[];
}

function checkDecision(
  s: Scenario,
  run: Run<unknown>,
  input: SagaInput,
  label: Action['k'] | 'drain' | 'start',
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
        expect(command.payload.timeout_at).toBe(new Date(run.now.getTime() + settings.orderAcceptTimeoutMs).toISOString());
      }
    }
  }
}

function checkHistory(s: Scenario, run: Run<unknown>, obs: Observed) {
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

function play(s: Scenario, data: unknown, maxAttempts: number, actions: Action[], drain: string[]) {
  const run = new Run<unknown>(s.def, data, { ...SETTINGS, maxAttempts });
  const world = new World(run);
  const obs: Observed = { compensationBegan: null, completedSteps: [] };
  let strays = 0;

  const step = (label: Action['k'] | 'drain' | 'start', input: SagaInput) => {
    const pre = structuredClone(run.state);
    if (input.kind === 'reply') run.delivered.push(input.message);
    const d = run.decide(input);
    checkDecision(s, run, input, label, pre, d, obs);
  };
  const reply = (label: Action['k'] | 'drain', message: TypedMessage) => step(label, { kind: 'reply', message });
  /** A restart: the saga as the store gives it back (a jsonb column), which must be the same saga. */
  const restart = () => {
    const stored: SagaState<unknown> = JSON.parse(JSON.stringify(run.state));
    expect(stored).toEqual(run.state);
    run.state = stored;
  };

  step('start', { kind: 'start' });
  for (const a of actions) {
    switch (a.k) {
      case 'current': {
        if (!isActive(run.state.status)) break;
        run.advance(a.dt);
        reply(a.k, world.answer(run.current(), a.ok));
        break;
      }
      case 'answer': {
        const open = world.unanswered();
        if (open.length === 0) break;
        run.advance(a.dt);
        reply(a.k, world.answer(open[a.pick % open.length]!, a.ok));
        break;
      }
      case 'redeliver': {
        if (run.delivered.length === 0) break;
        reply(a.k, run.delivered[a.pick % run.delivered.length]!);
        break;
      }
      case 'again': {
        const answered = [...world.replies.values()];
        if (answered.length === 0) break;
        const original = answered[a.pick % answered.length]!;
        reply(a.k, { ...original, message_id: run.newId(), timestamp: run.now.toISOString() });
        break;
      }
      case 'stray': {
        const m = run.message(replyTo(s.def.steps[0]!.command(data as never, { now: run.now, settings: run.settings }), true), null);
        reply(a.k, a.nullCausation ? m : { ...m, causation_id: `ffffffff-0000-4000-8000-${String(++strays).padStart(12, '0')}` });
        break;
      }
      case 'expire': {
        if (run.state.deadlineAt) run.now = new Date(new Date(run.state.deadlineAt).getTime() + a.extra);
        else run.advance(SETTINGS.stepTimeoutMs + a.extra);
        step(a.k, { kind: 'timeout' });
        break;
      }
      case 'crash': {
        if (!isActive(run.state.status)) break;
        const message = world.answer(run.current(), a.ok);
        if (a.committed) reply('current', message);
        else {
          // The lost transaction: decided, never stored, nothing sent.
          decide(s.def, run.state, { kind: 'reply', message }, { now: new Date(run.now), settings: run.settings, newId: run.newId });
        }
        restart();
        reply(a.committed ? 'redeliver' : 'current', message);
        break;
      }
      case 'early': {
        if (!run.state.deadlineAt) break;
        const deadline = new Date(run.state.deadlineAt).getTime();
        if (run.now.getTime() >= deadline) break;
        run.now = new Date(run.now.getTime() + Math.floor((deadline - run.now.getTime()) * a.frac));
        if (run.now.getTime() >= deadline) break;
        step(a.k, { kind: 'timeout' });
        break;
      }
    }
  }

  // Replies eventually arrive: each input now answers the command in hand or passes its deadline, so
  // every forward step and every compensation ends within maxAttempts inputs.
  const bound = 2 * s.def.steps.length * maxAttempts + 1;
  let used = 0;
  while (isActive(run.state.status)) {
    expect(used, `${s.name} did not end within ${bound} inputs`).toBeLessThan(bound);
    const what = drain[used % drain.length]!;
    used++;
    if (what === 'expire') {
      run.now = new Date(new Date(run.state.deadlineAt!).getTime() + 1);
      step('drain', { kind: 'timeout' });
    } else {
      const current = run.current();
      // The command in hand has not been answered yet (an answered one is never awaited again).
      expect(world.replies.has(current.messageId)).toBe(false);
      run.advance(100);
      reply('drain', world.answer(current, what === 'ok'));
    }
  }

  checkHistory(s, run, obs);

  // And once it has ended, nothing moves it: every reply again, every late answer, a timeout.
  const endState = structuredClone(run.state);
  for (const m of [...world.replies.values()]) reply('again', { ...m, message_id: run.newId() });
  for (const open of world.unanswered()) reply('answer', world.answer(open, true));
  run.advance(10 * SETTINGS.stepTimeoutMs);
  step('expire', { kind: 'timeout' });
  expect(run.state).toEqual(endState);
  return run;
}

describe.each(SCENARIOS)('$name: model-based interleavings', (s) => {
  it('always ends, never emits after the end, compensates in reverse order, honours the saga’s own rules', () => {
    const statuses = new Set<string>();
    fc.assert(
      fc.property(
        s.data,
        fc.integer({ min: 1, max: 4 }),
        fc.array(action, { maxLength: 30 }),
        fc.array(drainStep, { minLength: 1, maxLength: 6 }),
        (data, maxAttempts, actions, drain) => {
          const run = play(s, data, maxAttempts, actions, drain);
          statuses.add(run.state.status);
        },
      ),
      { numRuns: 250 },
    );
    // The generator reaches every way this saga can end.
    const reachable: Record<SagaType, string[]> = {
      'create-order': ['COMPLETED', 'COMPENSATED', 'FAILED'],
      'accept-order': ['COMPLETED', 'COMPENSATED', 'FAILED'],
      'cancel-order': ['COMPLETED', 'COMPENSATED', 'FAILED'],
      'complete-order': ['COMPLETED', 'FAILED'],
    };
    expect([...statuses].sort()).toEqual(reachable[s.name].sort());
  });
});

describe('regressions found by the model', () => {
  it('complete-order: a failure reply produced again does not re-send update_order_status', () => {
    // Shrunk counterexample of the original engine: the retried step kept the answered id in `awaiting`.
    const s = SCENARIOS.find((x) => x.name === 'complete-order')!;
    const run = play(
      s,
      completeData(),
      2,
      [
        { k: 'current', ok: true, dt: 0 },
        { k: 'current', ok: true, dt: 0 },
        { k: 'current', ok: false, dt: 0 },
        { k: 'again', pick: 2 },
        { k: 'again', pick: 2 },
      ],
      ['ok'],
    );
    expect(run.state.status).toBe('COMPLETED');
  });

  it('create-order: compensation commands are schema-valid with every initial reason', () => {
    for (const cancelReason of CANCEL_REASONS) {
      const s = SCENARIOS[0]!;
      const run = play(
        s,
        createData({ cancelReason }),
        3,
        [
          { k: 'current', ok: true, dt: 0 },
          { k: 'expire', extra: 0 },
        ],
        ['ok'],
      );
      expect(run.state.status).toBe('COMPENSATED');
      expect(run.commands('compensation') as SagaCommand[]).toEqual([cancel('SYSTEM_ERROR')]);
    }
  });
});
