export * from './embedded-transport.ts';
export * from './message-bus.ts';
export * from './outbox.ts';
export * from './partitioner.ts';
export * from './signal.ts';
export * from './transport.ts';
export * from './service.ts';
export * from './kafka-transport.ts';
