import { decodeMessage, type MessageType, type TypedMessage } from '@campusg/contracts';
import type { Metrics } from '@campusg/platform';
import type { BatchHandler, ConsumedRecord } from './transport.ts';

/** A message as an ephemeral subscription hands it over: decoded, with the record it came in. */
export interface Followed {
  message: TypedMessage;
  record: ConsumedRecord;
}

/** What `MessageBus.follow` subscribes to, and who gets the messages. */
export interface FollowOptions {
  /** Names the subscription (its Kafka group, and the `group` label of its metrics). */
  name: string;
  topics: string[];
  /** The types wanted: a record of another type is dropped before it is decoded. */
  types: readonly MessageType[];
  /**
   * Gets a batch's wanted messages, in offset order. A rejection has the transport deliver the
   * batch again, so it should only reject for what a second try can mend.
   */
  onMessages: (messages: Followed[]) => Promise<void> | void;
}

/**
 * The batch handler of an ephemeral subscription: decodes the wanted records and hands them on, with
 * no transaction, inbox or dead letter. A record that does not decode is skipped here; the durable
 * groups reading the same topic dead-letter it.
 */
export function followBatches(options: FollowOptions, metrics: Metrics): BatchHandler {
  const wanted = new Set<string>(options.types);
  return async (batch) => {
    const messages: Followed[] = [];
    for (const record of batch) {
      const type = record.headers.type;
      if (type !== undefined && !wanted.has(type)) continue;
      const decoded = decodeMessage(record.value);
      if (!decoded.ok || !wanted.has(decoded.message.type)) continue;
      messages.push({ message: decoded.message, record });
      metrics.consumed.inc({ group: options.name, topic: record.topic, type: decoded.message.type });
    }
    if (messages.length > 0) await options.onMessages(messages);
  };
}
