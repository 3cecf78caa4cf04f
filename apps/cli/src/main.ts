#!/usr/bin/env node
import { ConfigError, loadConfig } from '@campusg/platform';
import { start } from './start.ts';

const USAGE = `campusg — the CampusG platform

usage:
  campusg start                      every service, the orchestrators and the web app in this process
  campusg start <service>…           only these services (order, user, payment, timer, notification,
                                     sagas), behind a gateway; several processes may run one service
  campusg start gateway              the gateway: the web app, authentication, /api routed to the
                                     services named by <SERVICE>_SERVICE_URLS
  campusg help                       this text

Settings come from the environment (see the README's configuration table).`;

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start':
      return start(loadConfig(process.env, args));
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}\n`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
