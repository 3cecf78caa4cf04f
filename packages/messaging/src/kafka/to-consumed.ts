import type { KafkaMessage } from 'kafkajs';
import type { ConsumedRecord } from '../transport.ts';

/** A kafkajs message as the transport hands it on: string key, value and headers. */
export function toConsumed(topic: string, partition: number, m: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: Number(m.offset),
    key: m.key?.toString() ?? null,
    value: m.value?.toString() ?? '',
    headers: Object.fromEntries(
      Object.entries(m.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? String(v[0] ?? '') : String(v ?? '')]),
    ),
    timestamp: new Date(Number(m.timestamp)),
  };
}
