import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import type { SagaDefinition } from '@campusg/saga';

export interface CancelOrderData {
  orderId: string;
  reason: 'CUSTOMER_CANCELLED' | 'ACCEPT_TIMEOUT';
}

/** cancel-order (sagas.md): cancel, release the hold, disarm the timer (a customer's cancel only). */
export const cancelOrderSaga: SagaDefinition<CancelOrderData> = {
  type: 'cancel-order',
  group: GROUPS.cancelOrderSaga,
  topics: GROUP_TOPICS[GROUPS.cancelOrderSaga],
  key: (d) => d.orderId,
  // One running cancel per order, whoever asks (the customer or the acceptance timer).
  businessKey: (d) => `cancel-order:${d.orderId}`,
  exclusive: false,
  // No step registers a compensation.
  compensationReplies: [],
  steps: [
    {
      name: 'cancel_order',
      command: (d) => ({ type: 'cancel_order', payload: { order_id: d.orderId, reason: d.reason } }),
      replies: { 'order.cancelled': 'success', 'order.cancel_failed': 'failure' },
      // ORDER_NOT_CANCELLABLE: a runner accepted first; the payment is left untouched.
      onFailure: 'compensate',
      onTimeout: 'retry',
    },
    {
      name: 'revert_payment',
      command: (d) => ({ type: 'revert_payment', payload: { order_id: d.orderId, reason: d.reason } }),
      replies: { 'payment.reverted': 'success', 'payment.revert_failed': 'failure' },
      onFailure: 'fail',
      onTimeout: 'retry',
    },
    {
      name: 'stop_order_timer',
      skip: (d) => d.reason === 'ACCEPT_TIMEOUT',
      command: (d) => ({ type: 'stop_order_timer', payload: { order_id: d.orderId, reason: 'CANCELLED' } }),
      replies: { 'timer.stopped': 'success' },
      onFailure: 'retry',
      onTimeout: 'retry',
    },
  ],
};

/**
 * The cancel to carry out once release_runner has reopened an order (`order.runner_released`),
 * given the order's cancel-order sagas, newest first. A cancel that was refused because a runner
 * held the order (ORDER_NOT_CANCELLABLE, the saga COMPENSATED) asked for something that release has
 * now made possible: the acceptance timeout (its timer has fired and never fires again, so without
 * it the reopened order would stay CREATED, its card held, for ever), or the customer's cancel (the
 * timer may have fired while it ran, its own cancel then swallowed by it). It is carried out with its
 * own reason.
 */
export const refusedBeforeRelease = (cancels: readonly { status: string; data: CancelOrderData }[]): CancelOrderData | undefined =>
  cancels.find((c) => c.status === 'COMPENSATED')?.data;

/**
 * Whether an `order.cancelled` that its own cancel-order saga ignored must be carried through by a
 * new one. A timed-out cancel_order is sent again; if the first answer was ORDER_NOT_CANCELLABLE (a
 * runner held the order), the saga ended COMPENSATED, yet a later send can still cancel the order
 * once release_runner has reopened it. Its hold must then be voided, unless another cancel-order
 * saga of the order is at work or has completed (and voided it).
 */
export const cancelledAfterGivingUp = (own: { status: string }, others: readonly { status: string }[]): boolean =>
  own.status === 'COMPENSATED' && !others.some((s) => ['RUNNING', 'COMPENSATING', 'COMPLETED'].includes(s.status));
