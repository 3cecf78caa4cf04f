/** The embedded bus: a Kafka-like log in the services' own database (PGlite or PostgreSQL). */
export * from './embedded-outbox.ts';
export * from './embedded-transport.ts';
