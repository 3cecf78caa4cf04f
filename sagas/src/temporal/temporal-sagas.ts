import path from 'node:path';
import type { ServiceDeps } from '@campusg/messaging';
import { openTemporal, sagaActivities, type TemporalLink, TemporalSagaRunner, workflowBundle } from '@campusg/saga-temporal';
import { acceptOrderSaga } from '../accept-order.ts';
import { cancelOrderSaga } from '../cancel-order.ts';
import { completeOrderSaga } from '../complete-order.ts';
import { createOrderSaga } from '../create-order.ts';
import type { SagaOrchestrators } from '../orchestrators.ts';
import { releaseOrderSaga } from '../release-order.ts';

const WORKFLOWS_PATH = path.join(import.meta.dirname, 'workflows.ts');
const ROOT = path.join(import.meta.dirname, '..', '..', '..');
/** What the workflow code imports: the saga definitions, the pure engine and the contracts. */
const WORKFLOW_SOURCES = ['sagas/src', 'packages/saga/src', 'packages/saga-temporal/src', 'packages/contracts/src'].map((d) =>
  path.join(ROOT, d),
);

/** The saga workflows' code, bundled for Temporal (cached; see `workflowBundle`). */
export const sagaWorkflowBundle = () => workflowBundle(WORKFLOWS_PATH, WORKFLOW_SOURCES);

/** The sagas on Temporal (`CAMPUSG_SAGA_ENGINE=temporal`), and the process's link to it (opened by `connect`). */
export interface TemporalSagas {
  runners: SagaOrchestrators;
  /** Connects to Temporal and starts this process's worker of the saga workflows. */
  connect(): Promise<void>;
  close(): Promise<void>;
}

export function createTemporalSagas(deps: ServiceDeps): TemporalSagas {
  let link: TemporalLink | undefined;
  const runnerDeps = {
    ...deps,
    settings: { stepTimeoutMs: deps.config.sagaStepTimeoutMs, maxAttempts: deps.config.sagaMaxAttempts },
    taskQueue: deps.config.temporal.taskQueue,
    client: () => {
      if (!link) throw new Error('the Temporal saga engine is not connected');
      return link.client;
    },
  };
  const orderAcceptTimeoutMs = deps.config.orderAcceptTimeoutMs;
  return {
    runners: {
      createOrder: new TemporalSagaRunner(
        createOrderSaga({ orderAcceptTimeoutMs }),
        { type: 'createOrder', options: { orderAcceptTimeoutMs } },
        runnerDeps,
      ),
      acceptOrder: new TemporalSagaRunner(acceptOrderSaga, { type: 'acceptOrder', options: {} }, runnerDeps),
      completeOrder: new TemporalSagaRunner(completeOrderSaga, { type: 'completeOrder', options: {} }, runnerDeps),
      cancelOrder: new TemporalSagaRunner(cancelOrderSaga, { type: 'cancelOrder', options: {} }, runnerDeps),
      releaseOrder: new TemporalSagaRunner(releaseOrderSaga, { type: 'releaseOrder', options: {} }, runnerDeps),
    },
    async connect() {
      link = await openTemporal(deps.config.temporal, {
        workflowsPath: WORKFLOWS_PATH,
        sourceDirs: WORKFLOW_SOURCES,
        activities: sagaActivities(deps),
        log: deps.log,
      });
    },
    async close() {
      await link?.close();
      link = undefined;
    },
  };
}
