import path from 'node:path';
import { GROUP_TOPICS, GROUPS, type MessageType, topicOf } from '@campusg/contracts';
import { type ServiceModule, SINK_LINGER_MS, type Subscription, serviceMigrations } from '@campusg/messaging';
import { orderViewTableSql } from '@campusg/order-view';
import { loadMigrations, type Migration } from '@campusg/platform';
import { auditLogRetention } from './audit-retention.ts';
import { LIVE_TYPES, LiveFeed } from './live-feed.ts';
import { LiveHub } from './live-hub.ts';
import { LiveSessions } from './live-sessions.ts';
import { notificationHandlers } from './notification-handlers.ts';
import { registerNotificationRoutes } from './notification-routes.ts';
import { registerOrderTraceRoute } from './order-trace.ts';

export { LIVE_TOPICS, LIVE_TYPES, LiveFeed } from './live-feed.ts';
export { type LiveEvent, LiveHub } from './live-hub.ts';
export { LiveSessions } from './live-sessions.ts';
export { type NotificationRouteDeps, registerNotificationRoutes } from './notification-routes.ts';
export { type AuditRow, traceOf } from './order-trace.ts';
export { summarize } from './summaries.ts';

export const NOTIFICATION_SCHEMA = 'notifications';
/** The name of each instance's ephemeral subscription to the live topics (its Kafka group is `<name>.<uuid>`). */
export const LIVE_FEED = 'notification-live';
/** What that subscription reads: the live updates, and the sign-outs that end streams. */
const FOLLOWED: MessageType[] = [...LIVE_TYPES, 'user.session_revoked'];

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
    // The open streams of this process hear of every order event, whichever instance's group
    // handled it: this instance follows the live topics itself, and pushes what the group committed.
    const hub = new LiveHub();
    const sessions = new LiveSessions(hub, deps.clock);
    const feed = new LiveFeed({ db: deps.db, hub, clock: deps.clock, log: deps.log });
    let following: Subscription | undefined;
    return {
      registerRoutes: (app) => {
        registerNotificationRoutes(app, deps, auth, { hub, sessions });
        if (operator) registerOrderTraceRoute(app, deps.db, operator);
      },
      start: async () => {
        const handlers = notificationHandlers({ ids: deps.ids, committed: (id, live) => feed.committed(id, live) });
        [following] = await Promise.all([
          deps.bus.follow({
            name: LIVE_FEED,
            topics: [...new Set(FOLLOWED.map(topicOf))],
            types: FOLLOWED,
            onMessages: (m) => {
              sessions.receive(m);
              feed.receive(m);
            },
          }),
          // No inbox rows: the handler's first write is the message's audit row, keyed by its id,
          // which does nothing for a message seen before (the audit log is kept at least as long as
          // the bus keeps a message, as the inbox is: AUDIT_LOG_RETENTION_MS ≥ BUS_LOG_RETENTION_MS).
          // Nothing waits on the group (the live feed follows the topics itself): its rounds gather
          // what comes for a while, one transaction for the many messages of each order.
          deps.bus.consume(GROUPS.notification, GROUP_TOPICS[GROUPS.notification], handlers, {
            inbox: false,
            lingerMs: SINK_LINGER_MS,
          }),
        ]);
      },
      stop: async () => {
        sessions.stop();
        await following?.close();
        await feed.close();
      },
      retention: () => [auditLogRetention(deps.db, deps.clock, deps.config.retention.auditLogMs)],
    };
  },
};
