import { dlqTopic, GROUP_TOPICS, GROUPS, TOPIC_NAMES, type TopicList, type TopicMessages } from '@campusg/contracts';
import { type MessageBus, partitionFor, type ResetTarget, type ServiceModule, type Transport } from '@campusg/messaging';
import { type App, AppError, type AuthHook } from '@campusg/platform';
import { z } from 'zod';
import type { Infrastructure } from './infrastructure.ts';

const GROUP_NAMES = Object.keys(GROUP_TOPICS) as [string, ...string[]];
/** The notification service reads every topic: its lag's `end` is each partition's end. */
const EVERY_TOPIC = GROUPS.notification;

/** Why a transport without history (RabbitMQ) cannot do what needs one, in the operator's words. */
const noHistory = (transport: Transport) => `${transport.name} keeps no history: acknowledged messages are gone`;

/**
 * The operator's view of the deployment beyond sagas and dead letters: dead-letter counts, topic
 * sizes and latest messages, and rewinding a consumer group.
 */
export function registerOperatorBusRoutes(app: App, infra: Infrastructure, modules: readonly ServiceModule[], operator: AuthHook): void {
  const { transport } = infra;
  const hide = { hide: true };
  const topicParams = z.object({ topic: z.enum(TOPIC_NAMES) });

  // A dead-letter topic's end is how many it holds: a log's end offset, or the messages in RabbitMQ's queue.
  app.get('/admin/dlq', { onRequest: operator, schema: hide }, async () => ({
    topics: await Promise.all(
      TOPIC_NAMES.map(async (topic) => ({
        topic,
        count: (await transport.lag(EVERY_TOPIC, [dlqTopic(topic)])).reduce((n, p) => n + p.end, 0),
      })),
    ),
  }));

  app.get('/admin/topics', { onRequest: operator, schema: hide }, async (): Promise<TopicList> => {
    const lag = await transport.lag(EVERY_TOPIC, [...TOPIC_NAMES]);
    return {
      at: new Date().toISOString(),
      history: transport.capabilities.replay,
      topics: TOPIC_NAMES.map((topic) => {
        const parts = lag.filter((l) => l.topic === topic);
        return { topic, partitions: parts.length, messages: parts.reduce((n, p) => n + p.end, 0) };
      }),
    };
  });

  app.get(
    '/admin/topics/:topic/messages',
    {
      onRequest: operator,
      schema: {
        ...hide,
        params: topicParams,
        querystring: z.object({ key: z.string().min(1).max(200).optional(), limit: z.coerce.number().int().min(1).max(100).default(20) }),
      },
    },
    async (req): Promise<TopicMessages> => {
      if (!transport.capabilities.replay)
        throw new AppError('CONFLICT', `${noHistory(transport)}, so the messages of a topic cannot be listed`);
      const { topic } = req.params;
      const { key, limit } = req.query;
      const ends = (await transport.lag(EVERY_TOPIC, [topic])).map((l) => ({ partition: l.partition, end: l.end }));
      // A key lives in one partition; its latest messages are among that partition's last few hundred.
      const chosen = key ? ends.filter((e) => e.partition === partitionFor(topic, key, ends.length)) : ends;
      const window = key ? 500 : limit;
      const records = (
        await Promise.all(chosen.map((e) => (e.end > 0 ? transport.read(topic, e.partition, Math.max(0, e.end - window), window) : [])))
      ).flat();
      return {
        items: records
          .filter((r) => key === undefined || r.key === key)
          .sort((a, b) => b.timestamp.getTime() - a.timestamp.getTime() || b.offset - a.offset)
          .slice(0, limit)
          .map((r) => ({
            partition: r.partition,
            offset: r.offset,
            key: r.key,
            at: r.timestamp.toISOString(),
            type: r.headers.type ?? null,
            value: r.value,
          })),
      };
    },
  );

  app.post(
    '/admin/groups/:group/reset',
    {
      onRequest: operator,
      schema: {
        ...hide,
        params: z.object({ group: z.enum(GROUP_NAMES) }),
        body: z.union([z.object({ to: z.literal('earliest') }), z.object({ to: z.iso.datetime({ offset: true }) })]),
      },
    },
    async (req) => {
      const { group } = req.params;
      if (!transport.capabilities.replay) {
        throw new AppError('CONFLICT', `${noHistory(transport)}, so ${group} cannot be rewound`);
      }
      const to: ResetTarget = req.body.to === 'earliest' ? 'earliest' : new Date(req.body.to);
      const buses = modules.map((m) => infra.depsFor(m.schema).bus);
      const local: MessageBus | undefined = buses.find((b) => b.groups.has(group));
      const topics = GROUP_TOPICS[group as keyof typeof GROUP_TOPICS];
      try {
        // This process's members leave, the offsets move, they join again; elsewhere the group must be stopped.
        if (local) await local.groups.rewind(transport, group, to);
        else await transport.resetGroup(group, topics, to);
      } catch (err) {
        throw new AppError('CONFLICT', `could not reset ${group}: ${(err as Error).message}`, { cause: err });
      }
      const lag = (await transport.lag(group, topics)).reduce((n, p) => n + p.lag, 0);
      return { group, to: req.body.to, lag };
    },
  );
}
