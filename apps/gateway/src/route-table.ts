import type { RouteSpec, ServiceModule } from '@campusg/messaging';
import type { Config } from '@campusg/platform';

type Upstream = keyof Config['upstreams'];

/** One route the gateway forwards, and the service (`<SERVICE>_SERVICE_URLS`) it goes to. */
export interface GatewayRoute extends RouteSpec {
  upstream: Upstream;
}

/**
 * The gateway's route table, generated from the services' manifests: every route a service lists
 * goes to that service's instances. A service with routes and no upstream setting is a mistake in
 * the platform's own wiring, so it fails the gateway's start.
 */
export function routeTable(services: readonly ServiceModule[], upstreams: readonly Upstream[]): GatewayRoute[] {
  return services.flatMap((service) =>
    service.manifest.map((route) => {
      const upstream = upstreams.find((u) => u === service.name);
      if (!upstream) throw new Error(`the gateway has no upstream setting for the ${service.name} service's routes`);
      return { ...route, upstream };
    }),
  );
}
