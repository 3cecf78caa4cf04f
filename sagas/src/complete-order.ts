import { GROUP_TOPICS, GROUPS, type PayloadOf } from '@campusg/contracts';
import type { SagaDefinition } from '@campusg/saga';

export interface CompleteOrderData {
  orderId: string;
  runnerId: string;
  payoutAccountId: string | null;
}

/** complete-order (sagas.md): payout first, then COMPLETED. Money moves once; the status must follow. */
export const completeOrderSaga: SagaDefinition<CompleteOrderData> = {
  type: 'complete-order',
  group: GROUPS.completeOrderSaga,
  topics: GROUP_TOPICS[GROUPS.completeOrderSaga],
  key: (d) => d.orderId,
  // One payout per order, ever.
  businessKey: (d) => `complete-order:${d.orderId}`,
  exclusive: true,
  // No step registers a compensation.
  compensationReplies: [],
  steps: [
    {
      name: 'get_payout_info',
      command: (d) => ({ type: 'get_payout_info', payload: { user_id: d.runnerId } }),
      replies: { 'user.payout_info_retrieved': 'success', 'user.payout_info_failed': 'failure' },
      onSuccess: (d, m) => ({ ...d, payoutAccountId: (m.payload as PayloadOf<'user.payout_info_retrieved'>).payout_account_id }),
      onFailure: 'fail',
      onTimeout: 'retry',
    },
    {
      name: 'release_payment',
      command: (d) => ({
        type: 'release_payment',
        payload: { order_id: d.orderId, runner_id: d.runnerId, payout_account_id: d.payoutAccountId ?? '' },
      }),
      replies: { 'payment.released': 'success', 'payment.release_failed': 'failure' },
      onFailure: 'fail',
      // Release is once-only per payment, so sending it again is safe.
      onTimeout: 'retry',
    },
    {
      name: 'update_order_status',
      command: (d) => ({
        type: 'update_order_status',
        payload: { order_id: d.orderId, status: 'COMPLETED', expected_status: 'DELIVERED' },
      }),
      replies: { 'order.status_updated': 'success', 'order.status_update_failed': 'failure' },
      onFailure: 'retry',
      onTimeout: 'retry',
    },
  ],
};
