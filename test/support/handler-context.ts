import { randomUUID } from 'node:crypto';
import { createMessage, type MessageType, type PayloadOf, type TypedMessage } from '@campusg/contracts';
import type { ConsumedRecord, HandlerContext } from '@campusg/messaging';
import { createLogger, type Sql } from '@campusg/platform';

const log = createLogger({ level: 'fatal', name: 'handler-test' });

/** A message as a saga sends it: a fresh id, the saga's `correlationId` (a fresh one if not given). */
export function sagaMessage<T extends MessageType>(type: T, payload: PayloadOf<T>, correlationId: string = randomUUID()): TypedMessage<T> {
  return createMessage(type, payload, {
    messageId: randomUUID(),
    correlationId,
    causationId: null,
    timestamp: new Date(),
    source: 'test-saga',
  }) as TypedMessage<T>;
}

/** A `create_order` for one order of `customerId`: a coffee from the Kopitiam, delivered to a seminar room. */
export function createOrderCommand(orderId: string, customerId: string = randomUUID()): PayloadOf<'create_order'> {
  return {
    order_id: orderId,
    customer_id: customerId,
    store: { name: 'Kopitiam', location: 'SOE B1' },
    items: [{ name: 'Kopi', quantity: 1, price_cents: 150 }],
    delivery_fee_cents: 200,
    delivery_location: { building: 'SOE', room: 'SR1' },
    instructions: null,
  };
}

/** An `order.created` for one order of `customerId`: 10.00 of food and 3.80 for delivery. */
export function orderCreatedEvent(orderId: string, customerId: string): PayloadOf<'order.created'> {
  return { order_id: orderId, customer_id: customerId, status: 'PENDING', food_cents: 1000, delivery_fee_cents: 380, total_cents: 1380 };
}

/**
 * What the bus gives a handler that a test runs by hand in `tx`: no consumed record, nothing run
 * after the commit, and every reply it emits (a reply to `command`: same correlation) pushed on `replies`.
 */
export function handlerContext(tx: Sql, command: TypedMessage, replies: TypedMessage[]): HandlerContext {
  return {
    tx,
    now: new Date(),
    log,
    record: {} as ConsumedRecord,
    afterCommit: () => {},
    emit: (type, payload) => {
      const reply = createMessage(type, payload, {
        messageId: randomUUID(),
        correlationId: command.correlation_id,
        causationId: command.message_id,
        timestamp: new Date(),
        source: 'handler-test',
      }) as TypedMessage;
      replies.push(reply);
      return reply as never;
    },
  };
}
