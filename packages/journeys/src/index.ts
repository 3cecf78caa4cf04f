export * from './journeys.ts';
export * from './load.ts';
export * from './sample-order.ts';
export * from './schedule.ts';
export * from './steps.ts';
