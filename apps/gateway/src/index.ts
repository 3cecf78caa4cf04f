export { buildPlatform, PLATFORM_SERVICES, type PlatformService } from './app.ts';
export { buildGateway, ROUTES } from './gateway.ts';
export { type Infrastructure, openInfrastructure, SERVICE_SCHEMAS, type SystemOptions } from './system.ts';
