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
 * Whether an order that release_runner has just reopened (`order.runner_released`) must be
 * cancelled for ACCEPT_TIMEOUT at once, given the data of every cancel-order saga the order has had.
 * A cancel for ACCEPT_TIMEOUT exists only once the order's timer has fired, so the acceptance window
 * is behind the order; if that cancel found the order ACCEPTED, it gave up and the fired timer never
 * fires again. Without a new cancel the reopened order would stay CREATED, its card held, for ever.
 */
export const expiredBeforeRelease = (cancels: readonly CancelOrderData[]): boolean => cancels.some((c) => c.reason === 'ACCEPT_TIMEOUT');
