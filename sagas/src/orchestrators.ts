import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import type { ServiceDeps } from '@campusg/messaging';
import { ORDER_VIEW_CONSUMING, orderViewHandlers, partiesView } from '@campusg/order-view';
import { type OrchestratorDeps, SagaOrchestrator, type SagaRunner, SagaStateCache, sagaStore } from '@campusg/saga';
import { type AcceptOrderData, acceptOrderSaga } from './accept-order.ts';
import { type CancelOrderData, cancelledAfterGivingUp, cancelOrderSaga, refusedBeforeRelease } from './cancel-order.ts';
import { type CompleteOrderData, completeOrderSaga } from './complete-order.ts';
import { type CreateOrderData, createOrderSaga } from './create-order.ts';
import { type ReleaseOrderData, releaseOrderSaga } from './release-order.ts';

/** The sagas' read model of orders: the routes decide from who an order concerns and its status, so that is all it keeps. */
export const SAGA_ORDERS = partiesView('sagas');

/** The four sagas, on whichever engine runs them (`CAMPUSG_SAGA_ENGINE`). */
export interface SagaOrchestrators {
  createOrder: SagaRunner<CreateOrderData>;
  acceptOrder: SagaRunner<AcceptOrderData>;
  completeOrder: SagaRunner<CompleteOrderData>;
  cancelOrder: SagaRunner<CancelOrderData>;
  releaseOrder: SagaRunner<ReleaseOrderData>;
}

export function createOrchestrators(deps: ServiceDeps) {
  const o: OrchestratorDeps = {
    ...deps,
    settings: { stepTimeoutMs: deps.config.sagaStepTimeoutMs, maxAttempts: deps.config.sagaMaxAttempts },
    // One cache for them all: each then knows a reply's saga is another's without asking the database.
    cache: new SagaStateCache(),
  };
  return {
    createOrder: new SagaOrchestrator(createOrderSaga({ orderAcceptTimeoutMs: deps.config.orderAcceptTimeoutMs }), o),
    acceptOrder: new SagaOrchestrator(acceptOrderSaga, o),
    completeOrder: new SagaOrchestrator(completeOrderSaga, o),
    cancelOrder: new SagaOrchestrator(cancelOrderSaga, o),
    releaseOrder: new SagaOrchestrator(releaseOrderSaga, o),
  } satisfies SagaOrchestrators;
}

/**
 * Joins every orchestrator's group, and the group of the saga routes' read model of orders, and
 * starts the orchestrators' deadline checks.
 */
export async function startOrchestrators(sagas: SagaOrchestrators, deps: ServiceDeps): Promise<void> {
  // The groups are joined together: on a broker, joining a group that has members elsewhere waits
  // for them to rejoin, and six of those one after another would hold up a second instance's start.
  await Promise.all([
    deps.bus.consume(GROUPS.sagaOrderView, GROUP_TOPICS[GROUPS.sagaOrderView], orderViewHandlers(SAGA_ORDERS), ORDER_VIEW_CONSUMING),
    sagas.createOrder.listen(),
    sagas.acceptOrder.listen(),
    sagas.completeOrder.listen(),
    sagas.releaseOrder.listen(),
    listenForCancels(sagas),
  ]);
  for (const s of Object.values(sagas) as SagaRunner<unknown>[]) s.startDeadlines();
}

/**
 * The cancel-order orchestrator's group. An expired timer starts a cancel-order saga, and so does a
 * released runner or a late cancel that a refused cancel-order saga left undone.
 */
function listenForCancels(sagas: SagaOrchestrators): Promise<void> {
  return sagas.cancelOrder.listen({
    'timer.expired': async (m, { tx, emit, afterCommit }) => {
      await sagas.cancelOrder.start(tx, emit, {
        startedBy: null,
        afterCommit,
        data: { orderId: m.payload.order_id, reason: 'ACCEPT_TIMEOUT' },
      });
    },
    // A cancel that landed after its saga gave up (see cancelledAfterGivingUp): void the hold.
    'order.cancelled': async (m, { tx, emit, afterCommit }) => {
      // The saga's state after this reply, as decided: no second load.
      const own = await sagas.cancelOrder.onMessage(m, tx, emit, afterCommit);
      // Only a saga that gave up can have been overtaken by its own re-sent command.
      if (own?.status !== 'COMPENSATED') return;
      const all = await sagaStore.list(tx, { type: cancelOrderSaga.type, key: m.payload.order_id, limit: 100 });
      if (
        !cancelledAfterGivingUp(
          own,
          all.filter((s) => s.id !== own.id),
        )
      )
        return;
      await sagas.cancelOrder.start(tx, emit, { startedBy: null, afterCommit, data: own.data });
    },
    // An accept-order compensation reopened the order: a cancel refused while the runner held it
    // (the acceptance timeout, or the customer's) is carried out now (refusedBeforeRelease). The
    // refused saga was stored before its cancel_order was sent, and the refusal precedes this
    // release on the order's partition of order_events, so it has ended by now.
    'order.runner_released': async (m, { tx, emit, afterCommit }) => {
      const cancels = await sagaStore.list(tx, { type: cancelOrderSaga.type, key: m.payload.order_id, limit: 100 });
      const data = refusedBeforeRelease(cancels.map((c) => ({ status: c.status, data: c.state.data as unknown as CancelOrderData })));
      if (data) await sagas.cancelOrder.start(tx, emit, { startedBy: null, afterCommit, data });
    },
  });
}

export function stopOrchestrators(sagas: SagaOrchestrators): void {
  for (const s of Object.values(sagas) as SagaRunner<unknown>[]) s.stop();
}
