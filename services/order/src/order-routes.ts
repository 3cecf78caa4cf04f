import { availableOrdersQuery, idParams, listOrdersQuery, orderPage, orderSchema, progressBody } from '@campusg/contracts';
import type { ServiceDeps } from '@campusg/messaging';
import { AVAILABLE_STATUS, canView, mayProgress, maySeeAvailable, type Refusal } from '@campusg/order-rules';
import { type App, AppError, type AuthHook, callerOf } from '@campusg/platform';
import { partiesOf, toOrderView } from './order.ts';
import { orderRepository as repo } from './order-repository.ts';

const notFound = () => new AppError('NOT_FOUND', 'no such order');
const refuse = (refusal: Refusal | null) => {
  if (refusal) throw new AppError(refusal.code, refusal.message);
};

/** Order reads and the runner's progress steps. */
export function registerOrderRoutes(app: App, deps: ServiceDeps, auth: AuthHook): void {
  const { db, bus } = deps;

  app.get(
    '/api/orders/available',
    {
      onRequest: auth,
      schema: { tags: ['orders'], summary: 'Orders open for runners', querystring: availableOrdersQuery, response: { 200: orderPage } },
    },
    async (req) => {
      const user = callerOf(req);
      refuse(maySeeAvailable(user));
      const page = await repo.page(db, { status: AVAILABLE_STATUS, excludeCustomer: user.id }, req.query);
      return { items: page.items.map(toOrderView), nextCursor: page.nextCursor };
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
      const { as, status, ...page } = req.query;
      const filter = as === 'runner' ? { runnerId: user.id, status } : { customerId: user.id, status };
      const result = await repo.page(db, filter, page);
      return { items: result.items.map(toOrderView), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/api/orders/:id',
    {
      onRequest: auth,
      schema: { tags: ['orders'], summary: 'One order', params: idParams, response: { 200: orderSchema } },
    },
    async (req) => {
      const order = await repo.find(db, req.params.id);
      if (!order || !canView(partiesOf(order), callerOf(req))) throw notFound();
      return toOrderView(order);
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
      return toOrderView(updated);
    },
  );
}
