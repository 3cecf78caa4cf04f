export * from './accept-order.ts';
export * from './cancel-order.ts';
export * from './complete-order.ts';
export * from './create-order.ts';
export { createOrchestrators, type SagaOrchestrators, startOrchestrators, stopOrchestrators } from './orchestrators.ts';
export * from './release-order.ts';
export { registerSagaRoutes } from './saga-routes.ts';
export { SAGA_SCHEMA, sagaMigrations, sagasService } from './sagas-service.ts';
