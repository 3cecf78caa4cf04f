import type { TypedMessage } from '@campusg/contracts';
import type { Emit, Handlers } from '@campusg/messaging';
import type { Sql } from '@campusg/platform';
import type { SagaDefinition } from './definition.ts';
import type { StartParams } from './orchestrator.ts';
import type { SagaState } from './state.ts';

/**
 * What runs one saga definition, whichever engine it is (the bus orchestrator, or Temporal): the
 * routes, the operator's routes and the saga-starting handlers see only this.
 */
export interface SagaRunner<D> {
  readonly def: SagaDefinition<D>;
  /** Starts an instance in the caller's transaction; idempotent per the definition's business key. */
  start(tx: Sql, emit: Emit, params: StartParams<D>): Promise<{ sagaId: string; created: boolean }>;
  /**
   * Feeds one reply to the saga it belongs to (its `correlation_id`), if that saga is of this type.
   * Returns the saga's state as far as this runner knows it after the reply (`undefined`: not its saga).
   */
  onMessage(message: TypedMessage, tx: Sql, emit: Emit, afterCommit?: (hook: () => void) => void): Promise<SagaState<D> | undefined>;
  /** Joins the definition's consumer group; `extra` handles other inputs (e.g. a timer that starts a saga). */
  listen(extra?: Handlers): Promise<void>;
  /** An operator's retry of a FAILED saga (`undefined`: not a saga of this type). */
  retry(sagaId: string): Promise<{ retried: boolean; status: string } | undefined>;
  /** Starts the runner's background loop (deadlines, or launching instances not yet handed over). */
  startDeadlines(): void;
  stop(): void;
}
