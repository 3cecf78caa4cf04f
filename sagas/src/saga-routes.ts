import { createHash } from 'node:crypto';
import {
  createOrderBody,
  createOrderHeaders,
  createOrderResponse,
  GROUPS,
  idParams,
  type SagaType,
  sagaStartedResponse,
  sagaView,
} from '@campusg/contracts';
import { behindCheck, type Emit, type ServiceDeps } from '@campusg/messaging';
import { mayAccept, mayAcceptAny, mayCancel, mayComplete, type Refusal } from '@campusg/order-rules';
import { readCurrentOrderView } from '@campusg/order-view';
import { type App, AppError, type AuthHook, callerOf, type Sql } from '@campusg/platform';
import { type AfterCommit, sagaStore } from '@campusg/saga';
import { SAGA_ORDERS, type SagaOrchestrators } from './orchestrators.ts';
import { orderAdmission } from './order-admission.ts';

/** The order rules' refusal, as this API's error. */
const refuse = (refusal: Refusal | null) => {
  if (refusal) throw new AppError(refusal.code, refusal.message);
};

/** Routes that start sagas (create, accept, complete, cancel) and show them. */
export function registerSagaRoutes(app: App, deps: ServiceDeps, auth: AuthHook, sagas: SagaOrchestrators): void {
  const { bus, ids, db } = deps;
  /**
   * The order as the sagas' read model knows it once it has caught up with everything on the bus
   * when the request came (the caller's own last change included): these routes decide from its status.
   */
  const lookup = (orderId: string) =>
    readCurrentOrderView(
      db,
      SAGA_ORDERS,
      orderId,
      behindCheck(bus.transport, GROUPS.sagaOrderView, 'order_events', orderId, deps.config.partitions),
    );
  /** Runs `fn` in a bus transaction; what it registers with `afterCommit` (the new saga, cached) runs once that committed. */
  const transactStart = async <T>(fn: (tx: Sql, emit: Emit, afterCommit: AfterCommit) => Promise<T>): Promise<T> => {
    const committed: (() => void)[] = [];
    const result = await bus.transact((tx, emit) => fn(tx, emit, (hook) => committed.push(hook)));
    for (const hook of committed) hook();
    return result;
  };
  const admission = orderAdmission(deps);

  app.post(
    '/api/orders',
    {
      // Admission first: a refused request costs no authentication and no body parsing.
      onRequest: [admission.admit, auth],
      onResponse: admission.release,
      onRequestAbort: admission.release,
      schema: {
        tags: ['orders'],
        summary: 'Post an order: starts the create-order saga',
        body: createOrderBody,
        headers: createOrderHeaders,
        response: { 202: createOrderResponse },
      },
    },
    async (req, reply) => {
      const user = callerOf(req);
      const body = req.body;
      const key = req.headers['idempotency-key'];
      const bodyHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
      // The response is known before anything is written, so the key is claimed with it in one statement.
      const orderId = ids.uuid();
      const response = { orderId, sagaId: ids.uuid(), status: 'PENDING' as const };
      const result = await transactStart(async (tx, emit, afterCommit) => {
        if (key) {
          const previous = await claimIdempotencyKey(tx, user.id, key, bodyHash, response);
          if (previous) return previous;
        }
        const { sagaId } = await sagas.createOrder.start(tx, emit, {
          startedBy: user.id,
          sagaId: response.sagaId,
          afterCommit,
          data: {
            order: {
              order_id: orderId,
              customer_id: user.id,
              store: body.store,
              items: body.items.map((i) => ({ name: i.name, quantity: i.quantity, price_cents: i.priceCents })),
              delivery_fee_cents: body.deliveryFeeCents,
              delivery_location: body.deliveryLocation,
              instructions: body.instructions ?? null,
            },
            totalCents: null,
            paymentMethodToken: null,
            cancelReason: 'SYSTEM_ERROR',
          },
        });
        // A fresh order id holds no business key yet; were it otherwise, the claimed response would lie.
        if (sagaId !== response.sagaId) throw new AppError('TRANSIENT', 'order id already in use; retry');
        return response;
      });
      // A repeated Idempotency-Key started nothing.
      if (result === response) admission.started(req);
      return reply.code(202).send(result);
    },
  );

  app.post(
    '/api/orders/:id/accept',
    {
      onRequest: auth,
      schema: {
        tags: ['orders'],
        summary: 'A runner accepts: starts the accept-order saga',
        params: idParams,
        response: { 202: sagaStartedResponse },
      },
    },
    async (req, reply) => {
      const user = callerOf(req);
      // Refused before the read model is asked: a customer learns nothing of the order.
      refuse(mayAcceptAny(user));
      refuse(mayAccept(await lookup(req.params.id), user));
      const { sagaId } = await transactStart((tx, emit, afterCommit) =>
        sagas.acceptOrder.start(tx, emit, {
          startedBy: user.id,
          afterCommit,
          data: { orderId: req.params.id, runnerId: user.id },
        }),
      );
      return reply.code(202).send({ sagaId });
    },
  );

  app.post(
    '/api/orders/:id/complete',
    {
      onRequest: auth,
      schema: {
        tags: ['orders'],
        summary: 'The runner completes a delivered order: payout, then COMPLETED',
        params: idParams,
        response: { 202: sagaStartedResponse },
      },
    },
    async (req, reply) => {
      const user = callerOf(req);
      refuse(mayComplete(await lookup(req.params.id), user));
      const { sagaId } = await transactStart((tx, emit, afterCommit) =>
        sagas.completeOrder.start(tx, emit, {
          startedBy: user.id,
          afterCommit,
          data: { orderId: req.params.id, runnerId: user.id, payoutAccountId: null },
        }),
      );
      return reply.code(202).send({ sagaId });
    },
  );

  app.post(
    '/api/orders/:id/cancel',
    {
      onRequest: auth,
      schema: {
        tags: ['orders'],
        summary: 'The customer cancels: starts the cancel-order saga',
        params: idParams,
        response: { 202: sagaStartedResponse },
      },
    },
    async (req, reply) => {
      const user = callerOf(req);
      refuse(mayCancel(await lookup(req.params.id), user));
      const { sagaId } = await transactStart((tx, emit, afterCommit) =>
        sagas.cancelOrder.start(tx, emit, {
          startedBy: user.id,
          afterCommit,
          data: { orderId: req.params.id, reason: 'CUSTOMER_CANCELLED' },
        }),
      );
      return reply.code(202).send({ sagaId });
    },
  );

  app.get(
    '/api/sagas/:id',
    {
      onRequest: auth,
      schema: { tags: ['sagas'], summary: 'A saga the caller started, with its history', params: idParams, response: { 200: sagaView } },
    },
    async (req) => {
      const stored = await sagaStore.readWithHistory(db, req.params.id);
      if (!stored || stored.startedBy !== callerOf(req).id) throw new AppError('NOT_FOUND', 'no such saga');
      const s = stored.state;
      const current = s.phase === 'compensation' ? 'compensating' : null;
      const history = stored.history;
      return {
        id: s.id,
        type: s.type as SagaType,
        status: s.status,
        step: current ?? stepName(sagas, s.type, s.stepIndex),
        // Every saga here is keyed by its order.
        orderId: s.key,
        startedAt: s.startedAt,
        endedAt: s.endedAt,
        error: s.error,
        history: history.map((h) => ({ at: h.at, kind: h.kind, type: h.type })),
      };
    },
  );
}

function stepName(sagas: SagaOrchestrators, type: string, index: number): string | null {
  const orchestrator = Object.values(sagas).find((o) => o.def.type === type);
  return orchestrator?.def.steps[index]?.name ?? null;
}

/**
 * Records an Idempotency-Key for this user with the response it answers. Returns the earlier
 * response when the key was used with the same body; throws when it was used with another body.
 */
async function claimIdempotencyKey<R>(tx: Sql, userId: string, key: string, bodyHash: string, response: R): Promise<R | null> {
  const claimed = await tx.query(
    `insert into sagas.idempotency_keys (user_id, key, body_hash, response, created_at) values ($1, $2, $3, $4::jsonb, now())
     on conflict do nothing returning 1`,
    [userId, key, bodyHash, JSON.stringify(response)],
  );
  if (claimed.length > 0) return null;
  const [row] = await tx.query<{ body_hash: string; response: R }>(
    'select body_hash, response from sagas.idempotency_keys where user_id = $1 and key = $2',
    [userId, key],
  );
  if (!row || row.body_hash !== bodyHash) {
    throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different request body');
  }
  return row.response;
}
