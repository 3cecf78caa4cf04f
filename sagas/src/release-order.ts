import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import type { SagaDefinition } from '@campusg/saga';

export interface ReleaseOrderData {
  orderId: string;
  runnerId: string;
  /** The end of the fresh acceptance window, fixed when the runner asked, so a re-sent step asks the same. */
  acceptBy: string;
}

/**
 * release-order (sagas.md): the assigned runner gives the order back before buying the food. The
 * order service reopens it (only for this runner, only while ACCEPTED); then the acceptance timer is
 * armed again for a fresh window. The hold on the customer's card stays as it is, so no money moves.
 */
export const releaseOrderSaga: SagaDefinition<ReleaseOrderData> = {
  type: 'release-order',
  group: GROUPS.releaseOrderSaga,
  topics: GROUP_TOPICS[GROUPS.releaseOrderSaga],
  key: (d) => d.orderId,
  // One running release per order: only its one runner can ask.
  businessKey: (d) => `release-order:${d.orderId}`,
  exclusive: false,
  // No step registers a compensation: reopening is the undoing of an accept, and the timer only follows it.
  compensationReplies: [],
  steps: [
    {
      name: 'release_order',
      command: (d) => ({ type: 'release_order', payload: { order_id: d.orderId, runner_id: d.runnerId, accept_by: d.acceptBy } }),
      replies: { 'order.released': 'success', 'order.release_failed': 'failure' },
      // The runner no longer holds the order (it moved on to PLACED first): nothing changed, nothing to undo.
      onFailure: 'compensate',
      // Giving back is idempotent per window (the same accept_by answers the same), so asking again is safe.
      onTimeout: 'retry',
    },
    {
      name: 'restart_order_timer',
      command: (d) => ({ type: 'restart_order_timer', payload: { order_id: d.orderId, timeout_at: d.acceptBy } }),
      // timer.failed: the customer cancelled the reopened order first; its timer stays stopped, which is right.
      replies: { 'timer.started': 'success', 'timer.failed': 'success' },
      onFailure: 'retry',
      onTimeout: 'retry',
    },
  ],
};
