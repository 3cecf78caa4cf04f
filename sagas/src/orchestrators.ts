import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import type { ServiceDeps } from '@campusg/messaging';
import { orderViewHandlers } from '@campusg/order-view';
import { type OrchestratorDeps, SagaOrchestrator, sagaStore } from '@campusg/saga';
import { type AcceptOrderData, acceptOrderSaga } from './accept-order.ts';
import { type CancelOrderData, cancelOrderSaga, expiredBeforeRelease } from './cancel-order.ts';
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
  };
  return {
    createOrder: new SagaOrchestrator(createOrderSaga({ orderAcceptTimeoutMs: deps.config.orderAcceptTimeoutMs }), o),
    acceptOrder: new SagaOrchestrator(acceptOrderSaga, o),
    completeOrder: new SagaOrchestrator(completeOrderSaga, o),
    cancelOrder: new SagaOrchestrator(cancelOrderSaga, o),
  };
}

/**
 * Joins every orchestrator's group and starts its deadline checks; an expired timer, or a runner
 * released after the acceptance window ran out, starts a cancel-order saga. The saga routes' read model of orders is kept by a group of its own.
 */
export async function startOrchestrators(sagas: SagaOrchestrators, deps: ServiceDeps): Promise<void> {
  await deps.bus.consume(GROUPS.sagaOrderView, GROUP_TOPICS[GROUPS.sagaOrderView], orderViewHandlers('sagas'));
  await sagas.createOrder.listen();
  await sagas.acceptOrder.listen();
  await sagas.completeOrder.listen();
  await sagas.cancelOrder.listen({
    'timer.expired': async (m, { tx, emit }) => {
      await sagas.cancelOrder.start(tx, emit, {
        startedBy: null,
        data: { orderId: m.payload.order_id, reason: 'ACCEPT_TIMEOUT' },
      });
    },
    // An accept-order compensation reopened the order. If its acceptance window already ran out (the
    // timer fired and its cancel met the order ACCEPTED), the timeout is carried out now. The cancel
    // that gave up was stored before its cancel_order was sent, and its refusal comes before this
    // release on the order's partition, so the lookup below cannot miss it.
    'order.runner_released': async (m, { tx, emit }) => {
      const cancels = await sagaStore.list(tx, { type: cancelOrderSaga.type, key: m.payload.order_id, limit: 100 });
      if (!expiredBeforeRelease(cancels.map((c) => c.state.data as unknown as CancelOrderData))) return;
      await sagas.cancelOrder.start(tx, emit, { startedBy: null, data: { orderId: m.payload.order_id, reason: 'ACCEPT_TIMEOUT' } });
    },
  });
  for (const s of Object.values(sagas) as SagaOrchestrator<unknown>[]) s.startDeadlines();
}

export function stopOrchestrators(sagas: SagaOrchestrators): void {
  for (const s of Object.values(sagas) as SagaOrchestrator<unknown>[]) s.stop();
}
