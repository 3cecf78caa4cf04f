import type {
  App,
  Authenticate,
  AuthHook,
  Clock,
  Config,
  Db,
  IdGenerator,
  Logger,
  Metrics,
  Migration,
  PruneTask,
  ServiceName,
} from '@campusg/platform';
import { inboxRetentionSql } from './inbox-retention.ts';
import type { MessageBus } from './message-bus.ts';
import { messagingTablesSql } from './outbox.ts';

/** What every service is built from: injected, never read from globals. */
export interface ServiceDeps {
  config: Readonly<Config>;
  db: Db;
  bus: MessageBus;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  metrics: Metrics;
}

/** A service a host can run: every one but the gateway, which only forwards to them. */
export type HostedServiceName = Exclude<ServiceName, 'gateway'>;

/** The methods a route may answer. */
type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One HTTP route a service answers, as the production gateway forwards it. The gateway's route
 * table is generated from these manifests, so a route a service registers and does not list here
 * is reachable in the one-process mode only (`/internal/*` routes are meant to be).
 */
export interface RouteSpec {
  method: HttpMethod | HttpMethod[];
  url: string;
  /** Answered without a signed-in caller: forwarded with no identity. */
  public?: true;
  /** The operator's routes: forwarded as they are; the service checks `ADMIN_TOKEN` itself. */
  operator?: true;
}

/** What a host hands every service it runs; the same for all, so a host has no per-service code. */
export interface ServiceContext {
  /** The service's own dependencies: its database, and a bus with its inbox schema and message source. */
  deps: ServiceDeps;
  /** Authenticates the caller of a route (tokens checked in this process, or the gateway's signed identity). */
  auth: AuthHook;
  /** Checks the operator's token; absent without `ADMIN_TOKEN`, and then so are the operator routes. */
  operator: AuthHook | undefined;
}

/** A service running in one process: what `ServiceModule.open` returns. */
export interface RunningService {
  /** Registers the service's routes on the process's app (before it listens). */
  registerRoutes(app: App): void;
  /** Joins the service's consumer groups and starts its loops. */
  start(): Promise<void>;
  /** Stops its loops; the bus leaves the groups when the host closes it. */
  stop(): Promise<void>;
  /** The retention of the service's own tables, applied by the process's pruner. */
  retention?(): PruneTask[];
  /** Registers the gauges only this service can answer (read from its own tables), computed at scrape time. */
  gauges?(metrics: Metrics): void;
}

/**
 * The one shape every service exports, so that a host is a loop over a list of modules and the
 * gateway's route table is generated from their manifests. The static part describes the service;
 * `open` builds what runs in a process, holding whatever state its routes and consumers share.
 */
export interface ServiceModule {
  name: HostedServiceName;
  /** The database schema it owns and migrates. */
  schema: string;
  /** The `source` of the messages it sends. */
  source: string;
  migrations(): Migration[];
  /** The routes the gateway forwards to it. */
  manifest: readonly RouteSpec[];
  /**
   * Checks a session token in this process, for the service that holds the sessions; a process
   * that runs it authenticates every route with it instead of trusting the gateway's identity.
   */
  authenticator?(deps: ServiceDeps): Authenticate;
  open(ctx: ServiceContext): RunningService;
}

/**
 * A service's migrations in the order every service applies them: its inbox and outbox tables
 * first, then `tables` (tables shared packages give it, e.g. an order view), then its own numbered
 * files `own` (from `loadMigrations`).
 */
export function serviceMigrations(schema: string, own: Migration[], tables: Record<string, string> = {}): Migration[] {
  return [
    { id: '000_messaging', sql: messagingTablesSql(schema) },
    { id: '000_messaging_retention', sql: inboxRetentionSql(schema) },
    ...Object.entries(tables).map(([id, sql]) => ({ id, sql })),
    ...own,
  ];
}
