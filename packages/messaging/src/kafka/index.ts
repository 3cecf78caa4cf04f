/** The Kafka adapter (`@platformatic/kafka`). */
export * from './kafka-transport.ts';
