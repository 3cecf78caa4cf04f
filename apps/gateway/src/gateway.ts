import replyFrom from '@fastify/reply-from';
import {
  AppError,
  type AuthUser,
  createHttpApp,
  type Config,
  IDENTITY_HEADER,
  IDENTITY_SIGNATURE_HEADER,
  type Logger,
  type Metrics,
  signIdentity,
  tokenOf,
} from '@campusg/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { registerWebApp } from './web.ts';

type Upstream = 'user' | 'order' | 'sagas' | 'payment' | 'notification';

/** Which service answers a request (the same routes the one-process mode mounts directly). */
export function routeOf(method: string, path: string): Upstream | undefined {
  const p = path.split('?')[0]!;
  if (p.startsWith('/api/auth/') || p === '/api/me' || p.startsWith('/api/me/')) return 'user';
  if (p === '/api/wallet' || /^\/api\/orders\/[^/]+\/payment$/.test(p)) return 'payment';
  if (p === '/api/stream' || p.startsWith('/api/notifications') || /^\/api\/orders\/[^/]+\/timeline$/.test(p)) return 'notification';
  if (p.startsWith('/api/sagas/')) return 'sagas';
  if (p === '/api/orders' && method === 'POST') return 'sagas';
  if (/^\/api\/orders\/[^/]+\/(accept|complete|cancel)$/.test(p)) return 'sagas';
  if (p === '/api/orders' || p.startsWith('/api/orders/')) return 'order';
  return undefined;
}

const PUBLIC = new Set(['/api/auth/register', '/api/auth/login']);

/** Round-robin over the instances of each service (`<SERVICE>_SERVICE_URLS`). */
export type Upstreams = Record<Upstream, string[]>;

/**
 * The gateway of the production topology: serves the web app, authenticates each `/api` request
 * (asking the user service, which holds the sessions), and forwards it to the service that owns
 * the route with the caller's identity signed for the service to trust.
 */
export async function buildGateway(deps: { config: Readonly<Config>; log: Logger; metrics: Metrics; upstreams: Upstreams }) {
  const { config, upstreams } = deps;
  const next = new Map<Upstream, number>();
  const pick = (u: Upstream) => {
    const list = upstreams[u];
    if (list.length === 0) throw new AppError('NOT_READY', `no ${u} service is configured`);
    const i = (next.get(u) ?? 0) % list.length;
    next.set(u, i + 1);
    return list[i]!;
  };

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

  const isReady = async () => {
    const checks = Object.values(upstreams).flat().map((u) => fetch(`${u}/ready`).then((r) => r.ok, () => false));
    return (await Promise.all(checks)).every(Boolean);
  };
  const app = await createHttpApp({ log: deps.log, metrics: deps.metrics, isReady, title: 'CampusG API (gateway)' });
  await app.register(replyFrom, { undici: { headersTimeout: 0, bodyTimeout: 0 } });

  const forward = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0]!;
    const upstream = routeOf(req.method, path);
    if (!upstream) throw new AppError('NOT_FOUND', `no route ${req.method} ${path}`);
    const identity = PUBLIC.has(path) ? {} : signIdentity(await authenticate(req), config.authSecret);
    return reply.from(`${pick(upstream)}${req.url}`, {
      // Whatever identity headers the client sent are dropped: only the gateway's own go through.
      rewriteRequestHeaders: (_req, headers) => {
        const { [IDENTITY_HEADER]: _user, [IDENTITY_SIGNATURE_HEADER]: _signature, ...rest } = headers;
        return { ...rest, ...identity };
      },
    });
  };
  app.all('/api/orders', { schema: { hide: true } }, forward);
  app.all('/api/orders/*', { schema: { hide: true } }, forward);
  for (const prefix of ['/api/auth/*', '/api/me', '/api/me/*', '/api/wallet', '/api/sagas/*', '/api/notifications', '/api/notifications/*', '/api/stream']) {
    app.all(prefix, { schema: { hide: true } }, forward);
  }
  registerWebApp(app, config.webDistDir);
  return app;
}
