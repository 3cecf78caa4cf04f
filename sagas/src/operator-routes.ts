import { SAGA_STATUSES, SAGA_TYPES } from '@campusg/contracts';
import { type App, AppError, type AuthHook, type Sql } from '@campusg/platform';
import { sagaStore } from '@campusg/saga';
import { z } from 'zod';
import type { SagaOrchestrators } from './orchestrators.ts';

/**
 * The operator's view of the sagas: list, inspect with what each waits for, retry a FAILED one.
 * Behind the operator's token (`operator`); the host adds the bus's operator routes beside them.
 */
export function registerSagaOperatorRoutes(app: App, db: Sql, sagas: SagaOrchestrators, operator: AuthHook): void {
  const hide = { hide: true };

  app.get(
    '/admin/sagas',
    {
      onRequest: operator,
      schema: {
        ...hide,
        querystring: z.object({
          status: z.enum(SAGA_STATUSES).optional(),
          type: z.enum(SAGA_TYPES).optional(),
          orderId: z.uuid().optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
    },
    async (req) => {
      const { orderId, limit, offset, ...filter } = req.query;
      // One more than asked says whether a next page exists.
      const rows = await sagaStore.list(db, { ...filter, key: orderId, limit: limit + 1, offset });
      return {
        nextOffset: rows.length > limit ? offset + limit : null,
        items: rows.slice(0, limit).map((r) => ({
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
    const stored = await sagaStore.readWithHistory(db, req.params.id);
    if (!stored) throw new AppError('NOT_FOUND', 'no such saga');
    const s = stored.state;
    const history = stored.history;
    const waitingFor = history
      .filter((h) => h.messageId && s.awaiting.includes(h.messageId))
      .map((h) => ({ type: h.type, messageId: h.messageId, sentAt: h.at }));
    // Every CampusG saga is keyed by its order: operators (and the CLI) read that key as `orderId`.
    const { key, ...rest } = s;
    // The definition's forward steps, each named after the command it sends.
    const steps = Object.values(sagas)
      .find((o) => o.def.type === s.type)
      ?.def.steps.map((step: { name: string }) => step.name);
    return {
      ...rest,
      orderId: key,
      step: stepOf(sagas, s),
      steps: steps ?? [],
      version: stored.version,
      startedBy: stored.startedBy,
      waitingFor,
      history,
    };
  });

  app.post('/admin/sagas/:id/retry', { onRequest: operator, schema: { ...hide, params: z.object({ id: z.uuid() }) } }, async (req) => {
    for (const orchestrator of Object.values(sagas)) {
      const result = await orchestrator.retry(req.params.id);
      if (result) return result;
    }
    throw new AppError('NOT_FOUND', 'no such saga');
  });
}

function stepOf(sagas: SagaOrchestrators, s: { type: string; stepIndex: number; phase: string }): string | null {
  const def = Object.values(sagas).find((o) => o.def.type === s.type)?.def;
  return s.phase === 'compensation' ? 'compensating' : (def?.steps[s.stepIndex]?.name ?? null);
}
