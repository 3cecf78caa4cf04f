import type { MessageType, PayloadOf, TypedMessage } from '@campusg/contracts';

/** A command a saga step sends: its type and payload (the topic follows from the type). */
export type SagaCommand = { [T in MessageType]: { type: T; payload: PayloadOf<T> } }[MessageType];

/** What a step does when it fails: undo what is done, try again, or stop for an operator. */
export type FailurePolicy = 'compensate' | 'retry' | 'fail';

/** What a step's command may depend on besides the saga's data: the decision's time. */
export interface StepContext {
  now: Date;
}

/** The engine's own settings, the same for every saga it runs. */
export interface SagaSettings {
  /** How long a step or compensation waits for its reply before it counts as timed out. */
  stepTimeoutMs: number;
  /** How many times a command is sent before the saga is FAILED. */
  maxAttempts: number;
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

/**
 * A saga, as data: everything the engine needs to run it, so the engine itself knows no saga.
 * Settings a saga needs beyond the engine's (a business window, say) are the definition's own.
 */
export interface SagaDefinition<D> {
  /** The saga's type, stored with each instance and carried by its `saga.*` events. */
  type: string;
  /** The consumer group its orchestrator joins, and the topics it reads there (where the replies arrive). */
  group: string;
  topics: readonly string[];
  /**
   * The instance's key: the partition key of every message it sends (so one orchestrator at a
   * time handles its replies), stored with the instance for lookups.
   */
  key: (data: D) => string;
  /**
   * At most one instance per business key: for as long as the instance is kept when `exclusive`
   * (an ended one goes only once settled, see `endedSagaRetention`), else while one is active.
   */
  businessKey: (data: D) => string;
  exclusive: boolean;
  steps: StepDefinition<D>[];
  /**
   * Reply types its compensating commands may get, besides the steps' own replies: any of them
   * acknowledges a compensation, so the orchestrator must listen to all of them.
   */
  compensationReplies: readonly MessageType[];
}
