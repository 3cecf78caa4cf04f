export * from './codec.ts';
export * from './envelope.ts';
export * from './http/index.ts';
export * from './messages.ts';
export * from './topics.ts';
