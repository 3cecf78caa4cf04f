import { describe, expect, it } from 'vitest';
import { type AuditRow, traceOf } from '../src/order-trace.ts';

const SAGA = '00000000-0000-4000-8000-000000000001';
let seq = 0;
function row(type: string, topic: string, source: string, causation: string | null, at: string, payload = {}): AuditRow {
  const id = `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;
  return {
    message_id: id,
    correlation_id: SAGA,
    causation_id: causation,
    type,
    topic,
    partition: 0,
    offset: seq,
    source,
    at: `2026-12-05T10:00:0${at}.000Z`,
    received_at: `2026-12-05T10:00:0${at}.500Z`,
    summary: type,
    payload,
  };
}

describe('the trace of an order', () => {
  it('puts each message right after its cause, and says which group answered it with what', () => {
    const started = row('saga.started', 'saga_events', 'saga-orchestrator', null, '0', { saga_type: 'create-order' });
    const create = row('create_order', 'create_order_commands', 'saga-orchestrator', null, '0');
    const created = row('order.created', 'order_events', 'order-service', create.message_id, '1');
    // A later root, stored before the reply it follows in time: causal order wins over storage order.
    const unrelated = row('user.registered', 'user_events', 'user-service', null, '2');
    const next = row('get_payment_info', 'user_commands', 'saga-orchestrator', created.message_id, '3');
    const stepEvent = row('saga.step_completed', 'saga_events', 'saga-orchestrator', created.message_id, '3');
    const items = traceOf([started, create, unrelated, created, next, stepEvent]);

    expect(items.map((i) => [i.type, i.depth])).toEqual([
      ['saga.started', 0],
      ['create_order', 0],
      ['order.created', 1],
      ['get_payment_info', 2],
      ['saga.step_completed', 2],
      ['user.registered', 0],
    ]);
    const cmd = items.find((i) => i.type === 'create_order')!;
    expect(cmd.handledBy[0]).toEqual({ group: 'order-service', service: 'order-service', at: created.at, reply: 'order.created' });
    const reply = items.find((i) => i.type === 'order.created')!;
    // The orchestrator's command and its saga event are one answer of one group.
    expect(reply.handledBy.filter((h) => h.group === 'create-order-saga-orchestrator')).toEqual([
      {
        group: 'create-order-saga-orchestrator',
        service: 'saga-orchestrator',
        at: next.at,
        reply: 'get_payment_info, saga.step_completed',
      },
    ]);
    expect(reply.handledBy.map((h) => h.group)).toEqual(
      expect.arrayContaining(['notification-service', 'saga-order-view', 'payment-order-view', 'analytics-service']),
    );
    expect(new Set(reply.handledBy.map((h) => h.group)).size).toBe(reply.handledBy.length);
  });
});
