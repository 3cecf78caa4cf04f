import path from 'node:path';
import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import { messagingTablesSql, type ServiceDeps } from '@campusg/messaging';
import { loadMigrations, type Migration } from '@campusg/platform';
import { orderHandlers } from './order-handlers.ts';

export { toOrderView } from './order.ts';
export { registerOrderRoutes } from './order-routes.ts';

export const ORDER_SCHEMA = 'orders';

export function orderMigrations(): Migration[] {
  return [
    { id: '000_messaging', sql: messagingTablesSql(ORDER_SCHEMA) },
    ...loadMigrations(path.join(import.meta.dirname, '..', 'migrations')),
  ];
}

/** Starts the order service's consumer: create_order_commands and order_commands. */
export async function startOrderService(deps: ServiceDeps): Promise<void> {
  await deps.bus.consume(GROUPS.order, GROUP_TOPICS[GROUPS.order], orderHandlers);
}
