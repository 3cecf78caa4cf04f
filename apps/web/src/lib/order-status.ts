import type { CancelReason, Order, OrderStatus, PaymentView, ProgressStatus } from '@campusg/contracts';

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

/** A customer may cancel until a runner accepts. */
export const isCancellable = (status: OrderStatus): boolean => status === 'PENDING' || status === 'CREATED';

/** The runner's orders still in their hands. */
export const ACTIVE_RUNNER_STATUSES = ['ACCEPTED', 'PLACED', 'ON_THE_WAY', 'DELIVERED'] as const satisfies readonly OrderStatus[];

/** The runner's next move on an active order: a progress step, or completing it. */
export function nextRunnerAction(status: OrderStatus): { label: string; progress?: ProgressStatus; complete?: true } | null {
  switch (status) {
    case 'ACCEPTED':
      return { label: 'I bought the food', progress: 'PLACED' };
    case 'PLACED':
      return { label: 'Start delivery', progress: 'ON_THE_WAY' };
    case 'ON_THE_WAY':
      return { label: 'Mark as delivered', progress: 'DELIVERED' };
    case 'DELIVERED':
      return { label: 'Complete order', complete: true };
    default:
      return null;
  }
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
