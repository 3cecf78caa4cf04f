import { existsSync } from 'node:fs';
import path from 'node:path';
import { GROUP_TOPICS } from '@campusg/contracts';
import { LiveHub, registerNotificationRoutes, startNotificationService } from '@campusg/notification-service';
import { registerOrderRoutes, startOrderService } from '@campusg/order-service';
import { registerPaymentRoutes, startPaymentService } from '@campusg/payment-service';
import { type App, createHttpApp, requireUser } from '@campusg/platform';
import { createOrchestrators, registerSagaRoutes, startOrchestrators, stopOrchestrators } from '@campusg/sagas';
import { TimerService } from '@campusg/timer-service';
import { authenticateToken, registerUserRoutes, startUserService, TokenService } from '@campusg/user-service';
import fastifyStatic from '@fastify/static';
import { type Infrastructure, SERVICE_SCHEMAS } from './system.ts';

/**
 * The whole platform in one process: every service's consumers, every orchestrator, and one HTTP
 * app with every route mounted directly. Returns a ready, non-listening app.
 */
export async function buildPlatform(infra: Infrastructure) {
  const { config, db, metrics, log } = infra;
  const orders = infra.depsFor('orders');
  const users = infra.depsFor('users');
  const payments = infra.depsFor('payments');
  const timers = infra.depsFor('timers');
  const notifications = infra.depsFor('notifications');
  const sagaDeps = infra.depsFor('sagas');

  const tokens = new TokenService(config.authSecret, config.authTokenTtlS, infra.clock, infra.ids);
  const auth = requireUser((token) => authenticateToken(db, tokens, token));
  const hub = new LiveHub();
  const sagas = createOrchestrators(sagaDeps);
  const timerService = new TimerService(timers);

  let started = false;
  const app = await createHttpApp({ log, metrics, isReady: async () => started && (await infra.transport.ping()) });
  registerUserRoutes(app, users, auth, tokens);
  registerOrderRoutes(app, orders, auth);
  registerSagaRoutes(app, sagaDeps, auth, sagas);
  registerPaymentRoutes(app, payments, auth);
  registerNotificationRoutes(app, notifications, auth, { hub });
  registerWebApp(app, config.webDistDir);
  registerGauges(infra);

  return {
    app,
    hub,
    sagas,
    timerService,
    /** Joins every consumer group and starts the timers and deadline checks. */
    async start() {
      await startOrderService(orders);
      await startUserService(users);
      await startPaymentService(payments);
      await timerService.start();
      await startNotificationService(notifications, hub);
      await startOrchestrators(sagas, sagaDeps);
      started = true;
    },
    async stop() {
      started = false;
      timerService.stop();
      stopOrchestrators(sagas);
      await app.close();
    },
  };
}

/** Gauges read from the database and the bus when /metrics is scraped. */
function registerGauges(infra: Infrastructure): void {
  const { metrics, db, transport } = infra;
  metrics.gauge('campusg_consumer_lag', 'Messages not yet committed by a consumer group, per topic', ['group', 'topic'], async (set) => {
    for (const [group, topics] of Object.entries(GROUP_TOPICS)) {
      const byTopic = new Map<string, number>();
      for (const l of await transport.lag(group, topics)) byTopic.set(l.topic, (byTopic.get(l.topic) ?? 0) + l.lag);
      for (const [topic, lag] of byTopic) set({ group, topic }, lag);
    }
  });
  metrics.gauge('campusg_sagas', 'Saga instances by type and status', ['type', 'status'], async (set) => {
    const rows = await db.query<{ type: string; status: string; n: number }>(
      'select type, status, count(*)::int as n from sagas.instances group by type, status',
    );
    for (const r of rows) set({ type: r.type, status: r.status }, r.n);
  });
  metrics.gauge('campusg_outbox_backlog', 'Messages stored in an outbox and not yet handed to the bus', ['schema'], async (set) => {
    for (const { schema } of SERVICE_SCHEMAS) {
      const [row] = await db.query<{ n: number }>(`select count(*)::int as n from ${schema}.outbox`);
      set({ schema }, row?.n ?? 0);
    }
  });
}

/** Serves the built web app at `/` (single-page: unknown non-API paths get index.html). */
function registerWebApp(app: App, distDir: string | undefined): void {
  const dir = distDir ?? path.resolve(import.meta.dirname, '../../web/dist');
  if (!existsSync(path.join(dir, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type('text/html')
        .send('<!doctype html><title>CampusG</title><p>CampusG API is running. See <a href="/api/docs">/api/docs</a>.</p>'),
    );
    return;
  }
  app.register(fastifyStatic, { root: dir, wildcard: false });
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    if (req.url.startsWith('/api/')) return reply.callNotFound();
    return reply.sendFile('index.html');
  });
}
