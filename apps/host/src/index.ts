export { registerAdminRoutes } from './admin-routes.ts';
export { type Infrastructure, openInfrastructure, type SchemaName, type SystemOptions } from './infrastructure.ts';
export { operatorHook } from './operator-token.ts';
export { buildPlatform } from './platform.ts';
export { PLATFORM_SERVICES, type PlatformService, SERVICES } from './services.ts';
export { registerWebApp } from './web.ts';
