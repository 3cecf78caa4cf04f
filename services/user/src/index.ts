import path from 'node:path';
import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import { messagingTablesSql, type ServiceDeps } from '@campusg/messaging';
import { loadMigrations, type Migration } from '@campusg/platform';
import { userHandlers } from './user-handlers.ts';

export { registerUserRoutes } from './user-routes.ts';
export { authenticateToken, TokenService } from './user-tokens.ts';

export const USER_SCHEMA = 'users';

export function userMigrations(): Migration[] {
  return [
    { id: '000_messaging', sql: messagingTablesSql(USER_SCHEMA) },
    ...loadMigrations(path.join(import.meta.dirname, '..', 'migrations')),
  ];
}

export async function startUserService(deps: ServiceDeps): Promise<void> {
  await deps.bus.consume(GROUPS.user, GROUP_TOPICS[GROUPS.user], userHandlers);
}
