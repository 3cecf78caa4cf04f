import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import { LiveHub, registerNotificationRoutes, startNotificationService } from '@campusg/notification-service';
import { orderReader, registerOrderRoutes, startOrderService } from '@campusg/order-service';
import { registerPaymentRoutes, startPaymentService } from '@campusg/payment-service';
import { createHttpApp, requireUser } from '@campusg/platform';
import { createOrchestrators, registerSagaRoutes, startOrchestrators, stopOrchestrators } from '@campusg/sagas';
import { TimerService } from '@campusg/timer-service';
import { authenticateToken, registerUserRoutes, startUserService, TokenService } from '@campusg/user-service';
import type { Infrastructure } from './system.ts';

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

  const parties = async (orderId: string) => {
    const o = await orderReader.find(db, orderId);
    return o && { customerId: o.customer_id, runnerId: o.runner_id, status: o.status };
  };

  let started = false;
  const app = createHttpApp({ log, metrics, isReady: async () => started && (await infra.transport.ping()) });
  registerUserRoutes(app, users, auth, tokens);
  registerOrderRoutes(app, orders, auth);
  registerSagaRoutes(app, sagaDeps, auth, sagas, parties);
  registerPaymentRoutes(app, payments, auth, parties);
  registerNotificationRoutes(app, notifications, auth, { hub, parties, orderView: (id) => orderReader.view(db, id) });
  registerWebApp(app, config.webDistDir);

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
      await startOrchestrators(sagas);
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

/** Serves the built web app at `/` (single-page: unknown non-API paths get index.html). */
function registerWebApp(app: ReturnType<typeof createHttpApp>, distDir: string | undefined): void {
  const dir = distDir ?? path.resolve(import.meta.dirname, '../../web/dist');
  if (!existsSync(path.join(dir, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/html').send('<!doctype html><title>CampusG</title><p>CampusG API is running. See <a href="/api/docs">/api/docs</a>.</p>'),
    );
    return;
  }
  app.register(fastifyStatic, { root: dir, wildcard: false });
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    if (req.url.startsWith('/api/')) return reply.callNotFound();
    return reply.sendFile('index.html');
  });
}
