import type { TypedMessage } from '@campusg/contracts';
import { type Handlers, RunTogether } from '@campusg/messaging';
import { AVAILABLE_STATUS, CANCELLABLE, isSagaStatusUpdate, RELEASABLE_STATUS } from '@campusg/order-rules';
import type { OrderRow } from './order.ts';
import { peopleHandlers } from './order-people.ts';
import { orderRepository as repo } from './order-repository.ts';

/**
 * Command handlers of the order service (every command gets exactly one reply, and each is
 * idempotent), and the user events that tell it who its orders' people are. `acceptWindowMs` is the
 * acceptance window (`ORDER_ACCEPT_TIMEOUT_MS`): an order that becomes CREATED is open until then.
 * `oneAtATime`: the database runs one transaction at a time (the embedded one), so a create and a
 * cancel of one order id cannot run at once and need no lock to see each other.
 *
 * The creates and the plain status updates of one transaction run together (`RunTogether`): the
 * first create locks and inserts the orders of every create of the transaction that no other of
 * its messages names, in two statements, and the first status update moves all of theirs in one.
 */
export const orderHandlers = ({ acceptWindowMs, oneAtATime = false }: { acceptWindowMs: number; oneAtATime?: boolean }): Handlers => {
  const creates = new RunTogether<OrderRow>({
    type: 'create_order',
    async run(tx, messages) {
      const commands = (messages as TypedMessage<'create_order'>[]).map((m) => ({
        cmd: m.payload,
        // Created when the customer posted it (the command's time), whatever the order commands' partitions interleave.
        at: new Date(m.timestamp),
      }));
      if (!oneAtATime)
        await repo.lockIds(
          tx,
          commands.map((c) => c.cmd.order_id),
        );
      return repo.insertUnlessTombstoned(tx, commands);
    },
  });
  const statusUpdates = new RunTogether<OrderRow>({
    type: 'update_order_status',
    run(tx, messages, now) {
      const moves = (messages as TypedMessage<'update_order_status'>[])
        .map((m) => m.payload)
        .filter((p) => isSagaStatusUpdate(p.expected_status, p.status))
        .map((p) => ({
          id: p.order_id,
          from: p.expected_status,
          to: p.status,
          acceptBy: p.status === AVAILABLE_STATUS ? new Date(now.getTime() + acceptWindowMs) : undefined,
        }));
      return repo.transitionMany(tx, moves, now);
    },
  });
  return {
    ...peopleHandlers,
    async create_order(m, ctx) {
      const { tx, emit } = ctx;
      const cmd = m.payload;
      // The first time with the transaction's other creates; a command sent again finds its order, a cancelled one's tombstone finds none.
      const order = (await creates.for(ctx, m)) ?? (await repo.find(tx, cmd.order_id));
      if (!order) {
        emit('order.creation_failed', {
          order_id: cmd.order_id,
          code: 'INVALID_ORDER',
          message: 'the order was cancelled before it was created',
        });
        return;
      }
      if (order.customer_id !== cmd.customer_id) {
        emit('order.creation_failed', { order_id: cmd.order_id, code: 'INVALID_ORDER', message: 'an order with this id already exists' });
        return;
      }
      emit('order.created', {
        order_id: order.id,
        customer_id: order.customer_id,
        status: 'PENDING',
        food_cents: order.food_cents,
        delivery_fee_cents: order.delivery_fee_cents,
        total_cents: order.total_cents,
        store: order.store,
        items: order.items,
        delivery_location: order.delivery_location,
        instructions: order.instructions,
        created_at: new Date(order.created_at).toISOString(),
      });
    },

    async update_order_status(m, ctx) {
      const { tx, emit } = ctx;
      const { order_id, status, expected_status } = m.payload;
      const allowed = isSagaStatusUpdate(expected_status, status);
      // The usual case in one statement: the conditional update from the expected status.
      const updated = allowed ? await statusUpdates.for(ctx, m) : undefined;
      if (updated) {
        return void emit('order.status_updated', { order_id, status, previous_status: expected_status, runner_id: updated.runner_id });
      }
      const order = await repo.find(tx, order_id);
      if (!order) {
        emit('order.status_update_failed', { order_id, code: 'ORDER_NOT_FOUND', message: 'no such order' });
        return;
      }
      // Already there (a retried command): the same success reply again, no second effect.
      if (allowed && order.status === status) {
        emit('order.status_updated', { order_id, status, previous_status: expected_status, runner_id: order.runner_id });
        return;
      }
      emit('order.status_update_failed', {
        order_id,
        code: 'INVALID_TRANSITION',
        message: `cannot move ${order.status} to ${status} (expected ${expected_status})`,
      });
    },

    async accept_order(m, { tx, emit, now }) {
      const { order_id, runner_id } = m.payload;
      const order = await repo.find(tx, order_id);
      if (!order) return void emit('order.accept_failed', { order_id, runner_id, code: 'ORDER_NOT_FOUND' });
      if (order.customer_id === runner_id) return void emit('order.accept_failed', { order_id, runner_id, code: 'OWN_ORDER' });
      if (order.status === 'ACCEPTED' && order.runner_id === runner_id) {
        return void emit('order.accepted', { order_id, runner_id, customer_id: order.customer_id });
      }
      // The race is decided here: one conditional update, the first accept (or cancel) to land wins.
      const won = await repo.transition(tx, order_id, [AVAILABLE_STATUS], 'ACCEPTED', now, {
        runnerId: runner_id,
        acceptedBySaga: m.correlation_id,
      });
      if (!won) return void emit('order.accept_failed', { order_id, runner_id, code: 'ORDER_NOT_AVAILABLE' });
      emit('order.accepted', { order_id, runner_id, customer_id: order.customer_id });
    },

    async release_runner(m, { tx, emit, now }) {
      const { order_id, runner_id } = m.payload;
      // Undoes this saga's own accept only: the same runner's later accept-order saga, answered
      // `order.accepted` because the runner already held the order, must not give it back when it
      // times out (the order would be open again with its timer already stopped).
      const released = await repo.transition(tx, order_id, [RELEASABLE_STATUS], AVAILABLE_STATUS, now, {
        runnerId: null,
        runnerWhere: runner_id,
        acceptedBySagaWhere: m.correlation_id,
      });
      if (released) return void emit('order.runner_released', { order_id, runner_id });
      const order = await repo.find(tx, order_id);
      emit('order.runner_release_failed', { order_id, code: order ? 'RUNNER_NOT_ASSIGNED' : 'ORDER_NOT_FOUND' });
    },

    async release_order(m, { tx, emit, now }) {
      const { order_id, runner_id, accept_by } = m.payload;
      const acceptBy = new Date(accept_by);
      const released = await repo.transition(tx, order_id, [RELEASABLE_STATUS], AVAILABLE_STATUS, now, {
        runnerId: null,
        runnerWhere: runner_id,
        acceptBy,
      });
      const order = released ?? (await repo.find(tx, order_id));
      // Already given back by this very command (sent again): its window is the one it asked for.
      const again = !released && order?.status === AVAILABLE_STATUS && order.accept_by?.getTime() === acceptBy.getTime();
      if (order && (released || again)) {
        return void emit('order.released', { order_id, runner_id, customer_id: order.customer_id, accept_by: acceptBy.toISOString() });
      }
      emit('order.release_failed', {
        order_id,
        runner_id,
        code: order ? 'RUNNER_NOT_ASSIGNED' : 'ORDER_NOT_FOUND',
        status: order?.status ?? null,
      });
    },

    async cancel_order(m, { tx, emit, now }) {
      const { order_id, reason } = m.payload;
      if (!oneAtATime) await repo.lockIds(tx, [order_id]);
      const order = await repo.find(tx, order_id);
      if (!order) {
        await repo.tombstone(tx, order_id, now);
        return void emit('order.cancel_failed', { order_id, code: 'ORDER_NOT_FOUND', status: null });
      }
      if (order.status === 'CANCELLED') {
        // Already cancelled (a retried command, or a second canceller): the same success again.
        return void emit('order.cancelled', { order_id, reason: order.cancel_reason ?? reason, previous_status: 'CANCELLED' });
      }
      const cancelled = await repo.transition(tx, order_id, CANCELLABLE, 'CANCELLED', now, { cancelReason: reason });
      if (!cancelled) return void emit('order.cancel_failed', { order_id, code: 'ORDER_NOT_CANCELLABLE', status: order.status });
      emit('order.cancelled', { order_id, reason, previous_status: order.status });
    },
  };
};
