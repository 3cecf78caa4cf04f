import { GROUP_TOPICS, type OperatorHealth } from '@campusg/contracts';
import type { ServiceModule } from '@campusg/messaging';
import { type App, type AuthHook, type InstanceInfo, instanceStatus, reportedInstance } from '@campusg/platform';
import type { Infrastructure } from './infrastructure.ts';
import { groupsOf, SERVICES } from './services.ts';

/**
 * `GET /admin/health` as the process running the sagas answers it: the bus, its databases, every
 * service's groups and their lag (the transport answers for any group, wherever it runs), and this
 * process as the one instance of each service it runs. The gateway asks it, then puts in every
 * instance it knows of (`apps/gateway/src/deployment-health.ts`).
 */
export function registerHealthRoute(
  app: App,
  infra: Infrastructure,
  here: { modules: readonly ServiceModule[]; instance: InstanceInfo; isReady: () => Promise<boolean> },
  operator: AuthHook,
): void {
  const { transport, clock } = infra;
  app.get('/admin/health', { onRequest: operator, schema: { hide: true } }, async (): Promise<OperatorHealth> => {
    const bySchema = new Map<ReturnType<Infrastructure['dbFor']>, string[]>();
    for (const schema of infra.schemas) bySchema.set(infra.dbFor(schema), [...(bySchema.get(infra.dbFor(schema)) ?? []), schema]);
    const self = reportedInstance(null, instanceStatus(here.instance, clock, await here.isReady().catch(() => false)));
    // A part that fails or hangs (a broker that is down) is reported as such, never holding up the rest.
    const [up, databases, services] = await Promise.all([
      within(transport.ping(), false),
      Promise.all([...bySchema].map(async ([db, schemas]) => ({ schemas, up: await within(db.ping(), false) }))),
      Promise.all(
        SERVICES.map(async (s) => {
          const groups = groupsOf(s);
          const lags = groups.map((g) => transport.lag(g, GROUP_TOPICS[g as keyof typeof GROUP_TOPICS]));
          const lag = await within(
            Promise.all(lags).then((all) => all.flat().reduce((n, p) => n + p.lag, 0)),
            null,
          );
          return { name: s.name, groups, lag, instances: here.modules.includes(s) ? [self] : [] };
        }),
      ),
    ]);
    return {
      at: clock.now().toISOString(),
      view: 'process',
      transport: { name: transport.name, up, replay: transport.capabilities.replay },
      databases,
      services,
      problem: null,
    };
  });
}

/** How long one part of the report may take before it counts as not answering. */
const PART_TIMEOUT_MS = 3000;

/** `promise`'s value, or `otherwise` if it fails or takes longer than `PART_TIMEOUT_MS`. */
function within<T, U>(promise: Promise<T>, otherwise: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<U>((resolve) => {
    timer = setTimeout(() => resolve(otherwise), PART_TIMEOUT_MS);
  });
  return Promise.race([promise.catch(() => otherwise), late]).finally(() => clearTimeout(timer));
}
