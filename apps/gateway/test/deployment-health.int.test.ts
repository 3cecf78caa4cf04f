import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, loadConfig, Metrics } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../src/gateway.ts';

/**
 * The gateway's health report when no sagas process answers (every upstream's port is closed): with
 * `ADMIN_TOKEN` of its own it still lists every instance, each down, and says what it cannot know;
 * without, it cannot check the token and says so.
 */

const TOKEN = 'gateway-health-token-gateway-0123';
let gone = '';

beforeAll(async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gone = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await new Promise((resolve) => server.close(resolve));
});

const gateway = (env: Record<string, string>) =>
  buildGateway({
    config: loadConfig({
      CAMPUSG_BUS: 'kafka',
      KAFKA_BROKERS: '127.0.0.1:1',
      AUTH_SECRET: 'gateway-health-secret-0123456789abcdef',
      CAMPUSG_SERVICES: 'gateway',
      SAGAS_SERVICE_URLS: gone,
      ORDER_SERVICE_URLS: `${gone},${gone}/second`,
      ...env,
    }),
    log: createLogger({ level: 'silent', name: 'gateway-test' }),
    metrics: new Metrics({ defaultMetrics: false }),
  });

describe('GET /admin/health on the gateway while no sagas process answers', () => {
  let app: Awaited<ReturnType<typeof gateway>>;
  beforeAll(async () => {
    app = await gateway({ ADMIN_TOKEN: TOKEN });
  });
  afterAll(() => app.close());

  it('lists every configured instance as down, with the bus and the lag unknown', async () => {
    const res = await app.inject({ method: 'GET', url: '/admin/health', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
    const health = res.json();
    expect(health).toMatchObject({ view: 'gateway', transport: null, databases: [] });
    expect(health.problem).toBe('no sagas instance answered (connection refused): the bus, the databases and the lag are unknown');
    const order = health.services.find((s: any) => s.name === 'order');
    expect(order).toMatchObject({ groups: ['order-service'], lag: null });
    expect(order.instances).toEqual(
      [gone, `${gone}/second`].map((url) => ({
        url,
        state: 'down',
        id: null,
        services: [],
        version: null,
        startedAt: null,
        uptimeSeconds: null,
        problem: 'connection refused',
      })),
    );
    // Services the gateway has no URL for are listed with no instances.
    expect(health.services.find((s: any) => s.name === 'timer').instances).toEqual([]);
  });

  it('refuses a caller without the operator token', async () => {
    const res = await app.inject({ method: 'GET', url: '/admin/health', headers: { authorization: 'Bearer nope' } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('without a token of its own, says it cannot check the caller’s', async () => {
    const bare = await gateway({});
    try {
      const res = await bare.inject({ method: 'GET', url: '/admin/health', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.statusCode).toBe(503);
      expect(res.json().detail).toBe(
        'no sagas instance answered (connection refused): the operator token is checked there (with ADMIN_TOKEN the gateway checks it too)',
      );
    } finally {
      await bare.close();
    }
  });
});
