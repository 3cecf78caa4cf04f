import type { BenchEnv, TransportKind } from './deployment.ts';
import { log, type Settings } from './phases.ts';
import { type QuickRun, quickRun } from './quick.ts';

/** The two saga engines measured one after the other on one transport. */
export interface EnginesRun {
  transport: TransportKind;
  bus: QuickRun;
  temporal: QuickRun | { status: 'skipped'; reason: string };
}

/**
 * Both saga engines side by side: on the same transport, one fresh deployment each, the same
 * measurement (create-order sagas/s at saturation found open loop, p99 POST → CREATED at half of
 * it, CPU per saga at saturation, the Temporal server's included). The Temporal engine needs
 * `TEMPORAL_ADDRESS` and the test server of `npm run temporal:start` (its pid file is read to count
 * its CPU; `TEMPORAL_HOME_DIR` when it was started from another checkout).
 */
export async function enginesRun(kind: TransportKind, env: BenchEnv, s: Settings): Promise<EnginesRun> {
  log('engines', `${kind}: the bus engine…`);
  const bus = await quickRun(kind, env, s, { CAMPUSG_SAGA_ENGINE: 'bus' });
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    log('engines', 'the Temporal engine skipped: TEMPORAL_ADDRESS not set');
    return { transport: kind, bus, temporal: { status: 'skipped', reason: 'TEMPORAL_ADDRESS not set' } };
  }
  log('engines', `${kind}: the Temporal engine…`);
  const temporal = await quickRun(kind, env, s, {
    CAMPUSG_SAGA_ENGINE: 'temporal',
    TEMPORAL_ADDRESS: address,
    ...(process.env.TEMPORAL_NAMESPACE ? { TEMPORAL_NAMESPACE: process.env.TEMPORAL_NAMESPACE } : {}),
    // A queue of its own: no other deployment's worker on the same server takes its tasks.
    TEMPORAL_TASK_QUEUE: `campusg-bench-${Date.now()}`,
  });
  return { transport: kind, bus, temporal };
}
