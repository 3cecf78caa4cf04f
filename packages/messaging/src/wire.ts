import { dlqTopic, type TypedMessage, topicOf } from '@campusg/contracts';
import type { IdGenerator, Logger } from '@campusg/platform';
import type { ConsumedRecord, OutgoingRecord } from './transport.ts';

/**
 * The header that limits a record to one consumer group: a dead letter replayed to its topic is
 * meant for the group that gave up on it; the others handled the message already.
 */
export const REPLAY_GROUP_HEADER = 'replay-group';

/** The wire form: JSON value, key, and headers repeating type and message id, with a W3C traceparent. */
export function toRecord(message: TypedMessage, key: string): OutgoingRecord {
  const trace = message.correlation_id.replaceAll('-', '');
  const span = message.message_id.replaceAll('-', '').slice(0, 16);
  return {
    topic: topicOf(message.type),
    key,
    value: JSON.stringify(message),
    headers: { type: message.type, message_id: message.message_id, traceparent: `00-${trace}-${span}-01` },
  };
}

export function keyFromPayload(payload: Record<string, unknown>, ids: IdGenerator): string {
  const k = payload.order_id ?? payload.user_id;
  return typeof k === 'string' ? k : ids.uuid();
}

/** The dead letter of `record`: the record as it came, with why and where `groupId` gave up on it. */
export function deadLetterRecord(record: ConsumedRecord, groupId: string, reason: string, detail: string, at: Date): OutgoingRecord {
  return {
    topic: dlqTopic(record.topic),
    key: record.key ?? '',
    value: record.value,
    headers: {
      ...record.headers,
      'dlq-reason': reason,
      'dlq-error': detail.slice(0, 2000),
      'dlq-original-topic': record.topic,
      'dlq-original-partition': String(record.partition),
      'dlq-original-offset': String(record.offset),
      'dlq-group': groupId,
      'dlq-at': at.toISOString(),
    },
  };
}

/** A logger built by `build` only when first used. */
export function lazyLog(build: () => Logger): Logger {
  let built: Logger | undefined;
  return new Proxy({} as Logger, {
    get: (_target, prop) => {
      built ??= build();
      const value = Reflect.get(built, prop, built);
      return typeof value === 'function' ? value.bind(built) : value;
    },
  });
}

/** Splits a batch into at most `n` lanes by key: a key's records stay in one lane, in their order. */
export function keyLanes(batch: ConsumedRecord[], n: number): ConsumedRecord[][] {
  const byKey = new Map<string, ConsumedRecord[]>();
  for (const r of batch) {
    const k = r.key ?? '';
    const list = byKey.get(k);
    if (list) list.push(r);
    else byKey.set(k, [r]);
  }
  const queues = [...byKey.values()];
  const lanes: ConsumedRecord[][] = Array.from({ length: Math.min(n, queues.length) }, () => []);
  queues.forEach((queue, i) => {
    lanes[i % lanes.length]!.push(...queue);
  });
  return lanes;
}
