import { buildPlatform, openInfrastructure, type SystemOptions } from '@campusg/host';
import type { Transport } from '@campusg/messaging';
import { loadConfig, type Sql } from '@campusg/platform';
import { ApiClient } from './client.ts';
import { e2eBus, isolatedDeployment } from './environment.ts';
import type { PlatformProcess } from './process.ts';
import { sharedTopology, startTopology, stopSharedTopology } from './topology.ts';

export interface TestSystem {
  /** Where the API answers (the one process, or the gateway). */
  url: string;
  /** What the invariant checks read: the deployment's database and its bus. */
  infra: { db: Sql; transport: Transport };
  /** The one-process platform itself (absent when the deployment runs as separate processes). */
  platform?: { infra: Awaited<ReturnType<typeof openInfrastructure>> };
  /** The processes of a multi-process deployment. */
  processes?: { service: string; process: PlatformProcess }[];
  client(): ApiClient;
  close(): Promise<void>;
}

/**
 * The real one-process platform (every service, the embedded bus, PGlite in memory unless a
 * data dir is given) listening on an ephemeral loopback port. No part of it is mocked.
 */
export async function startSystem(
  env: Record<string, string> = {},
  options: SystemOptions = {},
  /** Which deployment, whatever `CAMPUSG_E2E_BUS` says (the Kafka interoperability tests ask for `kafka`). */
  bus: typeof e2eBus = e2eBus,
): Promise<TestSystem> {
  if (bus === 'topology') {
    await stopSharedTopology();
    return startTopology(env);
  }
  const deployment = await isolatedDeployment(bus);
  const config = loadConfig({
    ...deployment.env,
    AUTH_SECRET: 'test-secret-test-secret-test-secret-0123',
    LOG_LEVEL: 'silent',
    PORT: '0',
    BUS_RETRY_BASE_MS: '20',
    ...env,
  });
  const infra = await openInfrastructure(config, { inMemory: !env.CAMPUSG_DATA_DIR, ...options });
  const platform = await buildPlatform(infra);
  await platform.start();
  const url = await platform.app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    infra,
    platform: { infra },
    client: () => new ApiClient(url),
    async close() {
      await platform.stop();
      await infra.close();
      await deployment.drop();
    },
  };
}

/**
 * A deployment with the default settings for a file whose tests hold whatever other files did
 * before them: each test makes its own users and orders, and checks only those. On the production
 * topology the files of a worker share one (`sharedTopology`); anywhere else it is `startSystem()`.
 */
export function startSharedSystem(): Promise<TestSystem> {
  return e2eBus === 'topology' ? sharedTopology() : startSystem();
}
