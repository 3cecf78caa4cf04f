import path from 'node:path';
import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import { type ServiceModule, SINK_LINGER_MS, serviceMigrations } from '@campusg/messaging';
import { loadMigrations, type Migration } from '@campusg/platform';
import { analyticsFigures } from './analytics-figures.ts';
import { analyticsHandlers } from './analytics-handlers.ts';

export { analyticsFigures } from './analytics-figures.ts';

export const ANALYTICS_SCHEMA = 'analytics';

export function analyticsMigrations(): Migration[] {
  return serviceMigrations(ANALYTICS_SCHEMA, loadMigrations(path.join(import.meta.dirname, '..', 'migrations')));
}

/**
 * The analytics service: a consumer group of its own that reads the order and payment events from
 * the beginning of the log into per-order facts, and answers the figures drawn from them. Its
 * tables can be emptied and rebuilt by rewinding its group (`campusg group reset analytics-service`).
 */
export const analyticsService: ServiceModule = {
  name: 'analytics',
  schema: ANALYTICS_SCHEMA,
  source: 'analytics-service',
  migrations: analyticsMigrations,
  manifest: [{ method: 'GET', url: '/admin/analytics', operator: true }],
  open: ({ deps, operator }) => ({
    registerRoutes(app) {
      if (!operator) return;
      app.get('/admin/analytics', { onRequest: operator, schema: { hide: true } }, () => analyticsFigures(deps.db));
    },
    start: async () => {
      // Nothing waits on the figures: the group gathers its rounds (one transaction for many messages).
      await deps.bus.consume(GROUPS.analytics, GROUP_TOPICS[GROUPS.analytics], analyticsHandlers, { lingerMs: SINK_LINGER_MS });
    },
    stop: async () => {},
  }),
};
