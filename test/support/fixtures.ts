import { createMessage, type TypedMessage } from '@campusg/contracts';
import { deadLetterRecord, type OutgoingRecord, toRecord } from '@campusg/messaging';

/**
 * Test fixtures shared by the cross-service suites. The sample order is the one the load
 * generator and the benchmark post too (`@campusg/journeys`), so every suite orders the same thing.
 */
export { DELIVERY_STEPS, SANDBOX_CARDS, sampleOrderBody } from '@campusg/journeys';

/**
 * A `get_payment_info` for `userId` as the user service's group dead-letters it (the bus's own
 * `deadLetterRecord`, as if it had failed at user_commands 0:0), to publish and replay.
 */
export function userCommandDeadLetter(userId: string, source: string): { message: TypedMessage; record: OutgoingRecord } {
  const message = createMessage('get_payment_info', { user_id: userId } as never, {
    messageId: crypto.randomUUID(),
    correlationId: crypto.randomUUID(),
    causationId: null,
    source,
    timestamp: new Date(),
  }) as TypedMessage;
  const consumed = { ...toRecord(message, userId), topic: 'user_commands', partition: 0, offset: 0, timestamp: new Date() };
  return { message, record: deadLetterRecord(consumed, 'user-service', 'HANDLER_ERROR', 'database was read-only', new Date()) };
}
