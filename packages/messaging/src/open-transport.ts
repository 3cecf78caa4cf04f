import type { Config, Db, Logger } from '@campusg/platform';
import { type Outbox, TableOutbox } from './outbox.ts';
import type { Transport } from './transport.ts';

/** The part of the configuration that chooses the transport and says how to reach its broker. */
export type BusSettings = Pick<Config, 'bus' | 'kafka' | 'amqpUrl' | 'amqpNamespace' | 'amqpQueueType'>;

/** What the process needs to reach the bus: an open transport and the outbox that goes with it. */
export interface OpenedTransport {
  transport: Transport;
  /**
   * The outbox of one service schema. On the embedded bus the log is in the services' database, so
   * the outbox write is the append itself; on a broker it is the schema's `outbox` table with its
   * relay, already started.
   */
  outboxFor(db: Db, schema: string): Outbox;
}

/**
 * Opens the transport the settings choose. The adapter is loaded with a dynamic `import()`, so a
 * process only ever loads the client it uses (no Kafka client on RabbitMQ, no amqplib on Kafka, neither
 * on the embedded bus). Nothing is connected yet: `ensureTopics` is the first call to reach the broker.
 */
export async function openTransport(settings: BusSettings, deps: { db: Db; log: Logger }): Promise<OpenedTransport> {
  const { db, log } = deps;
  switch (settings.bus) {
    case 'embedded': {
      const { EmbeddedOutbox, EmbeddedTransport } = await import('./embedded/index.ts');
      const transport = new EmbeddedTransport(db, { onError: (err, where) => log.warn({ err, where }, 'embedded bus retrying') });
      return { transport, outboxFor: () => new EmbeddedOutbox(transport) };
    }
    case 'kafka': {
      const { KafkaTransport } = await import('./kafka/index.ts');
      return relayed(new KafkaTransport({ ...settings.kafka, log: log.child({ component: 'kafka' }) }), log);
    }
    case 'rabbitmq': {
      const { RabbitMqTransport } = await import('./rabbitmq/index.ts');
      const transport = new RabbitMqTransport({
        url: settings.amqpUrl!,
        namespace: settings.amqpNamespace,
        queueType: settings.amqpQueueType,
        log: log.child({ component: 'rabbitmq' }),
      });
      return relayed(transport, log);
    }
  }
}

/** A broker keeps the log elsewhere: each schema's messages go through its outbox table and relay. */
function relayed(transport: Transport, log: Logger): OpenedTransport {
  return {
    transport,
    outboxFor(db, schema) {
      const outbox = new TableOutbox(db, schema, transport, { onError: (err) => log.warn({ err, schema }, 'outbox relay retrying') });
      outbox.start();
      return outbox;
    },
  };
}
