import type { HistoryEntry, SagaCommand, SagaEventType, SagaSettings, SagaState } from '@campusg/saga/pure';
import { defineSignal } from '@temporalio/workflow';

/** A reply from the bus, as the consumer hands it to the saga's workflow. */
export const replySignal = defineSignal<[ReplySignal]>('reply');
/** An operator resumes a FAILED saga where it stopped. */
export const retrySignal = defineSignal<[]>('retry');

/** The fields of a bus message a decision reads. */
export interface ReplySignal {
  type: string;
  message_id: string;
  causation_id: string | null;
  payload: unknown;
}

/** What a saga workflow starts from: the instance as its start stored it (version 1), and the engine's settings. */
export interface SagaWorkflowInput<D, O = unknown> {
  state: SagaState<D>;
  settings: SagaSettings;
  /** The definition's own settings (the create-order saga's acceptance window). */
  options: O;
}

/** One decision to store and send, as the workflow hands it to the `applyDecision` activity. */
export interface DecisionRecord {
  /** The instance's version the decision was taken on; it is stored as `version + 1`. */
  version: number;
  at: string;
  state: SagaState<unknown>;
  commands: { messageId: string; command: SagaCommand }[];
  history: HistoryEntry[];
  events: { type: SagaEventType; step: string | null }[];
  /** The reply that led to it, the causation of what it sends. */
  causationId: string | null;
}

/** The activities a saga workflow calls. */
export interface SagaActivities {
  /** Stores a decision (instance, history) and sends its commands and events through the outbox, once. */
  applyDecision(record: DecisionRecord): Promise<void>;
}
