import { KafkaTransport } from '@campusg/messaging/kafka';
import { type AuthUser, openPostgres, signIdentity } from '@campusg/platform';
import { pino } from 'pino';
import { ApiClient } from './client.ts';
import { dropDatabases, dropKafkaNamespace, freshDatabase, sagaEngineEnv } from './environment.ts';
import { freePort, type PlatformProcess, startProcess } from './process.ts';
import type { TestSystem } from './system.ts';

/** The deployment's secret: the gateway signs the caller's identity with it, and the services check it. */
const AUTH_SECRET = 'topology-secret-topology-secret-0123456';

/**
 * The processes of the production topology: two instances of every service (analytics beside
 * notification), so that whatever a test checks holds with a service's work split between two.
 */
const SERVICE_PROCESSES = [['sagas'], ['order'], ['user'], ['payment'], ['timer'], ['notification', 'analytics']].flatMap((p) => [p, p]);

/**
 * The production topology for real: every service in its own processes, two instances each sharing
 * its consumer groups, a gateway in front, Kafka and PostgreSQL — each deployment in a fresh
 * database and a Kafka namespace of its own. The test talks to the gateway (or, to prove a point,
 * to one instance directly).
 */
export async function startTopology(
  env: Record<string, string> = {},
  /** Another broker or database server than `KAFKA_BROKERS` / `DATABASE_URL` (a private one a fault test may stop). */
  servers: { brokers?: string; databaseUrl?: string } = {},
  /** How its database's name and its Kafka namespace begin (`sharedTopology` names its own). */
  names: { database?: string; namespace?: string } = {},
): Promise<TestSystem> {
  const brokers = servers.brokers ?? process.env.KAFKA_BROKERS!;
  const db = await freshDatabase(servers.databaseUrl ?? process.env.DATABASE_URL!, names.database);
  const namespace = `${names.namespace ?? 't'}${process.pid}${Date.now()}.`;
  const common = {
    AUTH_SECRET,
    CAMPUSG_BUS: 'kafka',
    KAFKA_BROKERS: brokers,
    KAFKA_NAMESPACE: namespace,
    DATABASE_URL: db.url,
    BUS_RETRY_BASE_MS: '20',
    ...sagaEngineEnv(),
    ...env,
  };
  // Every process starts at once, the gateway too: most of a start is loading code, and one after
  // another they would wait for each other. Their ports are chosen first, so the gateway knows them.
  const planned = await Promise.all(SERVICE_PROCESSES.map(async (services) => ({ services, port: await freePort(), env: {} })));
  const urls = (service: string) =>
    planned
      .filter((p) => p.services.includes(service))
      .map((p) => `http://127.0.0.1:${p.port}`)
      .join(',');
  const gateway = {
    services: ['gateway'],
    port: await freePort(),
    env: {
      USER_SERVICE_URLS: urls('user'),
      ORDER_SERVICE_URLS: urls('order'),
      SAGAS_SERVICE_URLS: urls('sagas'),
      PAYMENT_SERVICE_URLS: urls('payment'),
      NOTIFICATION_SERVICE_URLS: urls('notification'),
      ANALYTICS_SERVICE_URLS: urls('analytics'),
      TIMER_SERVICE_URLS: urls('timer'),
    },
  };
  const started: { service: string; process: PlatformProcess }[] = [];
  const processes = () => started.map((s) => s.process);
  try {
    // All settle before a failure is thrown, so that the cleanup below kills every one that did start.
    const settled = await Promise.allSettled(
      [...planned, gateway].map(async ({ services, port, env: own }) => ({
        service: services[0]!,
        process: await startProcess({ ...common, ...own, PORT: String(port) }, ['start', ...services]),
      })),
    );
    for (const r of settled) if (r.status === 'fulfilled') started.push(r.value);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const checkDb = openPostgres(db.url, { max: 2 });
    const transport = new KafkaTransport({
      brokers: [brokers],
      clientId: 'campusg-test-checker',
      namespace,
      log: pino({ level: 'silent' }),
    });
    const url = `http://127.0.0.1:${gateway.port}`;
    return {
      url,
      infra: { db: checkDb, transport },
      processes: started,
      client: () => new ApiClient(url),
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

/**
 * The headers the gateway adds to a signed-in user's request: the user as a user service instance
 * says the token belongs to, signed with the deployment's secret. For a test that talks to one
 * service instance directly, to prove a point the gateway would hide.
 */
export async function gatewayIdentity(sys: TestSystem, token: string): Promise<Record<string, string>> {
  const user = sys.processes?.find((p) => p.service === 'user');
  if (!user) throw new Error('a deployment of one process has no gateway identity: send the token');
  const res = await fetch(`${user.process.url}/internal/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (!res.ok) throw new Error(`the user service refused the token: ${res.status}`);
  return signIdentity(((await res.json()) as { user: AuthUser }).user, AUTH_SECRET);
}

/**
 * The production topology with the default settings, shared by the test files of one worker that
 * ask for it (`startSharedSystem`): the first starts it, the next ones use it, and `close` leaves it
 * running, until a file starts a topology of its own (`stopSharedTopology`). Starting thirteen
 * processes keeps two cores busy for about nineteen seconds, most of a file's time on this
 * topology. The processes stop when the worker ends (`exit-with-parent.mjs`); their database and
 * Kafka namespace are named after the test run's process, which drops them at its end
 * (`dropSharedDeployments`).
 */
export function sharedTopology(): Promise<TestSystem> {
  const shared = globalThis as { [SHARED]?: Promise<TestSystem> };
  shared[SHARED] ??= startTopology(
    {},
    {},
    { database: sharedDatabasePrefix(process.ppid), namespace: sharedNamespacePrefix(process.ppid) },
  ).catch((err: unknown) => {
    shared[SHARED] = undefined;
    throw err;
  });
  return shared[SHARED].then((sys) => ({ ...sys, close: async () => {} }));
}

/** Stops the worker's shared topology, if it runs: a file is about to start a deployment of its own. */
export async function stopSharedTopology(): Promise<void> {
  const shared = globalThis as { [SHARED]?: Promise<TestSystem> };
  const running = shared[SHARED];
  shared[SHARED] = undefined;
  const sys = await running?.catch(() => undefined);
  await sys?.close();
}

const SHARED = Symbol.for('campusg.test.shared-topology');
/** Shared deployments of the test run whose main process is `runPid`: the names they begin with. */
const sharedDatabasePrefix = (runPid: number) => `campusg_shared_${runPid}`;
const sharedNamespacePrefix = (runPid: number) => `s${runPid}x`;

/** Drops the databases and Kafka namespaces of this test run's shared deployments (run by its main process). */
export async function dropSharedDeployments(baseUrl: string, brokers: string): Promise<void> {
  await dropDatabases(baseUrl, { prefix: `${sharedDatabasePrefix(process.pid)}_` });
  await dropKafkaNamespace(brokers, sharedNamespacePrefix(process.pid));
}

/**
 * The last `last` lines of each process's output that match `pattern`, each cut at `width`
 * characters, under the process's service and address: what a fault case that did not end well
 * needs to be read (joins, rebalances, commits that failed).
 */
export function processLines(sys: TestSystem, pattern: RegExp, last: number, width: number): string {
  return sys
    .processes!.map((p) => ({
      p,
      lines: p.process
        .output()
        .split('\n')
        .filter((l) => pattern.test(l)),
    }))
    .filter(({ lines }) => lines.length > 0)
    .map(
      ({ p, lines }) =>
        `[fault] ${p.service} (${p.process.url}):\n${lines
          .slice(-last)
          .map((l) => l.slice(0, width))
          .join('\n')}`,
    )
    .join('\n');
}
