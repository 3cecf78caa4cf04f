import type { Message } from '@platformatic/kafka';
import type { ConsumedRecord } from '../transport.ts';

/** A consumed Kafka message, with string key, value and headers, as the transport hands it on. */
export function toConsumed(topic: string, m: Message<string, string, string, string>): ConsumedRecord {
  return {
    topic,
    partition: m.partition,
    offset: Number(m.offset),
    key: m.key ?? null,
    value: m.value ?? '',
    headers: Object.fromEntries([...m.headers].map(([k, v]) => [k, v ?? ''])),
    timestamp: new Date(Number(m.timestamp)),
  };
}
