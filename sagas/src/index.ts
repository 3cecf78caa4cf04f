import { messagingTablesSql } from '@campusg/messaging';
import type { Migration } from '@campusg/platform';
import { sagaStoreMigrations } from '@campusg/saga';

export * from './accept-order.ts';
export * from './cancel-order.ts';
export * from './complete-order.ts';
export * from './create-order.ts';
export { createOrchestrators, type SagaOrchestrators, startOrchestrators, stopOrchestrators } from './orchestrators.ts';
export { type OrderLookup, registerSagaRoutes } from './saga-routes.ts';

export const SAGA_SCHEMA = 'sagas';

export function sagaMigrations(): Migration[] {
  return [
    { id: '000_messaging', sql: messagingTablesSql(SAGA_SCHEMA) },
    ...sagaStoreMigrations(),
  ];
}
