/**
 * What an ephemeral subscription hands a follower (`MessageBus.follow`): the wanted types only,
 * decoded, in offset order; a record that does not decode is skipped, never dead-lettered.
 */
import { createMessage, type MessageType, type PayloadOf } from '@campusg/contracts';
import { Metrics } from '@campusg/platform';
import { describe, expect, it } from 'vitest';
import { type Followed, followBatches } from '../src/follow.ts';
import type { ConsumedRecord } from '../src/transport.ts';
import { toRecord } from '../src/wire.ts';

let offset = 0;
function record<T extends MessageType>(type: T, payload: PayloadOf<T>): ConsumedRecord {
  const m = createMessage(type, payload, {
    messageId: crypto.randomUUID(),
    correlationId: crypto.randomUUID(),
    causationId: null,
    source: 'test',
    timestamp: new Date(),
  });
  const r = toRecord(m, (payload as { order_id: string }).order_id);
  return { ...r, partition: 0, offset: offset++, timestamp: new Date() };
}

describe('following a topic', () => {
  it('hands over the wanted types, decoded and in order, and skips what does not decode', async () => {
    const metrics = new Metrics();
    const got: Followed[][] = [];
    const handle = followBatches(
      { name: 'live', topics: ['order_events'], types: ['order.accepted', 'order.cancelled'], onMessages: (m) => void got.push(m) },
      metrics,
    );
    const orderId = crypto.randomUUID();
    const accepted = record('order.accepted', { order_id: orderId, runner_id: crypto.randomUUID(), customer_id: crypto.randomUUID() });
    const created = record('order.created', {
      order_id: orderId,
      customer_id: crypto.randomUUID(),
      status: 'PENDING',
      food_cents: 1,
      delivery_fee_cents: 100,
      total_cents: 101,
    });
    const poison = { ...accepted, offset: offset++, value: '{"not": "an envelope"' };
    const cancelled = record('order.cancelled', { order_id: orderId, reason: 'CUSTOMER_CANCELLED', previous_status: 'CREATED' });
    await handle([accepted, created, poison, cancelled]);
    expect(got).toHaveLength(1);
    expect(got[0]!.map((f) => [f.message.type, f.record.offset])).toEqual([
      ['order.accepted', accepted.offset],
      ['order.cancelled', cancelled.offset],
    ]);
    expect(await metrics.text()).toMatch(/campusg_messages_consumed_total\{group="live",topic="order_events",type="order.accepted"\} 1/);

    await handle([created]);
    expect(got).toHaveLength(1);
  });
});
