export * from './clock.ts';
export * from './config.ts';
export * from './db.ts';
export * from './errors.ts';
export * from './logger.ts';
export * from './metrics.ts';
export * from './migrate.ts';
