import { type InstanceResponse, instanceResponse, type OperatorHealth, operatorHealth } from '@campusg/contracts';
import { operatorHook } from '@campusg/host/operator-token';
import { groupsOf, SERVICES } from '@campusg/host/services';
import { type App, AppError, type Clock, type Config, reportedInstance } from '@campusg/platform';

/** How long an instance has to say who it is before it counts as down. */
export const PROBE_TIMEOUT_MS = 1500;
/** How long the sagas process has for its report (each of its parts has 3 s). */
const REPORT_TIMEOUT_MS = 5000;

type Upstreams = Config['upstreams'];

/** What an instance's `GET /instance` said, or why it said nothing usable: never a thrown error. */
export async function probeInstance(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<InstanceResponse | { problem: string }> {
  try {
    const res = await fetch(`${url}/instance`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { problem: `GET /instance answered ${res.status}` };
    const parsed = instanceResponse.safeParse(await res.json());
    return parsed.success ? parsed.data : { problem: 'GET /instance answered something that is not an instance' };
  } catch (err) {
    return { problem: failure(err, timeoutMs) };
  }
}

/** A failed request in an operator's words. */
function failure(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  if (e.cause?.code === 'ECONNREFUSED') return 'connection refused';
  return e.cause?.message ?? e.message;
}

/**
 * `GET /admin/health` on the gateway: the report of the process running the sagas (the bus, its
 * databases, each group's lag), with every instance of every service the gateway is configured with,
 * each asked `GET /instance` at once with a short timeout, so an instance that is down or hangs costs
 * the page at most `PROBE_TIMEOUT_MS`. The sagas process checks the operator token; a gateway that has
 * `ADMIN_TOKEN` too checks it first and still answers, with the instances, while no sagas process does.
 */
export function registerDeploymentHealth(app: App, deps: { upstreams: Upstreams; adminToken: string | undefined; clock: Clock }): void {
  const { upstreams, clock } = deps;
  const checkHere = operatorHook(deps.adminToken);
  const urls = [...new Set(Object.values(upstreams).flat())];

  app.get('/admin/health', { schema: { hide: true } }, async (req, reply) => {
    if (checkHere) await checkHere(req, reply);
    const [report, answers] = await Promise.all([
      sagasReport(upstreams.sagas, req.headers.authorization),
      Promise.all(urls.map(async (url) => [url, await probeInstance(url)] as const)),
    ]);
    if ('status' in report) return reply.code(report.status).type(report.type).send(report.body);
    if ('problem' in report && !checkHere) {
      throw new AppError(
        'NOT_READY',
        `${report.problem}: the operator token is checked there (with ADMIN_TOKEN the gateway checks it too)`,
      );
    }
    const seen = new Map(answers);
    const base = 'health' in report ? report.health : undefined;
    const health: OperatorHealth = {
      at: clock.now().toISOString(),
      view: 'gateway',
      transport: base?.transport ?? null,
      databases: base?.databases ?? [],
      services: SERVICES.map((s) => {
        const known = base?.services.find((b) => b.name === s.name);
        return {
          name: s.name,
          groups: known?.groups ?? groupsOf(s),
          lag: known?.lag ?? null,
          instances: upstreams[s.name].map((url) => reportedInstance(url, seen.get(url)!)),
        };
      }),
      problem: 'problem' in report ? `${report.problem}: the bus, the databases and the lag are unknown` : null,
    };
    return health;
  });
}

type Report = { health: OperatorHealth } | { status: number; type: string; body: string } | { problem: string };

/**
 * The first answer of the sagas instances, asked at once: its report, or its refusal (a wrong token)
 * to pass on as it is; `problem` when none answered in time.
 */
async function sagasReport(instances: string[], authorization: string | undefined): Promise<Report> {
  if (instances.length === 0) return { problem: 'no sagas instance is configured (SAGAS_SERVICE_URLS)' };
  const ask = async (url: string): Promise<Report> => {
    const res = await fetch(`${url}/admin/health`, {
      headers: authorization ? { authorization } : {},
      signal: AbortSignal.timeout(REPORT_TIMEOUT_MS),
    });
    // A refusal (a wrong token) is passed on; a failure lets another instance's answer count.
    if (res.status >= 500) throw new Error(`GET /admin/health answered ${res.status}`);
    if (!res.ok) return { status: res.status, type: res.headers.get('content-type') ?? 'application/problem+json', body: await res.text() };
    return { health: operatorHealth.parse(await res.json()) };
  };
  return Promise.any(instances.map(ask)).catch((err: AggregateError) => ({
    problem: `no sagas instance answered (${failure(err.errors[0], REPORT_TIMEOUT_MS)})`,
  }));
}
