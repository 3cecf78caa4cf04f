import { GROUP_TOPICS } from '@campusg/contracts';
import { LiveHub, registerNotificationRoutes, startNotificationService } from '@campusg/notification-service';
import { registerOrderRoutes, startOrderService } from '@campusg/order-service';
import { registerPaymentRoutes, startPaymentService } from '@campusg/payment-service';
import { createHttpApp, requireGatewayIdentity, requireUser, type ServiceName } from '@campusg/platform';
import { createOrchestrators, registerSagaRoutes, startOrchestrators, stopOrchestrators } from '@campusg/sagas';
import { TimerService } from '@campusg/timer-service';
import { authenticateToken, registerUserRoutes, startUserService, TokenService } from '@campusg/user-service';
import { registerAdminRoutes } from './admin-routes.ts';
import type { Infrastructure } from './system.ts';
import { registerWebApp } from './web.ts';

export type PlatformService = Exclude<ServiceName, 'gateway'>;
export const PLATFORM_SERVICES: PlatformService[] = ['order', 'user', 'payment', 'timer', 'notification', 'sagas'];

/**
 * The services of this process: their consumers, orchestrators, timers and HTTP routes, on one
 * ready, non-listening app. With every service it is the whole platform in one process and
 * authenticates tokens itself; a subset runs behind the gateway and trusts its signed identity
 * (the user service always checks tokens itself: it holds the sessions).
 */
export async function buildPlatform(infra: Infrastructure, services: readonly PlatformService[] = PLATFORM_SERVICES) {
  const { config, metrics, log } = infra;
  const runs = (s: PlatformService) => services.includes(s);
  const tokens = new TokenService(config.authSecret, config.authTokenTtlS, infra.clock, infra.ids);
  const auth = runs('user')
    ? requireUser((token) => authenticateToken(infra.dbFor('users'), tokens, token))
    : requireGatewayIdentity(config.authSecret);
  const hub = new LiveHub();
  const sagaDeps = runs('sagas') ? infra.depsFor('sagas') : undefined;
  const sagas = sagaDeps && createOrchestrators(sagaDeps);
  const timerService = runs('timer') ? new TimerService(infra.depsFor('timers')) : undefined;

  let started = false;
  const databases = [...new Set(infra.schemas.map((schema) => infra.dbFor(schema)))];
  const isReady = async () =>
    started && (await infra.transport.ping()) && (await Promise.all(databases.map((d) => d.ping()))).every(Boolean);
  const app = await createHttpApp({ log, metrics, isReady });
  if (runs('user')) registerUserRoutes(app, infra.depsFor('users'), auth, tokens);
  if (runs('order')) registerOrderRoutes(app, infra.depsFor('orders'), auth);
  if (sagaDeps && sagas) registerSagaRoutes(app, sagaDeps, auth, sagas);
  if (runs('payment')) registerPaymentRoutes(app, infra.depsFor('payments'), auth);
  if (runs('notification')) registerNotificationRoutes(app, infra.depsFor('notifications'), auth, { hub });
  if (sagas) registerAdminRoutes(app, { db: infra.dbFor('sagas'), transport: infra.transport, sagas, adminToken: config.adminToken });
  if (services.length === PLATFORM_SERVICES.length) registerWebApp(app, config.webDistDir);
  registerGauges(infra);

  return {
    app,
    hub,
    sagas,
    timerService,
    /** Joins this process's consumer groups and starts its timers and deadline checks. */
    async start() {
      if (runs('order')) await startOrderService(infra.depsFor('orders'));
      if (runs('user')) await startUserService(infra.depsFor('users'));
      if (runs('payment')) await startPaymentService(infra.depsFor('payments'));
      if (timerService) await timerService.start();
      if (runs('notification')) await startNotificationService(infra.depsFor('notifications'), hub);
      if (sagas && sagaDeps) await startOrchestrators(sagas, sagaDeps);
      started = true;
    },
    async stop() {
      started = false;
      timerService?.stop();
      if (sagas) stopOrchestrators(sagas);
      await app.close();
    },
  };
}

/** Gauges read from the database and the bus when /metrics is scraped: this process's share. */
function registerGauges(infra: Infrastructure): void {
  const { metrics, transport } = infra;
  metrics.gauge(
    'campusg_consumer_lag',
    'Messages not yet committed by a consumer group, per topic',
    ['group', 'topic'],
    async (set) => {
      for (const [group, topics] of Object.entries(GROUP_TOPICS)) {
        const byTopic = new Map<string, number>();
        for (const l of await transport.lag(group, topics)) byTopic.set(l.topic, (byTopic.get(l.topic) ?? 0) + l.lag);
        for (const [topic, lag] of byTopic) set({ group, topic }, lag);
      }
    },
    'max',
  );
  if (infra.schemas.includes('sagas')) {
    metrics.gauge(
      'campusg_sagas',
      'Saga instances by type and status',
      ['type', 'status'],
      async (set) => {
        const rows = await infra
          .dbFor('sagas')
          .query<{ type: string; status: string; n: number }>(
            'select type, status, count(*)::int as n from sagas.instances group by type, status',
          );
        for (const r of rows) set({ type: r.type, status: r.status }, r.n);
      },
      'max',
    );
  }
  metrics.gauge(
    'campusg_outbox_backlog',
    'Messages stored in an outbox and not yet handed to the bus',
    ['schema'],
    async (set) => {
      for (const schema of infra.schemas) {
        const [row] = await infra.dbFor(schema).query<{ n: number }>(`select count(*)::int as n from ${schema}.outbox`);
        set({ schema }, row?.n ?? 0);
      }
    },
    'max',
  );
}
