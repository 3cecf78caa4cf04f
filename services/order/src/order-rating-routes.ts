import { idParams, ratingBody, ratingView } from '@campusg/contracts';
import type { ServiceDeps } from '@campusg/messaging';
import { mayRate } from '@campusg/order-rules';
import { type App, AppError, type AuthHook, callerOf } from '@campusg/platform';
import { partiesOf } from './order.ts';
import { peopleRepository, ratingOf } from './order-people.ts';
import { orderRepository as repo } from './order-repository.ts';

/**
 * `POST /api/orders/{id}/rating`: the customer rates the runner, the runner the customer, once per
 * person and order after completion. The rated person's total changes in the same transaction
 * (the rater reads their own write at once); `order.rated` tells the other services.
 */
export function registerRatingRoutes(app: App, deps: ServiceDeps, auth: AuthHook): void {
  app.post(
    '/api/orders/:id/rating',
    {
      onRequest: auth,
      schema: {
        tags: ['orders'],
        summary: 'Rate the other party of a completed order',
        params: idParams,
        body: ratingBody,
        response: { 201: ratingView },
      },
    },
    async (req, reply) => {
      const user = callerOf(req);
      const { stars, comment } = req.body;
      const view = await deps.bus.transact(async (tx, emit, now) => {
        const order = await repo.find(tx, req.params.id);
        const decision = mayRate(order && partiesOf(order), user);
        if ('code' in decision) throw new AppError(decision.code, decision.message);
        const [rated] = await tx.query(
          `insert into orders.ratings (order_id, rater_id, ratee_id, stars, comment, created_at) values ($1, $2, $3, $4, $5, $6)
           on conflict do nothing returning 1`,
          [req.params.id, user.id, decision.rateeId, stars, comment || null, now],
        );
        if (!rated) throw new AppError('ALREADY_RATED', 'you have already rated this order');
        const ratee = await peopleRepository.addRating(tx, decision.rateeId, stars);
        emit('order.rated', { order_id: req.params.id, rater_id: user.id, ratee_id: decision.rateeId, stars });
        return {
          orderId: req.params.id,
          raterId: user.id,
          rateeId: decision.rateeId,
          stars,
          comment: comment || null,
          createdAt: now.toISOString(),
          rateeRating: ratingOf(ratee),
        };
      });
      return reply.code(201).send(view);
    },
  );
}
