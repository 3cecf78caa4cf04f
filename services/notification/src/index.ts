import path from 'node:path';
import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import { messagingTablesSql, type ServiceDeps } from '@campusg/messaging';
import { orderViewTableSql } from '@campusg/order-view';
import { loadMigrations, type Migration } from '@campusg/platform';
import type { LiveHub } from './live-hub.ts';
import { notificationHandlers } from './notification-handlers.ts';

export { type LiveEvent, LiveHub } from './live-hub.ts';
export { type NotificationRouteDeps, registerNotificationRoutes } from './notification-routes.ts';
export { summarize } from './summaries.ts';

export const NOTIFICATION_SCHEMA = 'notifications';

export function notificationMigrations(): Migration[] {
  return [
    { id: '000_messaging', sql: messagingTablesSql(NOTIFICATION_SCHEMA) },
    { id: '000_order_view', sql: orderViewTableSql(NOTIFICATION_SCHEMA) },
    ...loadMigrations(path.join(import.meta.dirname, '..', 'migrations')),
  ];
}

/** Consumes every topic into the audit log and the users' notifications. */
export async function startNotificationService(deps: ServiceDeps, hub: LiveHub): Promise<void> {
  await deps.bus.consume(GROUPS.notification, GROUP_TOPICS[GROUPS.notification], notificationHandlers({ ids: deps.ids, hub }));
}
