import {
  availableOrdersQuery,
  GROUPS,
  idParams,
  listOrdersQuery,
  orderPage,
  orderSchema,
  progressBody,
  queriedStatuses,
  type TopicName,
} from '@campusg/contracts';
import type { ServiceDeps, Transport } from '@campusg/messaging';
import { canView, mayProgress, maySeeAvailable, type Refusal } from '@campusg/order-rules';
import { type App, AppError, type AuthHook, callerOf, type Sql } from '@campusg/platform';
import { type OrderRow, partiesOf, toOrderView } from './order.ts';
import { peopleRepository } from './order-people.ts';
import { registerRatingRoutes } from './order-rating-routes.ts';
import { orderRepository as repo } from './order-repository.ts';

const notFound = () => new AppError('NOT_FOUND', 'no such order');
const refuse = (refusal: Refusal | null) => {
  if (refusal) throw new AppError(refusal.code, refusal.message);
};

/** How long a list waits for the order service to catch up (http-api.md, Reading your own writes). */
const LIST_WAIT_MS = 15_000;

/**
 * Read your own writes for lists: waits until the order service's group has handled everything every
 * partition of `topics` held when the request came, for at most `waitMs`. A list is not about one
 * order, and the caller's orders are on any partition, so each partition is waited for up to its own
 * end at the first look, never for the moving end of a busy one. Caught up, it costs one lag lookup.
 */
export async function awaitCommandsHandled(transport: Transport, topics: TopicName[], waitMs = LIST_WAIT_MS): Promise<void> {
  const deadline = Date.now() + waitMs;
  let targets: Map<string, number> | undefined;
  for (let pause = 10; Date.now() < deadline; pause = Math.min(pause * 2, 100)) {
    const lag = await transport.lag(GROUPS.order, topics);
    targets ??= new Map(lag.map((l) => [`${l.topic}/${l.partition}`, l.end]));
    if (!lag.some((l) => l.committed < (targets!.get(`${l.topic}/${l.partition}`) ?? 0))) return;
    await new Promise((r) => setTimeout(r, pause));
  }
}

/** Orders as `viewerId` sees them, with their people (one lookup for the lot). */
async function viewsOf(tx: Sql, rows: OrderRow[], viewerId: string) {
  const people = await peopleRepository.find(
    tx,
    rows.flatMap((r) => (r.runner_id ? [r.customer_id, r.runner_id] : [r.customer_id])),
  );
  return rows.map((r) => toOrderView(r, people, viewerId));
}

/** Order reads, the runner's progress steps and the parties' ratings. */
export function registerOrderRoutes(app: App, deps: ServiceDeps, auth: AuthHook): void {
  const { db, bus } = deps;
  registerRatingRoutes(app, deps, auth);

  app.get(
    '/api/orders/available',
    {
      onRequest: auth,
      schema: { tags: ['orders'], summary: 'Orders open for runners', querystring: availableOrdersQuery, response: { 200: orderPage } },
    },
    async (req) => {
      const user = callerOf(req);
      refuse(maySeeAvailable(user));
      // An order becomes CREATED by update_order_status on order_commands.
      await awaitCommandsHandled(bus.transport, ['order_commands']);
      const page = await repo.page(db, { available: true, excludeCustomer: user.id }, req.query);
      return { items: await viewsOf(db, page.items, user.id), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/orders',
    {
      onRequest: auth,
      schema: {
        tags: ['orders'],
        summary: "The caller's orders, newest first",
        querystring: listOrdersQuery,
        response: { 200: orderPage },
      },
    },
    async (req) => {
      const user = callerOf(req);
      const { as, status, q: search, ...page } = req.query;
      const statuses = queriedStatuses(status);
      // After a 202 the order's create_order (or the accept's accept_order) is on the bus: the list
      // shows it once the order service has handled what was there when the request came.
      await awaitCommandsHandled(bus.transport, as === 'runner' ? ['order_commands'] : ['create_order_commands', 'order_commands']);
      const filter = as === 'runner' ? { runnerId: user.id, statuses, search } : { customerId: user.id, statuses, search };
      const result = await repo.page(db, filter, page);
      return { items: await viewsOf(db, result.items, user.id), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/api/orders/:id',
    {
      onRequest: auth,
      schema: { tags: ['orders'], summary: 'One order', params: idParams, response: { 200: orderSchema } },
    },
    async (req) => {
      const user = callerOf(req);
      const order = await repo.find(db, req.params.id);
      if (!order || !canView(partiesOf(order), user)) throw notFound();
      return (await viewsOf(db, [order], user.id))[0];
    },
  );

  app.post(
    '/api/orders/:id/progress',
    {
      onRequest: auth,
      schema: {
        tags: ['orders'],
        summary: 'The assigned runner moves the order one step',
        params: idParams,
        body: progressBody,
        response: { 200: orderSchema },
      },
    },
    async (req) => {
      const user = callerOf(req);
      const to = req.body.status;
      const updated = await bus.transact(async (tx, emit, now) => {
        const order = await repo.find(tx, req.params.id);
        if (!order) throw notFound();
        refuse(mayProgress(partiesOf(order), user, to));
        const row = await repo.transition(tx, order.id, [order.status], to, now, { runnerWhere: user.id });
        if (!row) throw new AppError('INVALID_TRANSITION', 'the order changed meanwhile; reload it');
        emit('order.status_updated', { order_id: row.id, status: to, previous_status: order.status, runner_id: user.id });
        return row;
      });
      return (await viewsOf(db, [updated], user.id))[0];
    },
  );
}
