import { z } from 'zod';

/** The wire envelope of every bus message (docs/messages.md). Payload fields are snake_case. */
export const envelopeSchema = z.object({
  message_id: z.uuid(),
  type: z.string().min(1).max(100),
  correlation_id: z.uuid(),
  causation_id: z.uuid().nullable(),
  timestamp: z.iso.datetime(),
  source: z.string().min(1).max(100),
  schema_version: z.literal(1),
  payload: z.record(z.string(), z.unknown()),
});
export type Envelope = z.infer<typeof envelopeSchema>;

/** A message in code: the envelope with a typed payload. */
export interface Message<Type extends string = string, Payload = Record<string, unknown>> {
  message_id: string;
  type: Type;
  correlation_id: string;
  causation_id: string | null;
  timestamp: string;
  source: string;
  schema_version: 1;
  payload: Payload;
}
