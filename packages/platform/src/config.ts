import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const SERVICE_NAMES = ['order', 'user', 'payment', 'timer', 'notification', 'analytics', 'sagas', 'gateway'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const DAY_MS = 24 * 3600_000;
const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const envSchema = z.object({
  PORT: intFrom(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  CAMPUSG_DATA_DIR: z.string().min(1).default('./data'),
  CAMPUSG_BUS: z.enum(['embedded', 'kafka', 'rabbitmq']).default('embedded'),
  KAFKA_BROKERS: z.string().optional(),
  KAFKA_CLIENT_ID: z.string().default('campusg'),
  KAFKA_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, dot, underscore and dash only')
    .default(''),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  KAFKA_SSL: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  KAFKA_REPLICATION_FACTOR: intFrom(1, 10).default(1),
  AMQP_URL: z.string().optional(),
  AMQP_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, dot, underscore and dash only')
    .default(''),
  AMQP_QUEUE_TYPE: z.enum(['classic', 'quorum']).default('classic'),
  DATABASE_URL: z.string().optional(),
  CAMPUSG_PGLITE_WORKER: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  CAMPUSG_EMBEDDED_DURABILITY: z.enum(['durable', 'fast']).default('durable'),
  CAMPUSG_SERVICES: z.string().optional(),
  CAMPUSG_PARTITIONS: intFrom(1, 256).default(3),
  ORDER_ACCEPT_TIMEOUT_MS: intFrom(1, 7 * 24 * 3600_000).default(1_800_000),
  SAGA_STEP_TIMEOUT_MS: intFrom(1, 3600_000).default(30_000),
  SAGA_MAX_ATTEMPTS: intFrom(1, 1000).default(10),
  SAGAS_IN_FLIGHT_LIMIT: intFrom(0, 1_000_000).default(64),
  CAMPUSG_SAGA_ENGINE: z.enum(['bus', 'temporal']).default('bus'),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('campusg-sagas'),
  AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  AUTH_TOKEN_TTL_S: intFrom(60, 365 * 24 * 3600).default(7 * 24 * 3600),
  LOGIN_RATE_LIMIT: intFrom(1, 10_000).default(10),
  BUS_MAX_ATTEMPTS: intFrom(1, 100).default(5),
  BUS_RETRY_BASE_MS: intFrom(1, 60_000).default(100),
  BUS_CHUNK_SIZE: intFrom(1, 1000).default(50),
  PLATFORM_FEE_CENTS: intFrom(0, 100_000).default(0),
  BUS_LOG_RETENTION_MS: intFrom(1000, 365 * DAY_MS).default(7 * DAY_MS),
  INBOX_RETENTION_MS: intFrom(1000, 365 * DAY_MS).default(7 * DAY_MS),
  SAGA_HISTORY_RETENTION_MS: intFrom(1000, 10 * 365 * DAY_MS).default(30 * DAY_MS),
  AUDIT_LOG_RETENTION_MS: intFrom(1000, 10 * 365 * DAY_MS).default(30 * DAY_MS),
  // The API promises a repeated Idempotency-Key its first answer for at least 24 hours.
  IDEMPOTENCY_KEY_RETENTION_MS: intFrom(DAY_MS, 365 * DAY_MS).default(7 * DAY_MS),
  RETENTION_INTERVAL_MS: intFrom(100, 3600_000).default(60_000),
  RETENTION_BATCH: intFrom(1, 10_000).default(500),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WEB_DIST_DIR: z.string().optional(),
  // Where the gateway finds each service (comma-separated instances); the timer's only to watch it.
  USER_SERVICE_URLS: z.string().default(''),
  ORDER_SERVICE_URLS: z.string().default(''),
  SAGAS_SERVICE_URLS: z.string().default(''),
  PAYMENT_SERVICE_URLS: z.string().default(''),
  NOTIFICATION_SERVICE_URLS: z.string().default(''),
  ANALYTICS_SERVICE_URLS: z.string().default(''),
  TIMER_SERVICE_URLS: z.string().default(''),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  bus: 'embedded' | 'kafka' | 'rabbitmq';
  kafka: {
    brokers: string[];
    clientId: string;
    /** Prefix of every topic and group id on the cluster (several deployments on one cluster). */
    namespace: string;
    ssl: boolean;
    sasl: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | undefined;
    replicationFactor: number;
  };
  amqpUrl: string | undefined;
  /** Prefix of every exchange and queue on the broker (several deployments on one RabbitMQ). */
  amqpNamespace: string;
  /** `quorum`: replicated queues on a RabbitMQ cluster (set before the queues are first declared). */
  amqpQueueType: 'classic' | 'quorum';
  databaseUrl: string | undefined;
  /** Embedded: PGlite in its own worker thread (false: on the main thread, with everything else). */
  pgliteWorker: boolean;
  /** Embedded: a commit is answered once on disk (`durable`), or once the kernel has it (`fast`, for throwaway demos). */
  embeddedDurability: 'durable' | 'fast';
  /** `<SERVICE>_DATABASE_URL` overrides, by service name. */
  serviceDatabaseUrls: Partial<Record<ServiceName, string>>;
  services: ServiceName[];
  partitions: number;
  orderAcceptTimeoutMs: number;
  sagaStepTimeoutMs: number;
  sagaMaxAttempts: number;
  /**
   * Admission control: sagas running or compensating at most before `POST /api/orders` is answered
   * 503 `OVERLOADED` (0: no limit).
   */
  sagasInFlightLimit: number;
  /** What runs the sagas: the bus orchestrators (`bus`) or Temporal workflows (`temporal`). */
  sagaEngine: 'bus' | 'temporal';
  /** The Temporal server and task queue of the `temporal` saga engine. */
  temporal: { address: string; namespace: string; taskQueue: string };
  authSecret: string;
  /** The operators' token for /admin and the `campusg` operator commands (kept in the data dir when embedded). */
  adminToken: string | undefined;
  authTokenTtlS: number;
  loginRateLimit: number;
  busMaxAttempts: number;
  busRetryBaseMs: number;
  /** Most messages a consumer handles in one transaction (1: one per message). */
  busChunkSize: number;
  platformFeeCents: number;
  /** How long what only bookkeeping needs is kept, and how it is pruned (docs/runtime.md#retention). */
  retention: {
    /** The message log's main topics (dead-letter topics keep their own 30 days). */
    busLogMs: number;
    /** Inbox rows: at least the log's retention, so a copy still in a log finds its row. */
    inboxMs: number;
    /** History of the sagas that ended this long ago. */
    sagaHistoryMs: number;
    /** The notification service's audit log (order timelines). */
    auditLogMs: number;
    /** `POST /api/orders`' Idempotency-Keys (at least 24 h, as the API promises). */
    idempotencyKeyMs: number;
    intervalMs: number;
    batch: number;
  };
  logLevel: string;
  webDistDir: string | undefined;
  /**
   * The gateway's upstreams: base URLs of each service's instances. The timer service has no routes:
   * its instances are only watched (readiness, metrics, the operator's health report).
   */
  upstreams: Record<'user' | 'order' | 'sagas' | 'payment' | 'notification' | 'analytics' | 'timer', string[]>;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads and validates the configuration once. `env` is the only place the process environment is read;
 * the result is frozen and passed to whatever needs it.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, servicesArg?: string[]): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const services = parseServices(servicesArg?.length ? servicesArg.join(',') : e.CAMPUSG_SERVICES);
  if (e.CAMPUSG_BUS === 'kafka' && !e.KAFKA_BROKERS)
    throw new ConfigError('invalid configuration:\n  KAFKA_BROKERS: required when CAMPUSG_BUS=kafka');
  if (e.CAMPUSG_BUS === 'rabbitmq' && !e.AMQP_URL)
    throw new ConfigError('invalid configuration:\n  AMQP_URL: required when CAMPUSG_BUS=rabbitmq');
  const embedded = e.CAMPUSG_BUS === 'embedded' && !e.DATABASE_URL;
  if (e.CAMPUSG_BUS === 'embedded' && services.length < SERVICE_NAMES.length) {
    throw new ConfigError(
      'invalid configuration:\n  CAMPUSG_SERVICES: the embedded bus lives in one process; run every service together, or use CAMPUSG_BUS=kafka or rabbitmq',
    );
  }
  if (services.includes('gateway') && services.length > 1 && services.length < SERVICE_NAMES.length) {
    throw new ConfigError('invalid configuration:\n  CAMPUSG_SERVICES: the gateway runs alone, or with every service in one process');
  }
  if (!e.AUTH_SECRET && !embedded) throw new ConfigError('invalid configuration:\n  AUTH_SECRET: required outside the embedded mode');
  for (const name of ['INBOX_RETENTION_MS', 'AUDIT_LOG_RETENTION_MS'] as const) {
    if (e[name] < e.BUS_LOG_RETENTION_MS) {
      throw new ConfigError(
        `invalid configuration:\n  ${name}: must be at least BUS_LOG_RETENTION_MS (${e.BUS_LOG_RETENTION_MS}): a message still in the log may be delivered again, and must still be recognised`,
      );
    }
  }
  const sasl = e.KAFKA_SASL_MECHANISM
    ? { mechanism: e.KAFKA_SASL_MECHANISM, username: e.KAFKA_SASL_USERNAME ?? '', password: e.KAFKA_SASL_PASSWORD ?? '' }
    : undefined;
  const serviceDatabaseUrls: Partial<Record<ServiceName, string>> = {};
  for (const name of SERVICE_NAMES) {
    const url = env[`${name.toUpperCase()}_DATABASE_URL`];
    if (url) serviceDatabaseUrls[name] = url;
  }
  const dataDir = path.resolve(e.CAMPUSG_DATA_DIR);
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    dataDir,
    bus: e.CAMPUSG_BUS,
    kafka: {
      brokers: (e.KAFKA_BROKERS ?? '')
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
      clientId: e.KAFKA_CLIENT_ID,
      namespace: e.KAFKA_NAMESPACE,
      ssl: e.KAFKA_SSL,
      sasl,
      replicationFactor: e.KAFKA_REPLICATION_FACTOR,
    },
    amqpUrl: e.AMQP_URL,
    amqpNamespace: e.AMQP_NAMESPACE,
    amqpQueueType: e.AMQP_QUEUE_TYPE,
    databaseUrl: e.DATABASE_URL,
    pgliteWorker: e.CAMPUSG_PGLITE_WORKER,
    embeddedDurability: e.CAMPUSG_EMBEDDED_DURABILITY,
    serviceDatabaseUrls,
    services,
    partitions: e.CAMPUSG_PARTITIONS,
    orderAcceptTimeoutMs: e.ORDER_ACCEPT_TIMEOUT_MS,
    sagaStepTimeoutMs: e.SAGA_STEP_TIMEOUT_MS,
    sagaMaxAttempts: e.SAGA_MAX_ATTEMPTS,
    sagasInFlightLimit: e.SAGAS_IN_FLIGHT_LIMIT,
    sagaEngine: e.CAMPUSG_SAGA_ENGINE,
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.TEMPORAL_TASK_QUEUE },
    authSecret: e.AUTH_SECRET ?? persistedSecret(dataDir, 'auth-secret'),
    adminToken: e.ADMIN_TOKEN ?? (embedded ? persistedSecret(dataDir, 'admin-token') : undefined),
    authTokenTtlS: e.AUTH_TOKEN_TTL_S,
    loginRateLimit: e.LOGIN_RATE_LIMIT,
    busMaxAttempts: e.BUS_MAX_ATTEMPTS,
    busRetryBaseMs: e.BUS_RETRY_BASE_MS,
    busChunkSize: e.BUS_CHUNK_SIZE,
    platformFeeCents: e.PLATFORM_FEE_CENTS,
    retention: {
      busLogMs: e.BUS_LOG_RETENTION_MS,
      inboxMs: e.INBOX_RETENTION_MS,
      sagaHistoryMs: e.SAGA_HISTORY_RETENTION_MS,
      auditLogMs: e.AUDIT_LOG_RETENTION_MS,
      idempotencyKeyMs: e.IDEMPOTENCY_KEY_RETENTION_MS,
      intervalMs: e.RETENTION_INTERVAL_MS,
      batch: e.RETENTION_BATCH,
    },
    logLevel: e.LOG_LEVEL,
    webDistDir: e.WEB_DIST_DIR,
    upstreams: {
      user: list(e.USER_SERVICE_URLS),
      order: list(e.ORDER_SERVICE_URLS),
      sagas: list(e.SAGAS_SERVICE_URLS),
      payment: list(e.PAYMENT_SERVICE_URLS),
      notification: list(e.NOTIFICATION_SERVICE_URLS),
      analytics: list(e.ANALYTICS_SERVICE_URLS),
      timer: list(e.TIMER_SERVICE_URLS),
    },
  });
}

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim().replace(/\/$/, ''))
    .filter(Boolean);

function parseServices(value: string | undefined): ServiceName[] {
  if (!value || value.trim() === '' || value.trim() === 'all') return [...SERVICE_NAMES];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(SERVICE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new ConfigError(
      `invalid configuration:\n  CAMPUSG_SERVICES: unknown service(s) ${unknown.join(', ')} (known: ${SERVICE_NAMES.join(', ')})`,
    );
  }
  return names as ServiceName[];
}

/** A secret of the embedded mode: generated once and kept in the data directory. */
export function persistedSecret(dataDir: string, name: 'auth-secret' | 'admin-token'): string {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
