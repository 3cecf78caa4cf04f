import { execFileSync } from 'node:child_process';
import { describe, it } from 'vitest';

/**
 * Gate of the suites that need a real RabbitMQ broker (`AMQP_URL`). Without it they are reported as
 * skipped, with the reason in the describe name; with `CAMPUSG_REQUIRE_RABBITMQ=1` (CI) a missing
 * broker fails the run instead.
 */
export const amqpUrl = process.env.AMQP_URL ?? '';

export const requireRabbitMq = process.env.CAMPUSG_REQUIRE_RABBITMQ === '1';

export function describeWithRabbitMq(title: string, body: () => void): void {
  if (amqpUrl) {
    body();
    return;
  }
  const named = `${title} (AMQP_URL not set)`;
  if (requireRabbitMq) {
    describe(named, () => {
      it('has what it needs (CAMPUSG_REQUIRE_RABBITMQ=1)', () => {
        throw new Error(
          'CAMPUSG_REQUIRE_RABBITMQ=1 but AMQP_URL is not set: start RabbitMQ (`rabbitmq-server -detached`) and set ' +
            'AMQP_URL=amqp://guest:guest@127.0.0.1:5672',
        );
      });
    });
  } else {
    describe.skip(named, () => {
      it('skipped: needs a RabbitMQ broker', () => {});
    });
  }
}

/**
 * `rabbitmqctl` of the broker of `AMQP_URL`, when that broker runs on this machine and the tool is
 * installed (undefined otherwise): the tests use it to make the broker drop a connection.
 */
export function localRabbitmqctl(): ((...args: string[]) => string) | undefined {
  if (!amqpUrl) return undefined;
  const host = new URL(amqpUrl).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) return undefined;
  try {
    execFileSync('rabbitmqctl', ['-q', 'status'], { stdio: 'ignore', timeout: 30_000 });
  } catch {
    return undefined;
  }
  return (...args: string[]) => execFileSync('rabbitmqctl', args, { encoding: 'utf8', timeout: 60_000 });
}

/** Makes the broker close every connection whose client named itself `connectionName` (as a broker restart would). */
export function closeConnections(ctl: (...args: string[]) => string, connectionName: string): number {
  const lines = ctl('-q', 'list_connections', 'pid', 'client_properties').split('\n');
  const pids = lines
    .filter((l) => l.includes(`{"connection_name","${connectionName}"}`))
    .map((l) => l.split('\t')[0]!.trim())
    .filter((p) => p.startsWith('<'));
  for (const pid of pids) ctl('close_connection', pid, 'closed by a CampusG test');
  return pids.length;
}
