export * from './definition.ts';
export * from './engine.ts';
export * from './orchestrator.ts';
export * from './state.ts';
export * from './store.ts';
