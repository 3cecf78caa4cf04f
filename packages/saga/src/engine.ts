import type { MessageType, SagaStatus, TypedMessage } from '@campusg/contracts';
import type { SagaCommand, SagaDefinition, SagaSettings, StepDefinition } from './definition.ts';
import type { HistoryEntry, HistoryKind, SagaState } from './state.ts';
import { isActive } from './state.ts';

export type SagaInput =
  | { kind: 'start' }
  | { kind: 'reply'; message: TypedMessage }
  | { kind: 'timeout' }
  /** An operator resumes a FAILED saga where it stopped (the step, or the compensation in hand). */
  | { kind: 'retry' };

export type SagaEventType = Extract<
  MessageType,
  'saga.started' | 'saga.step_completed' | 'saga.compensating' | 'saga.completed' | 'saga.compensated' | 'saga.failed'
>;

/** What the orchestrator must do after a decision: persist `state`, send `commands`, publish `events`. */
export interface Decision<D> {
  state: SagaState<D>;
  commands: { messageId: string; command: SagaCommand }[];
  history: HistoryEntry[];
  events: { type: SagaEventType; step: string | null }[];
  /**
   * Set when the input was a reply that changes nothing but the history (a note that it was
   * ignored): late, for a step not in hand, or a second delivery of a reply already decided.
   */
  ignored?: true;
}

export interface DecideContext {
  now: Date;
  settings: SagaSettings;
  /** The `message_id` of a command about to be sent: the step (or compensation) it serves and its attempt. */
  newId: (send: { step: string; kind: 'command' | 'compensation'; attempt: number }) => string;
}

/** A fresh instance, before its first decision. */
export function initialState<D>(def: SagaDefinition<D>, init: { id: string; data: D; now: Date }): SagaState<D> {
  return {
    id: init.id,
    type: def.type,
    key: def.key(init.data),
    status: 'RUNNING',
    phase: 'forward',
    stepIndex: 0,
    compensations: [],
    compensated: 0,
    awaiting: [],
    attempts: 0,
    deadlineAt: null,
    data: init.data,
    error: null,
    startedAt: init.now.toISOString(),
    endedAt: null,
  };
}

/**
 * The saga engine, as one pure function: given a definition, an instance and an input (start, a
 * reply, or a missed deadline), it returns the next state and the effects. No I/O, no clock reads.
 * Replies that do not answer the command in hand — late, duplicate, or for a finished saga — are
 * recorded in the history and change nothing else.
 */
export function decide<D>(def: SagaDefinition<D>, state: SagaState<D>, input: SagaInput, ctx: DecideContext): Decision<D> {
  const d = new Decider(def, structuredClone(state), ctx);
  if (input.kind === 'start') d.begin();
  else if (input.kind === 'timeout') d.timeout();
  else if (input.kind === 'retry') d.retry();
  else d.reply(input.message);
  return d.result();
}

class Decider<D> {
  readonly commands: Decision<D>['commands'] = [];
  readonly history: HistoryEntry[] = [];
  readonly events: Decision<D>['events'] = [];
  ignored: true | undefined;
  constructor(
    readonly def: SagaDefinition<D>,
    readonly s: SagaState<D>,
    readonly ctx: DecideContext,
  ) {}

  result(): Decision<D> {
    const decision: Decision<D> = { state: this.s, commands: this.commands, history: this.history, events: this.events };
    if (this.ignored) decision.ignored = true;
    return decision;
  }

