import type { MessageType, PayloadOf, SagaType, TypedMessage } from '@campusg/contracts';

/** A command a saga step sends: its type and payload (the topic follows from the type). */
export type SagaCommand = { [T in MessageType]: { type: T; payload: PayloadOf<T> } }[MessageType];

/** What a step does when it fails: undo what is done, try again, or stop for an operator. */
export type FailurePolicy = 'compensate' | 'retry' | 'fail';

export interface StepContext {
  now: Date;
  settings: SagaSettings;
}

export interface SagaSettings {
  stepTimeoutMs: number;
  maxAttempts: number;
  orderAcceptTimeoutMs: number;
}

/** One step of a saga, as data plus pure functions. */
export interface StepDefinition<D> {
  /** The step's name, shown as `step` (the command type it sends). */
  name: string;
  /** Steps a saga instance does not need (decided from its data) are skipped. */
  skip?: (data: D) => boolean;
  command: (data: D, ctx: StepContext) => SagaCommand;
  /** Reply types that answer the command, and whether each means success. */
  replies: Partial<Record<MessageType, 'success' | 'failure'>>;
  /** Folds a success reply into the saga's data. */
  onSuccess?: (data: D, reply: TypedMessage) => D;
  /** What a failure reply does; `onTimeout` what a missed deadline does. */
  onFailure: FailurePolicy;
  onTimeout: FailurePolicy;
  /** Folds a failure (a reply, or `null` for a timeout) into the data, e.g. the reason an order is cancelled. */
  onFailed?: (data: D, reply: TypedMessage | null) => D;
  /**
   * The command that undoes this step, registered once the step succeeded — or once it timed out,
   * since its effect may still land (compensations are safe either way).
   */
  compensation?: (data: D) => SagaCommand;
}

export interface SagaDefinition<D> {
  type: SagaType;
  steps: StepDefinition<D>[];
}
