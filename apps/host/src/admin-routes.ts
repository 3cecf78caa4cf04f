import { dlqTopic, GROUP_TOPICS, TOPIC_NAMES } from '@campusg/contracts';
import { REPLAY_GROUP_HEADER, type Transport } from '@campusg/messaging';
import type { App, AuthHook } from '@campusg/platform';
import { z } from 'zod';

const DLQ_HEADERS = /^dlq-/;

/**
 * What operators need of the bus: dead letters (list, replay to their topic) and consumer lag.
 * The sagas' own operator routes (list, inspect, retry) are registered by the sagas service.
 */
export function registerAdminRoutes(app: App, transport: Transport, operator: AuthHook): void {
  const hide = { hide: true };
  const topicParams = z.object({ topic: z.enum(TOPIC_NAMES) });

  app.get(
    '/admin/dlq/:topic',
    {
      onRequest: operator,
      schema: { ...hide, params: topicParams, querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
    },
    async (req) => {
      const records = await transport.read(dlqTopic(req.params.topic), 0, 0, req.query.limit);
      return {
        items: records.map((r) => ({
          offset: r.offset,
          at: r.timestamp,
          messageId: r.headers.message_id ?? null,
          type: r.headers.type ?? null,
          reason: r.headers['dlq-reason'],
          error: r.headers['dlq-error'],
          group: r.headers['dlq-group'],
          original: {
            topic: r.headers['dlq-original-topic'],
            partition: Number(r.headers['dlq-original-partition']),
            offset: Number(r.headers['dlq-original-offset']),
          },
          value: r.value,
        })),
      };
    },
  );

  app.post(
    '/admin/dlq/:topic/replay',
    {
      onRequest: operator,
      schema: {
        ...hide,
        params: topicParams,
        body: z.object({ messageId: z.string().optional(), offset: z.number().int().min(0).optional() }).default({}),
      },
    },
    async (req) => {
      const records = await transport.read(dlqTopic(req.params.topic), 0, 0, 10_000);
      const chosen = records.filter(
        (r) =>
          (req.body.messageId === undefined || r.headers.message_id === req.body.messageId) &&
          (req.body.offset === undefined || r.offset === req.body.offset),
      );
      // The same message goes back to its topic, for the group that gave up on it (the others handled
      // it already); that group's inbox makes a second replay harmless.
      await transport.publish(
        chosen.map((r) => {
          const headers = Object.fromEntries(Object.entries(r.headers).filter(([k]) => !DLQ_HEADERS.test(k)));
          if (r.headers['dlq-group']) headers[REPLAY_GROUP_HEADER] = r.headers['dlq-group'];
          return { topic: r.headers['dlq-original-topic'] ?? req.params.topic, key: r.key ?? '', value: r.value, headers };
        }),
      );
      return { replayed: chosen.length };
    },
  );

  app.get('/admin/lag', { onRequest: operator, schema: hide }, async () => {
    const groups = [];
    for (const [group, topics] of Object.entries(GROUP_TOPICS)) {
      const partitions = await transport.lag(group, topics);
      groups.push({ group, lag: partitions.reduce((n, p) => n + p.lag, 0), partitions });
    }
    return { groups };
  });
}