  #log(kind: HistoryKind, type: string, messageId: string | null, note: string | null = null): void {
    this.history.push({ at: this.ctx.now.toISOString(), kind, type, messageId, note });
  }

  get step(): StepDefinition<D> | undefined {
    return this.def.steps[this.s.stepIndex];
  }

  begin(): void {
    if (this.s.awaiting.length > 0 || !isActive(this.s.status)) return;
    this.events.push({ type: 'saga.started', step: null });
    this.#advance();
  }

  /** Sends the next forward step that is not skipped, or completes the saga. */
  #advance(): void {
    while (this.step?.skip?.(this.s.data)) this.s.stepIndex++;
    const step = this.step;
    if (!step) return this.#finish('COMPLETED', null);
    this.s.attempts = 0;
    this.s.awaiting = [];
    this.#send(step.command(this.s.data, { now: this.ctx.now }), 'command');
  }

  #send(command: SagaCommand, kind: 'command' | 'compensation'): void {
    const messageId = this.ctx.newId({ step: command.type, kind, attempt: this.s.attempts + 1 });
    this.commands.push({ messageId, command });
    this.s.awaiting.push(messageId);
    this.s.attempts++;
    this.s.deadlineAt = new Date(this.ctx.now.getTime() + this.ctx.settings.stepTimeoutMs).toISOString();
    this.#log(kind, command.type, messageId, this.s.attempts > 1 ? `attempt ${this.s.attempts}` : null);
  }

  reply(message: TypedMessage): void {
    const answers = isActive(this.s.status) && message.causation_id !== null && this.s.awaiting.includes(message.causation_id);
    if (!answers) {
      this.ignored = true;
      this.#log('event', message.type, message.message_id, 'ignored: does not answer the command in hand');
      return;
    }
    if (this.s.phase === 'compensation') {
      // Any reply acknowledges a compensation: compensations never fail on business grounds.
      this.#log('event', message.type, message.message_id, 'compensation acknowledged');
      this.s.compensated++;
      return this.#nextCompensation();
    }
    const step = this.step!;
    const outcome = step.replies[message.type];
    if (!outcome) {
      this.ignored = true;
      this.#log('event', message.type, message.message_id, 'ignored: not a reply of this step');
      return;
    }
    this.#log('event', message.type, message.message_id);
    if (outcome === 'success') {
      if (step.onSuccess) this.s.data = step.onSuccess(this.s.data, message);
      if (step.compensation) this.s.compensations.push({ step: step.name, command: step.compensation(this.s.data) });
      this.events.push({ type: 'saga.step_completed', step: step.name });
      this.s.stepIndex++;
      return this.#advance();
    }
    this.#fail(step, step.onFailure, message, `${step.name} failed: ${describe(message)}`);
  }

  timeout(): void {
    if (!isActive(this.s.status) || this.s.awaiting.length === 0) return;
    if (this.s.deadlineAt && new Date(this.s.deadlineAt) > this.ctx.now) return;
    if (this.s.phase === 'compensation') {
      const pending = this.#pendingCompensation()!;
      this.#log('timeout', pending.command.type, null);
      return this.#retryOrFail(pending.command, 'compensation', `compensation ${pending.command.type} unacknowledged`);
    }
    const step = this.step!;
    this.#log('timeout', step.name, null);
    this.#fail(step, step.onTimeout, null, `STEP_TIMEOUT: no reply to ${step.name}`);
  }

  retry(): void {
    if (this.s.status !== 'FAILED' || !this.s.failedIn) return;
    this.s.endedAt = null;
    this.s.error = null;
    this.s.attempts = 0;
    this.s.awaiting = [];
    if (this.s.failedIn === 'compensation') {
      this.s.status = 'COMPENSATING';
      this.s.phase = 'compensation';
      this.events.push({ type: 'saga.compensating', step: this.step?.name ?? null });
      const pending = this.#pendingCompensation();
      if (!pending) return this.#finish('COMPENSATED', null);
      return this.#send(pending.command, 'compensation');
    }
    this.s.status = 'RUNNING';
    this.s.phase = 'forward';
    const step = this.step;
    if (!step) return this.#finish('COMPLETED', null);
    this.#send(step.command(this.s.data, { now: this.ctx.now }), 'command');
  }

  #fail(step: StepDefinition<D>, policy: 'compensate' | 'retry' | 'fail', reply: TypedMessage | null, error: string): void {
    if (policy === 'retry') {
      // The failed attempt is answered: a duplicate of its reply must not trigger another retry.
      if (reply) this.s.awaiting = this.s.awaiting.filter((id) => id !== reply.causation_id);
      return this.#retryOrFail(step.command(this.s.data, { now: this.ctx.now }), 'command', error);
    }
    if (step.onFailed) this.s.data = step.onFailed(this.s.data, reply);
    this.s.error = error;
    if (policy === 'fail') return this.#finish('FAILED', error);
    // A timed-out step may still take effect later: undo it too.
    if (reply === null && step.compensation) {
      this.s.compensations.push({ step: step.name, command: step.compensation(this.s.data) });
    }
    this.s.phase = 'compensation';
    this.s.status = 'COMPENSATING';
    this.s.awaiting = [];
    this.events.push({ type: 'saga.compensating', step: step.name });
    // Compensations are built from the data at failure time (e.g. the cancel reason of the failing step).
    this.s.compensations = this.s.compensations.map((c) => {
      const def = this.def.steps.find((st) => st.name === c.step);
      return def?.compensation ? { step: c.step, command: def.compensation(this.s.data) } : c;
    });
    this.#nextCompensation();
  }

  #retryOrFail(command: SagaCommand, kind: 'command' | 'compensation', error: string): void {
    if (this.s.attempts >= this.ctx.settings.maxAttempts) {
      return this.#finish('FAILED', `${error} after ${this.s.attempts} attempts`);
    }
    this.#send(command, kind);
  }

  #pendingCompensation() {
    const { compensations, compensated } = this.s;
    return compensations[compensations.length - 1 - compensated];
  }

  #nextCompensation(): void {
    const next = this.#pendingCompensation();
    if (!next) return this.#finish('COMPENSATED', this.s.error);
    this.s.awaiting = [];
    this.s.attempts = 0;
    this.#send(next.command, 'compensation');
  }

  #finish(status: Extract<SagaStatus, 'COMPLETED' | 'COMPENSATED' | 'FAILED'>, error: string | null): void {
    if (status === 'FAILED' && this.s.phase !== 'done') this.s.failedIn = this.s.phase;
    this.s.status = status;
    this.s.phase = 'done';
    this.s.awaiting = [];
    this.s.deadlineAt = null;
    this.s.error = error;
    this.s.endedAt = this.ctx.now.toISOString();
    const type = status === 'COMPLETED' ? 'saga.completed' : status === 'COMPENSATED' ? 'saga.compensated' : 'saga.failed';
    this.events.push({ type, step: this.step?.name ?? null });
  }
}

function describe(message: TypedMessage): string {
  const code = (message.payload as { code?: unknown }).code;
  return typeof code === 'string' ? `${message.type} (${code})` : message.type;
}
