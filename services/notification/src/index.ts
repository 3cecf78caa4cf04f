import path from 'node:path';
import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import { type ServiceModule, serviceMigrations } from '@campusg/messaging';
import { orderViewTableSql } from '@campusg/order-view';
import { loadMigrations, type Migration } from '@campusg/platform';
import { auditLogRetention } from './audit-retention.ts';
import { LiveHub } from './live-hub.ts';
import { notificationHandlers } from './notification-handlers.ts';
import { registerNotificationRoutes } from './notification-routes.ts';
import { registerOrderTraceRoute } from './order-trace.ts';

export { type LiveEvent, LiveHub } from './live-hub.ts';
export { type NotificationRouteDeps, registerNotificationRoutes } from './notification-routes.ts';
export { type AuditRow, traceOf } from './order-trace.ts';
export { summarize } from './summaries.ts';

export const NOTIFICATION_SCHEMA = 'notifications';

export function notificationMigrations(): Migration[] {
  return serviceMigrations(NOTIFICATION_SCHEMA, loadMigrations(path.join(import.meta.dirname, '..', 'migrations')), {
    '000_order_view': orderViewTableSql(NOTIFICATION_SCHEMA),
  });
}

/** The notification service: consumes every topic into the audit log and the users' notifications, and streams them live. */
export const notificationService: ServiceModule = {
  name: 'notification',
  schema: NOTIFICATION_SCHEMA,
  source: 'notification-service',
  migrations: notificationMigrations,
  manifest: [
    { method: 'GET', url: '/api/orders/:id/timeline' },
    { method: 'GET', url: '/api/notifications' },
    { method: 'POST', url: '/api/notifications/:id/read' },
    { method: 'GET', url: '/api/stream' },
    { method: 'GET', url: '/admin/orders/:id/trace', operator: true },
  ],
  open: ({ deps, auth, operator }) => {
    // What the consumer hears, the open streams of this process are told.
    const hub = new LiveHub();
    return {
      registerRoutes: (app) => {
        registerNotificationRoutes(app, deps, auth, { hub });
        if (operator) registerOrderTraceRoute(app, deps.db, operator);
      },
      start: async () => {
        await deps.bus.consume(GROUPS.notification, GROUP_TOPICS[GROUPS.notification], notificationHandlers({ ids: deps.ids, hub }));
      },
      stop: async () => {},
      retention: () => [auditLogRetention(deps.db, deps.clock, deps.config.retention.auditLogMs)],
    };
  },
};
