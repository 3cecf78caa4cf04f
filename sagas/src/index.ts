import { messagingTablesSql } from '@campusg/messaging';
import { orderViewTableSql } from '@campusg/order-view';
import type { Migration } from '@campusg/platform';
import { sagaStoreMigrations } from '@campusg/saga';

export * from './accept-order.ts';
export * from './cancel-order.ts';
export * from './complete-order.ts';
export * from './create-order.ts';
export { createOrchestrators, type SagaOrchestrators, startOrchestrators, stopOrchestrators } from './orchestrators.ts';
export { registerSagaRoutes } from './saga-routes.ts';

export const SAGA_SCHEMA = 'sagas';

export function sagaMigrations(): Migration[] {
  return [
    { id: '000_messaging', sql: messagingTablesSql(SAGA_SCHEMA) },
    { id: '000_order_view', sql: orderViewTableSql(SAGA_SCHEMA) },
    ...sagaStoreMigrations(),
  ];
}
