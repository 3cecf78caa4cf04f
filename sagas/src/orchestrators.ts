import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import type { ServiceDeps } from '@campusg/messaging';
import { orderViewHandlers } from '@campusg/order-view';
import { type OrchestratorDeps, SagaOrchestrator, SagaStateCache } from '@campusg/saga';
import { type AcceptOrderData, acceptOrderSaga } from './accept-order.ts';
import { type CancelOrderData, cancelOrderSaga } from './cancel-order.ts';
import { type CompleteOrderData, completeOrderSaga } from './complete-order.ts';
import { type CreateOrderData, createOrderSaga } from './create-order.ts';

export interface SagaOrchestrators {
  createOrder: SagaOrchestrator<CreateOrderData>;
  acceptOrder: SagaOrchestrator<AcceptOrderData>;
  completeOrder: SagaOrchestrator<CompleteOrderData>;
  cancelOrder: SagaOrchestrator<CancelOrderData>;
}

export function createOrchestrators(deps: ServiceDeps): SagaOrchestrators {
  const o: OrchestratorDeps = {
    ...deps,
    settings: { stepTimeoutMs: deps.config.sagaStepTimeoutMs, maxAttempts: deps.config.sagaMaxAttempts },
    // One cache for the four: each then knows a reply's saga is another's without asking the database.
    cache: new SagaStateCache(),
  };
  return {
    createOrder: new SagaOrchestrator(createOrderSaga({ orderAcceptTimeoutMs: deps.config.orderAcceptTimeoutMs }), o),
    acceptOrder: new SagaOrchestrator(acceptOrderSaga, o),
    completeOrder: new SagaOrchestrator(completeOrderSaga, o),
    cancelOrder: new SagaOrchestrator(cancelOrderSaga, o),
  };
}

/**
 * Joins every orchestrator's group and starts its deadline checks; an expired timer starts a
 * cancel-order saga. The saga routes' read model of orders is kept by a group of its own.
 */
export async function startOrchestrators(sagas: SagaOrchestrators, deps: ServiceDeps): Promise<void> {
  await deps.bus.consume(GROUPS.sagaOrderView, GROUP_TOPICS[GROUPS.sagaOrderView], orderViewHandlers('sagas'));
  await sagas.createOrder.listen();
  await sagas.acceptOrder.listen();
  await sagas.completeOrder.listen();
  await sagas.cancelOrder.listen({
    'timer.expired': async (m, { tx, emit, afterCommit }) => {
      await sagas.cancelOrder.start(tx, emit, {
        startedBy: null,
        afterCommit,
        data: { orderId: m.payload.order_id, reason: 'ACCEPT_TIMEOUT' },
      });
    },
  });
  for (const s of Object.values(sagas) as SagaOrchestrator<unknown>[]) s.startDeadlines();
}

export function stopOrchestrators(sagas: SagaOrchestrators): void {
  for (const s of Object.values(sagas) as SagaOrchestrator<unknown>[]) s.stop();
}
