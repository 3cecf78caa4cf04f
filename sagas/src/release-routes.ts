import { GROUPS, idParams, sagaStartedResponse } from '@campusg/contracts';
import { behindCheck, type ServiceDeps } from '@campusg/messaging';
import { mayRelease } from '@campusg/order-rules';
import { readCurrentOrderView } from '@campusg/order-view';
import { type App, AppError, type AuthHook, callerOf } from '@campusg/platform';
import { sagaStore } from '@campusg/saga';
import { acceptOrderSaga } from './accept-order.ts';
import { SAGA_ORDERS, type SagaOrchestrators } from './orchestrators.ts';

/**
 * `POST /api/orders/{id}/release`: the assigned runner gives an ACCEPTED order back; the
 * release-order saga reopens it with a fresh acceptance window (`ORDER_ACCEPT_TIMEOUT_MS` from now).
 */
export function registerReleaseRoutes(app: App, deps: ServiceDeps, auth: AuthHook, sagas: SagaOrchestrators): void {
  const { bus, db, clock, config } = deps;
  app.post(
    '/api/orders/:id/release',
    {
      onRequest: auth,
      schema: {
        tags: ['orders'],
        summary: 'The runner gives the order back: starts the release-order saga',
        params: idParams,
        response: { 202: sagaStartedResponse },
      },
    },
    async (req, reply) => {
      const user = callerOf(req);
      const orderId = req.params.id;
      const behind = behindCheck(bus.transport, GROUPS.sagaOrderView, 'order_events', orderId, config.partitions);
      const refusal = mayRelease(await readCurrentOrderView(db, SAGA_ORDERS, orderId, behind), user);
      if (refusal) throw new AppError(refusal.code, refusal.message);
      const committed: (() => void)[] = [];
      const { sagaId } = await bus.transact(async (tx, emit) => {
        // The accept's own last step stops the timer: the fresh window's timer must be armed after it, never before.
        const accepts = await sagaStore.list(tx, { type: acceptOrderSaga.type, key: orderId, limit: 100 });
        if (accepts.some((s) => s.status === 'RUNNING' || s.status === 'COMPENSATING')) {
          throw new AppError('INVALID_TRANSITION', 'the accept is still being recorded; try again in a moment');
        }
        return sagas.releaseOrder.start(tx, emit, {
          startedBy: user.id,
          afterCommit: (hook) => committed.push(hook),
          data: { orderId, runnerId: user.id, acceptBy: new Date(clock.now().getTime() + config.orderAcceptTimeoutMs).toISOString() },
        });
      });
      for (const hook of committed) hook();
      return reply.code(202).send({ sagaId });
    },
  );
}
