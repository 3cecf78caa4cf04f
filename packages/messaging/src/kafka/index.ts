/** The Kafka adapter (kafkajs). */
export * from './kafka-transport.ts';
