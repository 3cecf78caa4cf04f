import type { SagaStatus } from '@campusg/contracts';
import type { SagaCommand } from './definition.ts';

export type HistoryKind = 'command' | 'event' | 'timeout' | 'compensation';

export interface HistoryEntry {
  at: string;
  kind: HistoryKind;
  type: string;
  messageId: string | null;
  note: string | null;
}

/** A saga instance: everything the engine needs to take its next decision. */
export interface SagaState<D = Record<string, unknown>> {
  id: string;
  type: string;
  /** The definition's `key(data)` at start: the partition key of everything the instance sends. */
  key: string;
  status: SagaStatus;
  phase: 'forward' | 'compensation' | 'done';
  /** Where a FAILED saga stopped, so an operator's retry resumes there. */
  failedIn?: 'forward' | 'compensation';
  /** Index of the current forward step. */
  stepIndex: number;
  /** Registered compensations, in the order their steps completed; run from the end. */
  compensations: { step: string; command: SagaCommand }[];
  /** How many compensations (from the end) are acknowledged. */
  compensated: number;
  /** Message ids of the commands sent for the step in hand (retries add to it). */
  awaiting: string[];
  attempts: number;
  deadlineAt: string | null;
  data: D;
  error: string | null;
  startedAt: string;
  endedAt: string | null;
}

export const isActive = (status: SagaStatus): boolean => status === 'RUNNING' || status === 'COMPENSATING';
