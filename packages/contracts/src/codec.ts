import { z } from 'zod';
import { envelopeSchema, type Message } from './envelope.ts';
import { isMessageType, MESSAGES, type MessageType, type PayloadOf } from './messages.ts';

/** A fully typed message of a known type. */
export type TypedMessage<T extends MessageType = MessageType> = Message<T, PayloadOf<T>>;

export type DecodeResult =
  | { ok: true; message: TypedMessage }
  | { ok: false; reason: 'NOT_JSON' | 'INVALID_ENVELOPE' | 'UNKNOWN_TYPE' | 'INVALID_PAYLOAD'; detail: string };

/** Parses and validates a raw message value (bytes, string or object) against the envelope and its payload schema. */
export function decodeMessage(raw: Buffer | string | unknown): DecodeResult {
  let value: unknown = raw;
  if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
    try {
      value = JSON.parse(raw.toString());
    } catch (err) {
      return { ok: false, reason: 'NOT_JSON', detail: (err as Error).message };
    }
  }
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) return { ok: false, reason: 'INVALID_ENVELOPE', detail: z.prettifyError(envelope.error) };
  const { type } = envelope.data;
  if (!isMessageType(type)) return { ok: false, reason: 'UNKNOWN_TYPE', detail: `unknown message type "${type}"` };
  const payload = MESSAGES[type].payload.safeParse(envelope.data.payload);
  if (!payload.success) return { ok: false, reason: 'INVALID_PAYLOAD', detail: z.prettifyError(payload.error) };
  return { ok: true, message: { ...envelope.data, type, payload: payload.data } as TypedMessage };
}

export interface MessageOrigin {
  messageId: string;
  correlationId: string;
  causationId: string | null;
  source: string;
  timestamp: Date;
}

/** Builds a message of a known type; the payload is checked by the compiler, ids and time come from the caller. */
export function createMessage<T extends MessageType>(type: T, payload: PayloadOf<T>, origin: MessageOrigin): TypedMessage<T> {
  return {
    message_id: origin.messageId,
    type,
    correlation_id: origin.correlationId,
    causation_id: origin.causationId,
    timestamp: origin.timestamp.toISOString(),
    source: origin.source,
    schema_version: 1,
    payload,
  };
}

/** The partition key of a message: its order id (everything about one order stays in order). */
export function keyOf(message: Message): string {
  const orderId = message.payload.order_id;
  if (typeof orderId === 'string') return orderId;
  const userId = message.payload.user_id;
  return typeof userId === 'string' ? userId : message.correlation_id;
}
