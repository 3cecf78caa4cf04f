import { type ServiceModule, serviceMigrations } from '@campusg/messaging';
import { orderViewTableSql } from '@campusg/order-view';
import type { Metrics, Migration, Sql } from '@campusg/platform';
import { sagaHistoryRetention, sagaStoreMigrations } from '@campusg/saga';
import { idempotencyKeyRetention } from './idempotency-retention.ts';
import { registerSagaOperatorRoutes } from './operator-routes.ts';
import { createOrchestrators, startOrchestrators, stopOrchestrators } from './orchestrators.ts';
import { registerReleaseRoutes } from './release-routes.ts';
import { registerSagaRoutes } from './saga-routes.ts';
import { settledSagaRetention } from './settled-saga-retention.ts';
import { createTemporalSagas } from './temporal/temporal-sagas.ts';

export const SAGA_SCHEMA = 'sagas';

export function sagaMigrations(): Migration[] {
  return serviceMigrations(SAGA_SCHEMA, sagaStoreMigrations(), { '000_order_view': orderViewTableSql(SAGA_SCHEMA) });
}

/**
 * The orchestrators as a service: the routes that start sagas and show them, the
 * orchestrators and their deadlines, and the operator's saga routes (`/admin/*` is forwarded here).
 * With `CAMPUSG_SAGA_ENGINE=temporal` the four run as Temporal workflows behind the same routes.
 */
export const sagasService: ServiceModule = {
  name: 'sagas',
  schema: SAGA_SCHEMA,
  source: 'saga-orchestrator',
  migrations: sagaMigrations,
  manifest: [
    { method: 'POST', url: '/api/orders' },
    { method: 'POST', url: '/api/orders/:id/accept' },
    { method: 'POST', url: '/api/orders/:id/complete' },
    { method: 'POST', url: '/api/orders/:id/cancel' },
    { method: 'POST', url: '/api/orders/:id/release' },
    { method: 'GET', url: '/api/sagas/:id' },
    { method: ['GET', 'POST'], url: '/admin/*', operator: true },
  ],
  open: ({ deps, auth, operator }) => {
    const temporal = deps.config.sagaEngine === 'temporal' ? createTemporalSagas(deps) : undefined;
    const sagas = temporal?.runners ?? createOrchestrators(deps);
    return {
      registerRoutes(app) {
        registerSagaRoutes(app, deps, auth, sagas);
        registerReleaseRoutes(app, deps, auth, sagas);
        if (operator) registerSagaOperatorRoutes(app, deps.db, sagas, operator);
      },
      async start() {
        await temporal?.connect();
        await startOrchestrators(sagas, deps);
      },
      async stop() {
        stopOrchestrators(sagas);
        await temporal?.close();
      },
      gauges: (metrics) => registerSagaGauge(metrics, deps.db),
      retention: () => [
        sagaHistoryRetention(deps.db, deps.clock, deps.config.retention.sagaHistoryMs),
        settledSagaRetention(deps.db, deps.clock, deps.config.retention.sagaHistoryMs),
        idempotencyKeyRetention(deps.db, deps.config.retention.idempotencyKeyMs),
      ],
    };
  },
};

function registerSagaGauge(metrics: Metrics, db: Sql): void {
  metrics.gauge(
    'campusg_sagas',
    'Saga instances by type and status',
    ['type', 'status'],
    async (set) => {
      const rows = await db.query<{ type: string; status: string; n: number }>(
        'select type, status, count(*)::int as n from sagas.instances group by type, status',
      );
      for (const r of rows) set({ type: r.type, status: r.status }, r.n);
    },
    'max',
  );
}
