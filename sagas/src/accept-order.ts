import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import type { SagaDefinition } from '@campusg/saga';

export interface AcceptOrderData {
  orderId: string;
  runnerId: string;
}

/** accept-order (sagas.md): the order service decides the race; the winner stops the timer. */
export const acceptOrderSaga: SagaDefinition<AcceptOrderData> = {
  type: 'accept-order',
  group: GROUPS.acceptOrderSaga,
  topics: GROUP_TOPICS[GROUPS.acceptOrderSaga],
  key: (d) => d.orderId,
  // One running accept per (order, runner): another runner may still race for the order.
  businessKey: (d) => `accept-order:${d.orderId}:${d.runnerId}`,
  exclusive: false,
  compensationReplies: ['order.runner_released', 'order.runner_release_failed'],
  steps: [
    {
      name: 'accept_order',
      command: (d) => ({ type: 'accept_order', payload: { order_id: d.orderId, runner_id: d.runnerId } }),
      replies: { 'order.accepted': 'success', 'order.accept_failed': 'failure' },
      // Lost the race: nothing to undo, the other runner keeps the order.
      onFailure: 'compensate',
      onTimeout: 'compensate',
      // Registered only after this saga's accept succeeded (or may have): releases this saga's own runner only.
      compensation: (d) => ({ type: 'release_runner', payload: { order_id: d.orderId, runner_id: d.runnerId } }),
    },
    {
      name: 'stop_order_timer',
      command: (d) => ({ type: 'stop_order_timer', payload: { order_id: d.orderId, reason: 'ACCEPTED' } }),
      replies: { 'timer.stopped': 'success' },
      onFailure: 'retry',
      onTimeout: 'retry',
    },
  ],
};
