import type { CancelReason, Order, OrderStatus, PaymentView, ProgressStatus } from '@campusg/contracts';
import { nextRunnerMove } from '@campusg/order-rules';

// Which buttons a page shows is decided by the order's own rules, the ones the API enforces.
export { ACTIVE_RUNNER_STATUSES, isCancellable } from '@campusg/order-rules';

/** What a customer reads for each status. */
export const STATUS_LABEL: Record<OrderStatus, string> = {
  PENDING: 'Checking payment',
  CREATED: 'Placed',
  ACCEPTED: 'Accepted',
  PLACED: 'Bought',
  ON_THE_WAY: 'On the way',
  DELIVERED: 'Delivered',
  COMPLETED: 'Completed',
  CANCELLED: 'Cancelled',
};

/** The tone of the status badge. */
export const STATUS_TONE: Record<OrderStatus, 'neutral' | 'info' | 'progress' | 'success' | 'danger'> = {
  PENDING: 'neutral',
  CREATED: 'info',
  ACCEPTED: 'progress',
  PLACED: 'progress',
  ON_THE_WAY: 'progress',
  DELIVERED: 'success',
  COMPLETED: 'success',
  CANCELLED: 'danger',
};

/** The steps the tracking page shows, in order, with the timestamp that marks each one done. */
export const STEPS: { status: OrderStatus; label: string; at: (o: Order) => string | null }[] = [
  { status: 'CREATED', label: 'Placed', at: (o) => (o.status === 'PENDING' ? null : o.createdAt) },
  { status: 'ACCEPTED', label: 'Accepted', at: (o) => o.acceptedAt },
  { status: 'PLACED', label: 'Bought', at: (o) => o.placedAt },
  { status: 'ON_THE_WAY', label: 'On the way', at: (o) => o.pickedUpAt },
  { status: 'DELIVERED', label: 'Delivered', at: (o) => o.deliveredAt },
  { status: 'COMPLETED', label: 'Completed', at: (o) => o.completedAt },
];

const STEP_INDEX: Record<OrderStatus, number> = {
  PENDING: -1,
  CREATED: 0,
  ACCEPTED: 1,
  PLACED: 2,
  ON_THE_WAY: 3,
  DELIVERED: 4,
  COMPLETED: 5,
  CANCELLED: -1,
};
export const stepIndex = (status: OrderStatus): number => STEP_INDEX[status];

/** Why an order was cancelled, in words. */
export const CANCEL_REASON_TEXT: Record<CancelReason, string> = {
  NO_PAYMENT_METHOD: 'There was no card on your account when the order was placed.',
  PAYMENT_DECLINED: 'Your card was declined, so nothing was charged.',
  CUSTOMER_CANCELLED: 'You cancelled this order. Any hold on your card was released.',
  ACCEPT_TIMEOUT: 'No runner accepted it in time. Any hold on your card was released.',
  SYSTEM_ERROR: 'A system error stopped it. Any hold on your card was released.',
};

const PROGRESS_LABEL: Record<ProgressStatus, string> = {
  PLACED: 'I bought the food',
  ON_THE_WAY: 'Start delivery',
  DELIVERED: 'Mark as delivered',
};

/** The runner's next move on an active order, with its button's label: a progress step, or completing it. */
export function nextRunnerAction(status: OrderStatus): { label: string; progress?: ProgressStatus; complete?: true } | null {
  const move = nextRunnerMove(status);
  if (!move) return null;
  return 'progress' in move
    ? { label: PROGRESS_LABEL[move.progress], progress: move.progress }
    : { label: 'Complete order', complete: true };
}

/** Where the payment stands, in words. */
export function paymentText(payment: PaymentView | null | undefined): string {
  if (!payment) return 'No payment yet';
  switch (payment.status) {
    case 'AUTHORIZED':
      return 'Held on your card';
    case 'RELEASED':
      return 'Paid';
    case 'REVERTED':
      return 'Hold released, not charged';
    case 'FAILED':
      return payment.failureCode ? `Declined (${payment.failureCode.replace(/_/g, ' ').toLowerCase()})` : 'Declined';
  }
}
