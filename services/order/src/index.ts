import path from 'node:path';
import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import { messagingTablesSql, type ServiceDeps } from '@campusg/messaging';
import { loadMigrations, type Migration, type Sql } from '@campusg/platform';
import { type OrderRow, toOrderView } from './order.ts';
import { orderHandlers } from './order-handlers.ts';
import { orderRepository } from './order-repository.ts';

export { registerOrderRoutes } from './order-routes.ts';
export { canView, toOrderView } from './order.ts';
export type { OrderRow };

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

/** Reads an order as other modules of the same process need it (access checks, live updates). */
export const orderReader = {
  find: (db: Sql, id: string): Promise<OrderRow | undefined> => orderRepository.find(db, id),
  view: async (db: Sql, id: string) => {
    const row = await orderRepository.find(db, id);
    return row ? toOrderView(row) : undefined;
  },
};
