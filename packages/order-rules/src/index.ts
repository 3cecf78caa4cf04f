export * from './order-actions.ts';
export * from './order-transitions.ts';
