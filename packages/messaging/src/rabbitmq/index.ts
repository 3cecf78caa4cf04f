/** The RabbitMQ adapter (amqplib, AMQP 0-9-1). */
export * from './rabbitmq-transport.ts';
export { rabbitExchangeOf, rabbitRoutingKey } from './topology.ts';
