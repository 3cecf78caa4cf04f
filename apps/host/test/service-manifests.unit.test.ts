import type { ServiceDeps } from '@campusg/messaging';
import { createHttpApp, loadConfig, Metrics, randomIds, systemClock } from '@campusg/platform';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SERVICES } from '../src/services.ts';

const config = loadConfig({ AUTH_SECRET: 'manifest-secret-manifest-secret-0123456', ADMIN_TOKEN: 'operator-token-operator-token-0123' });
const log = pino({ level: 'silent' });
// Registering routes touches no database and no bus: these stand in for them.
const deps = {
  config,
  db: {},
  bus: { transport: {} },
  clock: systemClock,
  ids: randomIds,
  log,
  metrics: new Metrics(),
} as unknown as ServiceDeps;
const allow = async () => {};

/** The routes a service really registers, as `METHOD url` lines. */
async function registeredRoutes(service: (typeof SERVICES)[number]): Promise<string[]> {
  const app = await createHttpApp({ log, metrics: new Metrics({ defaultMetrics: false }), isReady: async () => true });
  // Only the service's own routes: the app's (health, metrics, docs) are registered before the hook.
  const added: string[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) added.push(`${method} ${r.url}`);
  });
  service.open({ deps, auth: allow, operator: allow }).registerRoutes(app);
  await app.close();
  return added.filter((line) => !line.startsWith('HEAD '));
}

describe('service manifests', () => {
  it.each(SERVICES.map((s) => [s.name, s] as const))('%s lists exactly the /api routes it registers', async (_name, service) => {
    const registered = await registeredRoutes(service);
    const api = registered.filter((line) => line.split(' ')[1]!.startsWith('/api/')).sort();
    const listed = service.manifest
      .filter((r) => !r.operator)
      .flatMap((r) => [r.method].flat().map((m) => `${m} ${r.url}`))
      .sort();
    expect(api).toEqual(listed);
    // Operator routes are declared by the service that registers them.
    const admin = registered.some((line) => line.split(' ')[1]!.startsWith('/admin/'));
    expect(admin).toBe(service.manifest.some((r) => r.operator));
    // Anything else is internal: never forwarded by the gateway.
    for (const line of registered.filter((l) => !/^\w+ \/(api|admin)\//.test(l))) expect(line).toMatch(/^\w+ \/internal\//);
  });

  it('names every service once, each with a schema and a message source of its own', () => {
    expect(SERVICES.map((s) => s.name)).toEqual(['order', 'user', 'payment', 'timer', 'notification', 'analytics', 'sagas']);
    expect(new Set(SERVICES.map((s) => s.schema)).size).toBe(SERVICES.length);
    expect(new Set(SERVICES.map((s) => s.source)).size).toBe(SERVICES.length);
  });
});
