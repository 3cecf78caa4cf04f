import path from 'node:path';
import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import { type ServiceDeps, type ServiceModule, serviceMigrations } from '@campusg/messaging';
import { loadMigrations, type Migration } from '@campusg/platform';
import { loginAttemptsRetention } from './login-limits.ts';
import { registerProfileRoutes } from './profile-routes.ts';
import { userHandlers } from './user-handlers.ts';
import { registerUserRoutes } from './user-routes.ts';
import { authenticateToken, TokenService } from './user-tokens.ts';

export { registerUserRoutes } from './user-routes.ts';
export { authenticateToken, TokenService } from './user-tokens.ts';

export const USER_SCHEMA = 'users';

export function userMigrations(): Migration[] {
  return serviceMigrations(USER_SCHEMA, loadMigrations(path.join(import.meta.dirname, '..', 'migrations')));
}

const tokensFor = (deps: ServiceDeps) => new TokenService(deps.config.authSecret, deps.config.authTokenTtlS, deps.clock, deps.ids);

/** The user service: accounts, sessions and cards. It holds the sessions, so it checks tokens itself. */
export const userService: ServiceModule = {
  name: 'user',
  schema: USER_SCHEMA,
  source: 'user-service',
  migrations: userMigrations,
  manifest: [
    { method: 'POST', url: '/api/auth/register', public: true },
    { method: 'POST', url: '/api/auth/login', public: true },
    { method: 'POST', url: '/api/auth/logout' },
    { method: 'GET', url: '/api/me' },
    { method: 'PUT', url: '/api/me/card' },
    { method: 'DELETE', url: '/api/me/card' },
    { method: 'POST', url: '/api/me/runner' },
    { method: 'PATCH', url: '/api/me' },
    { method: ['GET', 'PUT'], url: '/api/me/payout-account' },
  ],
  authenticator: (deps) => {
    const tokens = tokensFor(deps);
    return (token) => authenticateToken(deps.db, tokens, token);
  },
  open: ({ deps, auth }) => ({
    registerRoutes: (app) => {
      registerUserRoutes(app, deps, auth, tokensFor(deps));
      registerProfileRoutes(app, deps, auth);
    },
    start: async () => void (await deps.bus.consume(GROUPS.user, GROUP_TOPICS[GROUPS.user], userHandlers)),
    stop: async () => {},
    retention: () => [loginAttemptsRetention(deps.db, deps.clock)],
  }),
};
