import { KafkaTransport } from '@campusg/messaging/kafka';
import { openPostgres } from '@campusg/platform';
import { pino } from 'pino';
import { ApiClient } from './client.ts';
import { dropKafkaNamespace, freshDatabase } from './environment.ts';
import { type PlatformProcess, startProcess } from './process.ts';
import type { TestSystem } from './system.ts';

/** Processes of the production topology, one service each (analytics beside notification); the order service runs twice. */
const SERVICE_PROCESSES = [['order'], ['order'], ['user'], ['payment'], ['timer'], ['notification', 'analytics']];

/**
 * The production topology for real: every service in its own process (two order instances sharing
 * its consumer group), a gateway in front, Kafka and PostgreSQL — each deployment in a fresh
 * database and a Kafka namespace of its own. The test talks to the gateway only.
 */
export async function startTopology(
  env: Record<string, string> = {},
  /** Another broker or database server than `KAFKA_BROKERS` / `DATABASE_URL` (a private one a fault test may stop). */
  servers: { brokers?: string; databaseUrl?: string } = {},
): Promise<TestSystem> {
  const brokers = servers.brokers ?? process.env.KAFKA_BROKERS!;
  const db = await freshDatabase(servers.databaseUrl ?? process.env.DATABASE_URL!);
  const namespace = `t${process.pid}${Date.now()}.`;
  const common = {
    AUTH_SECRET: 'topology-secret-topology-secret-0123456',
    CAMPUSG_BUS: 'kafka',
    KAFKA_BROKERS: brokers,
    KAFKA_NAMESPACE: namespace,
    DATABASE_URL: db.url,
    BUS_RETRY_BASE_MS: '20',
    ...env,
  };
  const started: { service: string; process: PlatformProcess }[] = [];
  const processes = () => started.map((s) => s.process);
  try {
    // The orchestrators first (they create the topics), then the rest together.
    started.push({ service: 'sagas', process: await startProcess(common, ['start', 'sagas']) });
    // All settle before a failure is thrown, so that the cleanup below kills every one that did start.
    const settled = await Promise.allSettled(
      SERVICE_PROCESSES.map(async ([service, ...more]) => ({
        service: service!,
        process: await startProcess(common, ['start', service!, ...more]),
      })),
    );
    for (const r of settled) if (r.status === 'fulfilled') started.push(r.value);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const urls = (service: string) =>
      started
        .filter((s) => s.service === service || (service === 'analytics' && s.service === 'notification'))
        .map((s) => s.process.url)
        .join(',');
    const gateway = await startProcess(
      {
        ...common,
        USER_SERVICE_URLS: urls('user'),
        ORDER_SERVICE_URLS: urls('order'),
        SAGAS_SERVICE_URLS: urls('sagas'),
        PAYMENT_SERVICE_URLS: urls('payment'),
        NOTIFICATION_SERVICE_URLS: urls('notification'),
        ANALYTICS_SERVICE_URLS: urls('analytics'),
      },
      ['start', 'gateway'],
    );
    started.push({ service: 'gateway', process: gateway });
    const checkDb = openPostgres(db.url, { max: 2 });
    const transport = new KafkaTransport({
      brokers: [brokers],
      clientId: 'campusg-test-checker',
      namespace,
      log: pino({ level: 'silent' }),
    });
    return {
      url: gateway.url,
      infra: { db: checkDb, transport },
      processes: started,
      client: () => new ApiClient(gateway.url),
      async close() {
        await Promise.all(processes().map((p) => p.stop()));
        await transport.close();
        await checkDb.close();
        await db.drop();
        await dropKafkaNamespace(brokers, namespace).catch(() => {});
      },
    };
  } catch (err) {
    await Promise.all(processes().map((p) => p.kill9()));
    await db.drop();
    throw err;
  }
}
