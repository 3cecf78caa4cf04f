import { describe, expect, it } from 'vitest';
import { Metrics } from '../src/metrics.ts';

describe('Metrics', () => {
  it('registers every declared counter and histogram in its own registry, with help and labels', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.consumed.inc({ group: 'order', topic: 'orders', type: 'order.created' });
    metrics.sagaDuration.observe({ type: 'create_order', status: 'COMPLETED' }, 0.2);
    const text = await metrics.text();
    expect(text).toContain('# HELP campusg_messages_consumed_total Bus messages handled, by consumer group, topic and type');
    expect(text).toContain('campusg_messages_consumed_total{group="order",topic="orders",type="order.created"} 1');
    expect(text).toContain('campusg_saga_duration_seconds_bucket{le="0.25",type="create_order",status="COMPLETED"} 1');
    const names = (await metrics.json()).map((m) => m.name);
    expect(names).toEqual([
      'campusg_http_requests_total',
      'campusg_http_request_duration_seconds',
      'campusg_messages_consumed_total',
      'campusg_messages_produced_total',
      'campusg_messages_dead_lettered_total',
      'campusg_message_handler_retries_total',
      'campusg_message_handler_duration_seconds',
      'campusg_saga_duration_seconds',
    ]);
  });

  it('keeps two instances apart', async () => {
    const a = new Metrics({ defaultMetrics: false });
    const b = new Metrics({ defaultMetrics: false });
    a.httpRequests.inc({ method: 'GET', route: '/health', status: '200' });
    expect(await a.text()).toContain('campusg_http_requests_total{method="GET",route="/health",status="200"} 1');
    expect(await b.text()).not.toContain('route="/health"');
  });
});
