import { GROUPS, idParams, notificationsQuery, notificationsView, timelineResponse } from '@campusg/contracts';
import { behindCheck, type ServiceDeps } from '@campusg/messaging';
import { isPartyTo } from '@campusg/order-rules';
import { readOrderView } from '@campusg/order-view';
import { type App, AppError, type AuthHook, callerOf } from '@campusg/platform';
import { NOTIFICATION_ORDERS } from './live-feed.ts';
import type { LiveHub } from './live-hub.ts';
import type { LiveSessions } from './live-sessions.ts';

export interface NotificationRouteDeps {
  hub: LiveHub;
  sessions: LiveSessions;
  heartbeatMs?: number;
}

/** The order timeline (audit log), the caller's notifications, and the live stream. */
export function registerNotificationRoutes(app: App, deps: ServiceDeps, auth: AuthHook, r: NotificationRouteDeps): void {
  const { db } = deps;

  app.get(
    '/api/orders/:id/timeline',
    {
      onRequest: auth,
      schema: {
        tags: ['orders'],
        summary: 'Every bus message about the order, in order',
        params: idParams,
        response: { 200: timelineResponse },
      },
    },
    async (req) => {
      const user = callerOf(req);
      const behind = behindCheck(deps.bus.transport, GROUPS.notification, 'order_events', req.params.id, deps.config.partitions);
      const order = await readOrderView(db, NOTIFICATION_ORDERS, req.params.id, (o) => isPartyTo(o, user), behind);
      if (!order || !isPartyTo(order, user)) throw new AppError('NOT_FOUND', 'no such order');
      const rows = await db.query<{ message_id: string; at: Date; topic: string; type: string; source: string; summary: string }>(
        'select message_id, at, topic, type, source, summary from notifications.audit_log where order_id = $1 order by at, seq',
        [req.params.id],
      );
      return {
        items: rows.map((x) => ({
          messageId: x.message_id,
          at: new Date(x.at).toISOString(),
          topic: x.topic,
          type: x.type,
          source: x.source,
          summary: x.summary,
        })),
      } as never;
    },
  );

  app.get(
    '/api/notifications',
    {
      onRequest: auth,
      schema: {
        tags: ['notifications'],
        summary: "The caller's notifications, newest first",
        querystring: notificationsQuery,
        response: { 200: notificationsView },
      },
    },
    async (req) => {
      const user = callerOf(req);
      const rows = await db.query<{ id: string; at: Date; order_id: string | null; kind: string; text: string; read: boolean }>(
        `select id, at, order_id, kind, text, read from notifications.notifications
       where user_id = $1 and (not $2 or not read) order by at desc, id desc limit 200`,
        [user.id, req.query.unread === true],
      );
      const [count] = await db.query<{ n: number }>(
        'select count(*)::int as n from notifications.notifications where user_id = $1 and not read',
        [user.id],
      );
      return {
        items: rows.map((x) => ({
          id: x.id,
          at: new Date(x.at).toISOString(),
          orderId: x.order_id,
          kind: x.kind,
          text: x.text,
          read: x.read,
        })),
        unread: count?.n ?? 0,
      };
    },
  );

  app.post(
    '/api/notifications/:id/read',
    {
      onRequest: auth,
      schema: { tags: ['notifications'], summary: 'Mark one notification read', params: idParams },
    },
    async (req, reply) => {
      const updated = await db.query('update notifications.notifications set read = true where id = $1 and user_id = $2 returning 1', [
        req.params.id,
        callerOf(req).id,
      ]);
      if (updated.length === 0) throw new AppError('NOT_FOUND', 'no such notification');
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/stream',
    {
      onRequest: auth,
      schema: { tags: ['live'], summary: 'Server-sent events: order, notification, available' },
    },
    async (req, reply) => {
      const user = callerOf(req);
      const isRunner = user.roles.includes('runner');
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let ended = false;
      const send = (event: string, data: unknown) => {
        if (!ended) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      res.write(': connected\n\n');
      // The stream lives as long as the session that opened it: a sign-out or the token's expiry ends it.
      const left = r.sessions.opened(user.tokenId, user.tokenExpiresAt);
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), r.heartbeatMs ?? 15_000);
      const unsubscribe = r.hub.subscribe((e) => {
        if (e.kind === 'session_ended') {
          if (e.tokenId === user.tokenId) end();
        } else if (e.kind === 'notification' && e.userId === user.id) send('notification', e.notification);
        else if (e.kind === 'available' && isRunner) send('available', { orderId: e.orderId, status: e.status });
        else if (e.kind === 'order' && isPartyTo(e.order, user)) send('order', e.order);
      });
      function end() {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        unsubscribe();
        left();
        res.end();
      }
      req.raw.on('close', end);
    },
  );
}
