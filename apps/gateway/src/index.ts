export { buildGateway } from './gateway.ts';
export { type GatewayRoute, routeTable } from './route-table.ts';
