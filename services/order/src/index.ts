import path from 'node:path';
import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import { type ServiceModule, serviceMigrations } from '@campusg/messaging';
import { loadMigrations, type Migration } from '@campusg/platform';
import { orderHandlers } from './order-handlers.ts';
import { registerOrderRoutes } from './order-routes.ts';

export { toOrderView } from './order.ts';
export { registerOrderRoutes } from './order-routes.ts';

export const ORDER_SCHEMA = 'orders';

export function orderMigrations(): Migration[] {
  return serviceMigrations(ORDER_SCHEMA, loadMigrations(path.join(import.meta.dirname, '..', 'migrations')));
}

/** The order service: owns orders; answers the order commands and the order reads and progress steps. */
export const orderService: ServiceModule = {
  name: 'order',
  schema: ORDER_SCHEMA,
  source: 'order-service',
  migrations: orderMigrations,
  manifest: [
    { method: 'GET', url: '/api/orders' },
    { method: 'GET', url: '/api/orders/available' },
    { method: 'GET', url: '/api/orders/:id' },
    { method: 'POST', url: '/api/orders/:id/progress' },
    { method: 'POST', url: '/api/orders/:id/rating' },
  ],
  open: ({ deps, auth }) => ({
    registerRoutes: (app) => registerOrderRoutes(app, deps, auth),
    // Its consumer: create_order_commands, order_commands, and user_events for the people orders show.
    start: async () => {
      const handlers = orderHandlers({ acceptWindowMs: deps.config.orderAcceptTimeoutMs, oneAtATime: deps.db.kind === 'pglite' });
      await deps.bus.consume(GROUPS.order, GROUP_TOPICS[GROUPS.order], handlers);
    },
    stop: async () => {},
  }),
};
