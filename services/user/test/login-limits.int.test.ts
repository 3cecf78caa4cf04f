import { type Infrastructure, openInfrastructure } from '@campusg/host';
import { type App, createHttpApp, type Db, loadConfig, Metrics, requireUser } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../../test/support/environment.ts';
import { userService } from '../src/index.ts';
import { loginAttemptsRetention } from '../src/login-limits.ts';

/**
 * The sign-in limits hold for the deployment, not per instance: two user services on one database
 * count the same failures, so spreading attempts over instances buys nothing. On the embedded
 * database (two apps on one PGlite) and, with `DATABASE_URL`, on PostgreSQL (two processes' worth
 * of infrastructure, each with its own connection pool).
 */
const LIMIT = 4;
const PASSWORD = 'correct horse';
const url = process.env.DATABASE_URL;

interface TwoInstances {
  apps: [App, App];
  db: Db;
  close(): Promise<void>;
}

const settings = (env: Record<string, string> = {}) =>
  loadConfig({ AUTH_SECRET: 'limits-secret-limits-secret-limits-0123', LOG_LEVEL: 'silent', LOGIN_RATE_LIMIT: String(LIMIT), ...env });

/** An app with the user service's routes, as a host builds it for a process that runs that service. */
async function userApp(infra: Infrastructure): Promise<App> {
  const deps = infra.depsFor(userService.schema);
  const app = await createHttpApp({ log: infra.log, metrics: new Metrics(), isReady: async () => true });
  userService.open({ deps, auth: requireUser(userService.authenticator!(deps)), operator: undefined }).registerRoutes(app);
  await app.ready();
  return app;
}

const deployments: [string, () => Promise<TwoInstances>][] = [
  [
    'embedded: two apps on one PGlite',
    async () => {
      const infra = await openInfrastructure(settings(), { inMemory: true, schemas: ['users'] });
      const apps: [App, App] = [await userApp(infra), await userApp(infra)];
      return {
        apps,
        db: infra.db,
        async close() {
          await Promise.all(apps.map((a) => a.close()));
          await infra.close();
        },
      };
    },
  ],
];
if (url) {
  deployments.push([
    'PostgreSQL: two instances, each with its own pool',
    async () => {
      const fresh = await freshDatabase(url);
      const infras = [
        await openInfrastructure(settings({ DATABASE_URL: fresh.url }), { schemas: ['users'] }),
        await openInfrastructure(settings({ DATABASE_URL: fresh.url }), { schemas: ['users'] }),
      ];
      const apps: [App, App] = [await userApp(infras[0]!), await userApp(infras[1]!)];
      return {
        apps,
        db: infras[0]!.db,
        async close() {
          await Promise.all(apps.map((a) => a.close()));
          for (const infra of infras) await infra.close();
          await fresh.drop();
        },
      };
    },
  ]);
}

describe.each(deployments)('sign-in limits across instances (%s)', (_name, start) => {
  let two: TwoInstances;
  beforeAll(async () => {
    two = await start();
  });
  afterAll(() => two?.close());

  let seq = 0;
  const login = (app: App, email: string, password: string, address: string) =>
    app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password }, remoteAddress: address });
  const register = async (app: App) => {
    const email = `limits.${process.pid}.${++seq}.${Date.now()}@smu.edu.sg`;
    const res = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email, password: PASSWORD, name: 'Lim' } });
    expect(res.statusCode, res.body).toBe(201);
    return email;
  };

  it('failures spread over both instances count against one per-email limit', async () => {
    const [a, b] = two.apps;
    const email = await register(a);
    for (let i = 0; i < LIMIT; i++) {
      const res = await login(i % 2 === 0 ? a : b, email, `wrong password ${i}`, '10.0.0.1');
      expect(res.statusCode, res.body).toBe(401);
    }
    // Each instance saw only half of the failures; both refuse now, even the right password.
    for (const app of [a, b]) {
      const limited = await login(app, email, PASSWORD, '10.0.0.2');
      expect(limited.statusCode, limited.body).toBe(429);
      expect(limited.json().code).toBe('RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    }
  });

  it('a success on one instance clears the email for the other', async () => {
    const [a, b] = two.apps;
    const email = await register(a);
    for (let i = 0; i < LIMIT - 1; i++) expect((await login(a, email, 'wrong password', '10.0.1.1')).statusCode).toBe(401);
    expect((await login(b, email, PASSWORD, '10.0.1.1')).statusCode).toBe(200);
    // The count started again: one more failure on the first instance is the first, not the last.
    expect((await login(a, email, 'wrong password', '10.0.1.1')).statusCode).toBe(401);
    expect((await login(a, email, PASSWORD, '10.0.1.1')).statusCode).toBe(200);
  });

  it('the per-address limit is shared too', async () => {
    const [a, b] = two.apps;
    const address = '10.0.2.1';
    let limited: number | undefined;
    for (let i = 0; i < LIMIT * 5 + 1 && limited === undefined; i++) {
      const res = await login(i % 2 === 0 ? a : b, `spray.${i}.${Date.now()}@smu.edu.sg`, 'wrong password', address);
      if (res.statusCode === 429) limited = i;
      else expect(res.statusCode).toBe(401);
    }
    expect(limited).toBe(LIMIT * 5);
    const victim = await register(b);
    expect((await login(a, victim, PASSWORD, address)).statusCode).toBe(429);
    expect((await login(b, victim, PASSWORD, '10.0.2.2')).statusCode).toBe(200);
  });

  it('counters past their window are pruned, and only those', async () => {
    const count = async () => (await two.db.query<{ n: number }>('select count(*)::int as n from users.login_attempts'))[0]!.n;
    expect(await count()).toBeGreaterThan(0);
    const now = Date.now();
    expect(await loginAttemptsRetention(two.db, { now: () => new Date(now) }).prune(500)).toBe(0);
    const later = loginAttemptsRetention(two.db, { now: () => new Date(now + 16 * 60_000) });
    expect(await later.prune(500)).toBeGreaterThan(0);
    expect(await count()).toBe(0);
  });
});
