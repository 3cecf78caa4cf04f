import path from 'node:path';
import { loadMigrations, type Migration } from '@campusg/platform';

export * from './admission.ts';
export * from './definition.ts';
export * from './effects.ts';
export * from './engine.ts';
export * from './history-retention.ts';
export * from './orchestrator.ts';
export * from './runner.ts';
export * from './state.ts';
export * from './state-cache.ts';
export * from './store.ts';

/** The tables of saga instances, their history and Idempotency-Keys (schema `sagas`). */
export const sagaStoreMigrations = (): Migration[] => loadMigrations(path.join(import.meta.dirname, '..', 'migrations'));
