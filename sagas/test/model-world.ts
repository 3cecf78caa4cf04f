import { CANCEL_REASONS, type TypedMessage } from '@campusg/contracts';
import { decide, isActive, type SagaDefinition, type SagaInput, type SagaState } from '@campusg/saga';
import fc from 'fast-check';
import { expect } from 'vitest';
// The definitions' own modules (the package index also wires orchestrators and routes).
import { acceptOrderSaga } from '../src/accept-order.ts';
import { cancelOrderSaga } from '../src/cancel-order.ts';
import { completeOrderSaga } from '../src/complete-order.ts';
import { releaseOrderSaga } from '../src/release-order.ts';
import {
  acceptData,
  cancelData,
  completeData,
  createData,
  createOrder,
  Run,
  releaseData,
  replyTo,
  SETTINGS,
  type Sent,
} from './harness.ts';
import { checkDecision, checkHistory, type Observed, type Scenario } from './model-rules.ts';

// The model's world: the moves it may make (replies in any order, duplicates, stray replies, early
// and late deadline checks, crashes), and one play of a saga through them to its end.

/** One move of the world or the clock. */
export type Action =
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

export const action: fc.Arbitrary<Action> = fc.oneof(
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
export const drainStep = fc.constantFrom('ok', 'fail', 'expire');

export const SCENARIOS: Scenario[] = [
  {
    name: 'create-order',
    def: createOrder as SagaDefinition<unknown>,
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
  { name: 'release-order', def: releaseOrderSaga as SagaDefinition<unknown>, data: fc.constant(releaseData()) },
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

export function play(s: Scenario, data: unknown, maxAttempts: number, actions: Action[], drain: string[]) {
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
        const m = run.message(replyTo(s.def.steps[0]!.command(data as never, { now: run.now }), true), null);
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

/** What a decision was fed by, for the checks. */
export type Label = Action['k'] | 'drain' | 'start';
