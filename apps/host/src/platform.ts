import type { RunningService } from '@campusg/messaging';
import { inboxRetention } from '@campusg/messaging';
import {
  createHttpApp,
  Pruner,
  type PruneTask,
  requireGatewayIdentity,
  requireUser,
  thisInstance,
  vacuumDeadRows,
} from '@campusg/platform';
import { registerAdminRoutes } from './admin-routes.ts';
import { registerDbSizesRoute } from './db-sizes.ts';
import { registerGauges } from './gauges.ts';
import { registerHealthRoute } from './health-route.ts';
import type { Infrastructure } from './infrastructure.ts';
import { registerOperatorBusRoutes } from './operator-bus-routes.ts';
import { operatorHook } from './operator-token.ts';
import { PLATFORM_SERVICES, type PlatformService, SERVICES } from './services.ts';
import { registerWebApp } from './web.ts';

/**
 * The services of this process: their consumers, orchestrators, timers and HTTP routes, on one
 * ready, non-listening app. With every service it is the whole platform in one process and
 * authenticates tokens itself; a subset runs behind the gateway and trusts its signed identity
 * (a process that runs the service holding the sessions always checks tokens itself).
 */
export async function buildPlatform(infra: Infrastructure, services: readonly PlatformService[] = PLATFORM_SERVICES) {
  const { config, metrics, log } = infra;
  const modules = SERVICES.filter((s) => services.includes(s.name));
  const sessions = modules.find((s) => s.authenticator);
  const auth = sessions?.authenticator
    ? requireUser(sessions.authenticator(infra.depsFor(sessions.schema)))
    : requireGatewayIdentity(config.authSecret);
  const operator = operatorHook(config.adminToken);
  const running = modules.map((s) => s.open({ deps: infra.depsFor(s.schema), auth, operator }));

  let started = false;
  const databases = [...new Set(infra.schemas.map((schema) => infra.dbFor(schema)))];
  const isReady = async () =>
    started && (await infra.transport.ping()) && (await Promise.all(databases.map((d) => d.ping()))).every(Boolean);
  const instance = thisInstance(services, infra.clock);
  const app = await createHttpApp({ log, metrics, isReady, instance, clock: infra.clock });
  for (const service of running) service.registerRoutes(app);
  // The operator's routes are answered where a service's manifest says `/admin/*` goes.
  if (operator && modules.some((s) => s.name === 'sagas')) {
    registerAdminRoutes(app, infra.transport, operator);
    registerDbSizesRoute(app, infra.db, operator);
    registerOperatorBusRoutes(app, infra, modules, operator);
    registerHealthRoute(app, infra, { modules, instance, isReady }, operator);
  }
  if (modules.length === SERVICES.length) registerWebApp(app, config.webDistDir);
  registerGauges(infra, running);
  const embedded = databases.filter((d) => d.kind === 'pglite');
  const pruner = new Pruner(retentionOf(infra, modules, running), {
    intervalMs: config.retention.intervalMs,
    batch: config.retention.batch,
    // An embedded database has no autovacuum: its dead rows are vacuumed here.
    ...(embedded.length > 0 && {
      vacuum: async () => {
        for (const d of embedded) await vacuumDeadRows(d);
      },
    }),
    onError: (err, table) => log.warn({ err, table }, 'retention pass failed'),
  });

  return {
    app,
    /** Joins this process's consumer groups and starts its timers and deadline checks. */
    async start() {
      for (const service of running) await service.start();
      pruner.start();
      started = true;
    },
    /** Applies every retention of this process once, now (it also runs every `RETENTION_INTERVAL_MS`). */
    prune: () => pruner.runOnce(),
    async stop() {
      started = false;
      await pruner.stop();
      for (const service of running) await service.stop();
      await app.close();
    },
  };
}

/**
 * What this process prunes: the inbox of each service it runs, the service's own tables, and the
 * transport's log where the transport keeps it in the database (the embedded bus).
 */
function retentionOf(infra: Infrastructure, modules: typeof SERVICES, running: readonly RunningService[]): PruneTask[] {
  const { inboxMs } = infra.config.retention;
  return [
    ...(infra.transport.retention ? [infra.transport.retention] : []),
    ...modules.map((s) => inboxRetention(infra.dbFor(s.schema), s.schema, inboxMs)),
    ...running.flatMap((s) => s.retention?.() ?? []),
  ];
}
