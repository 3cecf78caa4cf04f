import { timingSafeEqual } from 'node:crypto';
import { dlqTopic, GROUP_TOPICS, SAGA_STATUSES, SAGA_TYPES, TOPIC_NAMES } from '@campusg/contracts';
import type { Transport } from '@campusg/messaging';
import { type App, AppError, type Sql } from '@campusg/platform';
import { sagaStore } from '@campusg/saga';
import type { SagaOrchestrators } from '@campusg/sagas';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';

const DLQ_HEADERS = /^dlq-/;

/**
 * What operators need: sagas (list, inspect with what each waits for, retry a FAILED one), dead
 * letters (list, replay to their topic) and consumer lag. Behind `ADMIN_TOKEN`; absent without it.
 */
export function registerAdminRoutes(
  app: App,
  deps: { db: Sql; transport: Transport; sagas: SagaOrchestrators; adminToken: string | undefined },
): void {
  const { db, transport, sagas, adminToken } = deps;
  if (!adminToken) return;
  const expected = Buffer.from(adminToken);
  const operator = async (req: FastifyRequest) => {
    const given = Buffer.from((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new AppError('UNAUTHENTICATED', 'an operator token is required');
  };
  const hide = { hide: true };
  const topicParams = z.object({ topic: z.enum(TOPIC_NAMES) });

  app.get(
    '/admin/sagas',
    {
      onRequest: operator,
      schema: {
        ...hide,
        querystring: z.object({
          status: z.enum(SAGA_STATUSES).optional(),
          type: z.enum(SAGA_TYPES).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(50),
        }),
      },
    },
    async (req) => {
      const rows = await sagaStore.list(db, req.query);
      return {
        items: rows.map((r) => ({
          id: r.id,
          type: r.type,
          status: r.status,
          orderId: r.key,
          step: stepOf(sagas, r.state),
          startedAt: r.started_at,
          endedAt: r.ended_at,
          error: r.state.error,
        })),
      };
    },
  );

  app.get('/admin/sagas/:id', { onRequest: operator, schema: { ...hide, params: z.object({ id: z.uuid() }) } }, async (req) => {
    const stored = await sagaStore.load(db, req.params.id);
    if (!stored) throw new AppError('NOT_FOUND', 'no such saga');
    const s = stored.state;
    const history = await sagaStore.history(db, s.id);
    const waitingFor = history
      .filter((h) => h.messageId && s.awaiting.includes(h.messageId))
      .map((h) => ({ type: h.type, messageId: h.messageId, sentAt: h.at }));
    // Every CampusG saga is keyed by its order: operators (and the CLI) read that key as `orderId`.
    const { key, ...rest } = s;
    return { ...rest, orderId: key, step: stepOf(sagas, s), version: stored.version, startedBy: stored.startedBy, waitingFor, history };
  });

  app.post('/admin/sagas/:id/retry', { onRequest: operator, schema: { ...hide, params: z.object({ id: z.uuid() }) } }, async (req) => {
    for (const orchestrator of Object.values(sagas)) {
      const result = await orchestrator.retry(req.params.id);
      if (result) return result;
    }
    throw new AppError('NOT_FOUND', 'no such saga');
  });

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
      // The same message goes back to its topic; consumers' inboxes make a second replay harmless.
      await transport.publish(
        chosen.map((r) => ({
          topic: r.headers['dlq-original-topic'] ?? req.params.topic,
          key: r.key ?? '',
          value: r.value,
          headers: Object.fromEntries(Object.entries(r.headers).filter(([k]) => !DLQ_HEADERS.test(k))),
        })),
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

function stepOf(sagas: SagaOrchestrators, s: { type: string; stepIndex: number; phase: string }): string | null {
  const def = Object.values(sagas).find((o) => o.def.type === s.type)?.def;
  return s.phase === 'compensation' ? 'compensating' : (def?.steps[s.stepIndex]?.name ?? null);
}
