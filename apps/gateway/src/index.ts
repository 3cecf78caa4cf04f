export { buildPlatform } from './app.ts';
export { type Infrastructure, openInfrastructure, SERVICE_SCHEMAS, type SystemOptions } from './system.ts';
