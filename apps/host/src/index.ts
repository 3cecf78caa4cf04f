export { operatorHook, registerAdminRoutes } from './admin-routes.ts';
export { type Infrastructure, openInfrastructure, type SchemaName, type SystemOptions } from './infrastructure.ts';
export { buildPlatform } from './platform.ts';
export { PLATFORM_SERVICES, type PlatformService, SERVICES } from './services.ts';
export { registerWebApp } from './web.ts';
