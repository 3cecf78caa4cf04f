import { z } from 'zod';
import { SAGA_STATUSES, SAGA_TYPES } from '../messages.ts';
import { isoTime, uuid } from './fields.ts';

/** What a saga history entry records. */
export const SAGA_HISTORY_KINDS = ['command', 'event', 'timeout', 'compensation'] as const;
export type SagaHistoryKind = (typeof SAGA_HISTORY_KINDS)[number];

/** `GET /api/sagas/{id}`: a saga instance and its history, oldest first. */
export const sagaView = z.object({
  id: uuid,
  type: z.enum(SAGA_TYPES),
  status: z.enum(SAGA_STATUSES),
  step: z.string().nullable(),
  orderId: uuid,
  startedAt: isoTime,
  endedAt: isoTime.nullable(),
  error: z.string().nullable(),
  history: z.array(z.object({ at: isoTime, kind: z.enum(SAGA_HISTORY_KINDS), type: z.string() })),
});
export type SagaView = z.infer<typeof sagaView>;
