/**
 * The saga engine without I/O: definitions, `decide()` and the instance's state. Workflow code
 * (Temporal's sandbox) imports this entry point, which pulls in no database, bus or Node API.
 */
export type * from './definition.ts';
export * from './engine.ts';
export * from './state.ts';
