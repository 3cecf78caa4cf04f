#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runLoad } from '@campusg/journeys';
import { ConfigError, loadConfig } from '@campusg/platform';
import { operatorCommand } from './operator.ts';
import { start } from './start.ts';

const USAGE = `campusg — the CampusG platform

usage:
  campusg start                      every service, the orchestrators and the web app in this process
  campusg start <service>…           only these services (order, user, payment, timer, notification,
                                     analytics, sagas), behind a gateway; several processes may run one service
  campusg start gateway              the gateway: the web app, authentication, /api routed to the
                                     services named by <SERVICE>_SERVICE_URLS
  campusg saga list [--status S] [--type T] [--limit N]
  campusg saga show <id>             a saga's history and what it is waiting for
  campusg saga retry <id>            resume a FAILED saga (its step, or its remaining compensation)
  campusg dlq list <topic>           dead letters of a topic, with the reason
  campusg dlq replay <topic> [--id <message_id>]
  campusg lag                        consumer lag per group
  campusg db sizes [--estimate]      rows and bytes of every table (--estimate: planner statistics, no count)
  campusg group reset <group> [--to-earliest | --to-time T]
                                     rewind a consumer group (embedded log and Kafka; RabbitMQ
                                     keeps no history) so a read model is rebuilt from the log
  campusg load [--rate 10] [--duration 60] [--timeouts]
                                     the load generator: open-loop user journeys against CAMPUSG_URL
  campusg help                       this text

Operator commands talk to the running platform at CAMPUSG_URL (default http://127.0.0.1:$PORT)
with ADMIN_TOKEN (in the embedded mode it is read from ./data/admin-token); add --json for JSON.

Settings come from the environment (see the README's configuration table).`;

async function main(argv: string[]): Promise<void> {
  // An optional .env in the working directory; variables already set win.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const [command, ...args] = argv;
  switch (command) {
    case 'start':
      return start(loadConfig(process.env, args));
    case 'saga':
    case 'dlq':
    case 'lag':
    case 'db':
    case 'group':
      process.exitCode = await operatorCommand(argv, process.env, (text) => process.stdout.write(`${text}\n`));
      return;
    case 'load': {
      const { values } = parseArgs({
        args,
        options: {
          rate: { type: 'string', default: '10' },
          duration: { type: 'string', default: '60' },
          timeouts: { type: 'boolean', default: false },
        },
      });
      const url = (process.env.CAMPUSG_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/$/, '');
      const report = await runLoad({ url, rate: Number(values.rate), durationS: Number(values.duration), withTimeouts: values.timeouts });
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      process.exitCode = report.failures.length === 0 ? 0 : 1;
      return;
    }
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
  if (
    err instanceof ConfigError ||
    (err instanceof Error && /^(unknown command|no operator token|cannot reach|GET |POST )/.test(err.message))
  ) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
