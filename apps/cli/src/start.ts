import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildPlatform, openInfrastructure, PLATFORM_SERVICES, type PlatformService, SERVICES } from '@campusg/host';
import { type Config, createLogger, Metrics } from '@campusg/platform';

/**
 * `campusg start [service…]`: every service in this process (the default, with the web app), the
 * gateway alone, or a set of services behind a gateway. Runs until SIGINT/SIGTERM, then drains.
 */
export async function start(config: Readonly<Config>): Promise<void> {
  const startedAt = performance.now();
  const gatewayOnly = config.services.length === 1 && config.services[0] === 'gateway';
  const services = config.services.filter((s): s is PlatformService => s !== 'gateway');
  const log = createLogger({ level: config.logLevel, name: 'campusg' });

  let app: { listen(o: { port: number; host: string }): Promise<string>; close(): Promise<void> };
  let shutdown: () => Promise<void>;
  if (gatewayOnly) {
    // Loaded only here: the proxy and its HTTP client are a tenth of a service process's start.
    const { buildGateway } = await import('@campusg/gateway');
    const gateway = await buildGateway({ config, log, metrics: new Metrics() });
    app = gateway;
    shutdown = () => gateway.close();
  } else {
    const schemas = SERVICES.filter((s) => services.includes(s.name)).map((s) => s.schema);
    const infra = await openInfrastructure(config, { schemas });
    const platform = await buildPlatform(infra, services);
    await platform.start();
    app = platform.app;
    shutdown = async () => {
      await platform.stop();
      await infra.close();
    };
  }
  const url = await app.listen({ port: config.port, host: config.host });
  const what = gatewayOnly ? 'gateway' : services.length === PLATFORM_SERVICES.length ? 'every service' : services.join(', ');
  log.info({ url, ms: Math.round(performance.now() - startedAt), bus: config.bus, services: what }, 'CampusG is ready');
  process.stdout.write(
    `CampusG (${what}) is running at ${url}${gatewayOnly || services.length === PLATFORM_SERVICES.length ? ` (API docs: ${url}/api/docs)` : ''}\n`,
  );
  if (!gatewayOnly && services.length === PLATFORM_SERVICES.length) process.stdout.write(`${consoleHint(config, url)}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: draining in-flight work');
    const force = setTimeout(() => process.exit(1), 15_000).unref();
    try {
      await shutdown();
    } finally {
      clearTimeout(force);
      process.exit(0);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

/** Where the operator console is and how to find its token (never the token itself: logs are shared). */
function consoleHint(config: Readonly<Config>, url: string): string {
  const file = path.join(config.dataDir, 'admin-token');
  if (!config.adminToken) return `Operator console: ${url}/console (disabled: set ADMIN_TOKEN to enable it)`;
  return existsSync(file) && readFileSync(file, 'utf8').trim() === config.adminToken
    ? `Operator console: ${url}/console (token: cat ${readable(file)})`
    : `Operator console: ${url}/console (token: the ADMIN_TOKEN you set)`;
}

/** A path relative to the working directory when it is inside it, else absolute. */
function readable(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
