/** Schemas and types of every HTTP body, query and response (docs/http-api.md). */
export * from './auth.ts';
export * from './card.ts';
export * from './common.ts';
export * from './notifications.ts';
export * from './operator.ts';
export * from './orders.ts';
export * from './problem.ts';
export * from './profile.ts';
export * from './saga-view.ts';
export * from './timeline.ts';
export * from './wallet.ts';
