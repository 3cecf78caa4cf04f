import type { Message, Options } from 'amqplib';
import type { ConsumedRecord, OutgoingRecord } from '../transport.ts';
import { type RabbitTopology, rabbitRoutingKey } from './topology.ts';

/** Headers the transport adds on the wire and removes again on delivery. */
const H_KEY = 'x-campusg-key';
const H_TOPIC = 'x-campusg-topic';
const H_PARTITION = 'x-campusg-partition';
const H_TS = 'x-campusg-ts';
const isWireHeader = (name: string) =>
  name.startsWith('x-campusg-') ||
  name === 'x-death' ||
  name.startsWith('x-first-death-') ||
  name.startsWith('x-last-death-') ||
  name === 'x-delivery-count';

/** A record as it is published: where to, its body, and its properties. */
export interface WireMessage {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

/** A record on the wire: persistent, with the key, topic, shard and time the port needs back as headers. */
export function toWire(topology: RabbitTopology, r: OutgoingRecord, shard: number, now: number): WireMessage {
  return {
    exchange: topology.exchangeOf(r.topic),
    routingKey: rabbitRoutingKey(r.topic, shard, r.headers.type),
    content: Buffer.from(r.value, 'utf8'),
    options: {
      persistent: true,
      timestamp: Math.floor(now / 1000),
      messageId: r.headers.message_id,
      type: r.headers.type,
      headers: { ...r.headers, [H_KEY]: r.key, [H_TOPIC]: r.topic, [H_PARTITION]: String(shard), [H_TS]: String(now) },
    },
  };
}

/** A record as the port describes it, from a delivery of `topic`'s shard queue. */
export function fromWire(topology: RabbitTopology, message: Message, topic: string, shard: number, offset: number): ConsumedRecord {
  const wire = (message.properties.headers ?? {}) as Record<string, unknown>;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(wire)) if (!isWireHeader(name)) headers[name] = headerString(value);
  if (wire['x-death'] !== undefined && headers['dlq-reason'] === undefined) Object.assign(headers, brokerDeadLetter(topology, wire));
  const key = wire[H_KEY];
  const ts = Number(wire[H_TS]);
  const seconds = Number(message.properties.timestamp);
  return {
    topic,
    partition: shard,
    offset,
    key: key === undefined || key === null ? null : headerString(key),
    value: message.content.toString('utf8'),
    headers,
    timestamp: new Date(Number.isFinite(ts) && ts > 0 ? ts : Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : Date.now()),
  };
}

/** The headers the MessageBus gives a dead letter, for one the broker dead-lettered (x-death). */
function brokerDeadLetter(topology: RabbitTopology, wire: Record<string, unknown>): Record<string, string> {
  const deaths = Array.isArray(wire['x-death']) ? (wire['x-death'] as Record<string, unknown>[]) : [];
  const first = deaths[deaths.length - 1] ?? {};
  const reason = headerString(wire['x-first-death-reason'] ?? first.reason ?? 'unknown');
  const queue = headerString(wire['x-first-death-queue'] ?? first.queue ?? '');
  const originalTopic = wire[H_TOPIC] === undefined ? '' : headerString(wire[H_TOPIC]);
  const partition = wire[H_PARTITION] === undefined ? '' : headerString(wire[H_PARTITION]);
  const time = first.time as { value?: unknown } | number | undefined;
  const seconds = Number(typeof time === 'object' && time !== null ? time.value : time);
  return {
    'dlq-reason': reason.toUpperCase().replaceAll('-', '_'),
    'dlq-error': `dead-lettered by RabbitMQ (${reason}) from queue ${queue}`,
    'dlq-original-topic': originalTopic,
    'dlq-original-partition': partition,
    'dlq-group': topology.groupOfQueue(queue, originalTopic, partition),
    'dlq-at': new Date(Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : Date.now()).toISOString(),
  };
}

function headerString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
