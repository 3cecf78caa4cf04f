import { buildPlatform, openInfrastructure } from '@campusg/gateway';
import type { Config } from '@campusg/platform';

/** `campusg start`: the whole platform in this process, until SIGINT/SIGTERM, then a clean drain. */
export async function start(config: Readonly<Config>): Promise<void> {
  const startedAt = performance.now();
  const infra = await openInfrastructure(config);
  const platform = await buildPlatform(infra);
  await platform.start();
  const address = await platform.app.listen({ port: config.port, host: config.host });
  const url = address.replace('://127.0.0.1', '://127.0.0.1');
  infra.log.info({ url, ms: Math.round(performance.now() - startedAt), bus: config.bus }, 'CampusG is ready');
  process.stdout.write(`CampusG is running at ${url} (API docs: ${url}/api/docs)\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    infra.log.info({ signal }, 'stopping: draining in-flight work');
    const force = setTimeout(() => process.exit(1), 15_000).unref();
    try {
      await platform.stop();
      await infra.close();
    } finally {
      clearTimeout(force);
      process.exit(0);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
