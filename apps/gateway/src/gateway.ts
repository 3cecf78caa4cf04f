import { SERVICES } from '@campusg/host/services';
import { registerWebApp } from '@campusg/host/web';
import {
  AppError,
  type AuthUser,
  type Clock,
  type Config,
  createHttpApp,
  IDENTITY_HEADER,
  IDENTITY_SIGNATURE_HEADER,
  type Logger,
  Metrics,
  sendProblem,
  signIdentity,
  systemClock,
  thisInstance,
  tokenOf,
} from '@campusg/platform';
import replyFrom from '@fastify/reply-from';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { registerDeploymentHealth } from './deployment-health.ts';
import { type GatewayRoute, routeTable } from './route-table.ts';

type Upstream = keyof Config['upstreams'];

/**
 * The gateway of the production topology: serves the web app, authenticates each `/api` request
 * (asking the user service, which holds the sessions), and forwards it verbatim to the service that
 * owns the route, with the caller's identity signed for that service to trust. Its /metrics and
 * OpenAPI document cover the whole deployment.
 */
export async function buildGateway(deps: { config: Readonly<Config>; log: Logger; metrics: Metrics; clock?: Clock }) {
  const { config } = deps;
  const clock = deps.clock ?? systemClock;
  const upstreams = config.upstreams;
  const next = new Map<Upstream, number>();
  const pick = (u: Upstream) => {
    const list = upstreams[u];
    if (list.length === 0) throw new AppError('NOT_READY', `no ${u} service is configured`);
    const i = (next.get(u) ?? 0) % list.length;
    next.set(u, i + 1);
    return list[i]!;
  };
  const everyInstance = () => [...new Set(Object.values(upstreams).flat())];

  const authenticate = async (req: FastifyRequest): Promise<AuthUser> => {
    const token = tokenOf(req);
    if (!token) throw new AppError('UNAUTHENTICATED', 'sign in first: send a Bearer token or the session cookie');
    const res = await fetch(`${pick('user')}/internal/authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    }).catch(() => undefined);
    if (!res) throw new AppError('NOT_READY', 'the user service is not reachable');
    if (res.status === 401) throw new AppError('UNAUTHENTICATED', 'the token is invalid, expired or revoked');
    if (!res.ok) throw new AppError('NOT_READY', 'the user service could not check the token');
    return ((await res.json()) as { user: AuthUser }).user;
  };

  const app = await createHttpApp({
    log: deps.log,
    metrics: deps.metrics,
    title: 'CampusG API',
    instance: thisInstance(['gateway'], clock),
    clock,
    isReady: async () =>
      (
        await Promise.all(
          everyInstance().map((u) =>
            fetch(`${u}/ready`).then(
              (r) => r.ok,
              () => false,
            ),
          ),
        )
      ).every(Boolean),
    openapi: () =>
      mergedOpenApi(
        Object.values(upstreams)
          .map((list) => list[0])
          .filter((u): u is string => Boolean(u)),
      ),
    // One scrape for the whole deployment: this gateway's metrics plus every instance's, combined.
    metricsText: async () => {
      const parts = await Promise.all(
        everyInstance().map((u) =>
          fetch(`${u}/metrics.json`).then(
            (r) => (r.ok ? r.json() : []),
            () => [],
          ),
        ),
      );
      return Metrics.aggregate([await deps.metrics.json(), ...(parts as Awaited<ReturnType<Metrics['json']>>[])]);
    },
  });
  // Bodies pass through untouched: the owning service parses and validates them.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, body));
  await app.register(replyFrom, { undici: { headersTimeout: 0, bodyTimeout: 0 } });

  const forward = (route: GatewayRoute) => async (req: FastifyRequest, reply: FastifyReply) => {
    const identity = route.public ? {} : signIdentity(await authenticate(req), config.authSecret);
    const raw = Buffer.isBuffer(req.body) ? { body: req.body, contentType: req.headers['content-type'] ?? 'application/octet-stream' } : {};
    return reply.from(`${pick(route.upstream)}${req.url}`, {
      ...raw,
      onError: (rep, { error }) => {
        req.log.warn({ err: error, upstream: route.upstream }, 'upstream unreachable');
        void sendProblem(rep as FastifyReply, 503, 'NOT_READY', `the ${route.upstream} service is not reachable; try again shortly`);
      },
      // Whatever identity headers the client sent are dropped: only the gateway's own go through.
      rewriteRequestHeaders: (_req, headers) => {
        const { [IDENTITY_HEADER]: _user, [IDENTITY_SIGNATURE_HEADER]: _signature, ...rest } = headers;
        return { ...rest, ...identity };
      },
    });
  };
  // Operator routes: the service that declares them answers and checks the operator token itself.
  const operator = (route: GatewayRoute) => (req: FastifyRequest, reply: FastifyReply) => {
    const raw = Buffer.isBuffer(req.body) ? { body: req.body, contentType: req.headers['content-type'] ?? 'application/octet-stream' } : {};
    return reply.from(`${pick(route.upstream)}${req.url}`, raw);
  };
  // The operator's health report is the gateway's own: it knows every instance (the rest of /admin is forwarded).
  registerDeploymentHealth(app, { upstreams, adminToken: config.adminToken, clock });
  for (const route of routeTable(SERVICES, Object.keys(upstreams) as Upstream[])) {
    app.route({ method: route.method, url: route.url, schema: { hide: true }, handler: route.operator ? operator(route) : forward(route) });
  }

  registerWebApp(app, config.webDistDir);
  return app;
}

/** The API document of the deployment: every service's paths in one OpenAPI document. */
async function mergedOpenApi(instances: string[]): Promise<Record<string, unknown>> {
  const docs = await Promise.all(
    instances.map((u) =>
      fetch(`${u}/api/openapi.json`).then(
        (r) => (r.ok ? r.json() : null),
        () => null,
      ),
    ),
  );
  const merged: { openapi: string; info: unknown; paths: Record<string, unknown>; components: Record<string, Record<string, unknown>> } = {
    openapi: '3.0.3',
    info: { title: 'CampusG API', version: '1.0.0' },
    paths: {},
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
  for (const doc of docs as ({ paths?: Record<string, unknown>; components?: Record<string, Record<string, unknown>> } | null)[]) {
    if (!doc) continue;
    Object.assign(merged.paths, doc.paths);
    for (const [k, v] of Object.entries((doc.components ?? {}) as Record<string, Record<string, unknown>>)) {
      merged.components[k] = { ...merged.components[k], ...v };
    }
  }
  return merged;
}
