/**
 * The core of the bus: the Transport port, MessageBus, the outbox, the partitioner, and
 * `openTransport`. It loads no broker client; the adapters have their own entry points
 * (`@campusg/messaging/embedded`, `/kafka`, `/rabbitmq`).
 */
export * from './consumer-groups.ts';
export * from './follow.ts';
export * from './inbox-retention.ts';
export * from './message-bus.ts';
export * from './open-transport.ts';
export * from './outbox.ts';
export * from './partitioner.ts';
export * from './read-together.ts';
export * from './run-together.ts';
export * from './service.ts';
export * from './signal.ts';
export * from './transport.ts';
