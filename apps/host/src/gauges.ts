import { GROUP_TOPICS } from '@campusg/contracts';
import type { RunningService } from '@campusg/messaging';
import type { Infrastructure } from './infrastructure.ts';

/**
 * Gauges read when /metrics is scraped: this process's share. The bus answers the lag and each
 * schema's outbox its backlog; what only a service knows (its own tables) the service registers.
 */
export function registerGauges(infra: Infrastructure, running: readonly RunningService[]): void {
  const { metrics, transport } = infra;
  metrics.gauge(
    'campusg_consumer_lag',
    'Messages not yet committed by a consumer group, per topic',
    ['group', 'topic'],
    async (set) => {
      for (const [group, topics] of Object.entries(GROUP_TOPICS)) {
        const byTopic = new Map<string, number>();
        for (const l of await transport.lag(group, topics)) byTopic.set(l.topic, (byTopic.get(l.topic) ?? 0) + l.lag);
        for (const [topic, lag] of byTopic) set({ group, topic }, lag);
      }
    },
    'max',
  );
  for (const service of running) service.gauges?.(metrics);
  metrics.gauge(
    'campusg_outbox_backlog',
    'Messages stored in an outbox and not yet handed to the bus',
    ['schema'],
    async (set) => {
      for (const schema of infra.schemas) set({ schema }, await infra.outboxBacklog(schema));
    },
    'max',
  );
}
