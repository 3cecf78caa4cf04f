export * from './accept-order.ts';
export * from './cancel-order.ts';
export * from './complete-order.ts';
export * from './create-order.ts';
