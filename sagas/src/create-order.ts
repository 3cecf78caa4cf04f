import { type CancelReason, GROUP_TOPICS, GROUPS, type PayloadOf, type TypedMessage } from '@campusg/contracts';
import type { SagaDefinition } from '@campusg/saga';

export interface CreateOrderData {
  order: PayloadOf<'create_order'>;
  totalCents: number | null;
  paymentMethodToken: string | null;
  /** Why the order is cancelled if the saga compensates; set by the failing step. */
  cancelReason: CancelReason;
}

const payload = <T extends TypedMessage['type']>(m: TypedMessage, _type: T) => m.payload as PayloadOf<T>;

export interface CreateOrderSettings {
  /** The acceptance window (`ORDER_ACCEPT_TIMEOUT_MS`): the timer is due this long after step 5 is sent. */
  orderAcceptTimeoutMs: number;
}

/** create-order (sagas.md): create → card → authorise → CREATED → acceptance timer. */
export const createOrderSaga = ({ orderAcceptTimeoutMs }: CreateOrderSettings): SagaDefinition<CreateOrderData> => ({
  type: 'create-order',
  group: GROUPS.createOrderSaga,
  topics: GROUP_TOPICS[GROUPS.createOrderSaga],
  key: (d) => d.order.order_id,
  // At most one create-order saga per order, ever.
  businessKey: (d) => `create-order:${d.order.order_id}`,
  exclusive: true,
  // What cancel_order, revert_payment and stop_order_timer answer.
  compensationReplies: ['order.cancelled', 'order.cancel_failed', 'payment.reverted', 'payment.revert_failed', 'timer.stopped'],
  steps: [
    {
      name: 'create_order',
      command: (d) => ({ type: 'create_order', payload: d.order }),
      replies: { 'order.created': 'success', 'order.creation_failed': 'failure' },
      onSuccess: (d, m) => ({ ...d, totalCents: payload(m, 'order.created').total_cents }),
      onFailure: 'compensate',
      onTimeout: 'compensate',
      onFailed: (d) => ({ ...d, cancelReason: 'SYSTEM_ERROR' }),
      compensation: (d) => ({ type: 'cancel_order', payload: { order_id: d.order.order_id, reason: d.cancelReason } }),
    },
    {
      name: 'get_payment_info',
      command: (d) => ({ type: 'get_payment_info', payload: { user_id: d.order.customer_id } }),
      replies: { 'user.payment_info_retrieved': 'success', 'user.payment_info_failed': 'failure' },
      onSuccess: (d, m) => ({ ...d, paymentMethodToken: payload(m, 'user.payment_info_retrieved').payment_method_token }),
      onFailure: 'compensate',
      onTimeout: 'compensate',
      onFailed: (d, reply) => ({ ...d, cancelReason: reply ? 'NO_PAYMENT_METHOD' : 'SYSTEM_ERROR' }),
    },
    {
      name: 'authorize_payment',
      command: (d) => ({
        type: 'authorize_payment',
        payload: {
          order_id: d.order.order_id,
          customer_id: d.order.customer_id,
          payment_method_token: d.paymentMethodToken ?? '',
          amount_cents: d.totalCents ?? 0,
          currency: 'SGD',
        },
      }),
      replies: { 'payment.authorized': 'success', 'payment.failed': 'failure' },
      onFailure: 'compensate',
      onTimeout: 'compensate',
      onFailed: (d, reply) => ({ ...d, cancelReason: reply ? 'PAYMENT_DECLINED' : 'SYSTEM_ERROR' }),
      compensation: (d) => ({ type: 'revert_payment', payload: { order_id: d.order.order_id, reason: d.cancelReason } }),
    },
    {
      name: 'update_order_status',
      command: (d) => ({
        type: 'update_order_status',
        payload: { order_id: d.order.order_id, status: 'CREATED', expected_status: 'PENDING' },
      }),
      replies: { 'order.status_updated': 'success', 'order.status_update_failed': 'failure' },
      onFailure: 'compensate',
      onTimeout: 'compensate',
      onFailed: (d) => ({ ...d, cancelReason: 'SYSTEM_ERROR' }),
    },
    {
      name: 'start_order_timer',
      command: (d, { now }) => ({
        type: 'start_order_timer',
        payload: {
          order_id: d.order.order_id,
          timeout_at: new Date(now.getTime() + orderAcceptTimeoutMs).toISOString(),
        },
      }),
      replies: { 'timer.started': 'success', 'timer.failed': 'failure' },
      onFailure: 'compensate',
      onTimeout: 'compensate',
      onFailed: (d) => ({ ...d, cancelReason: 'SYSTEM_ERROR' }),
      // Registered only if the start timed out (it may still land): disarm it.
      compensation: (d) => ({ type: 'stop_order_timer', payload: { order_id: d.order.order_id, reason: 'CANCELLED' } }),
    },
  ],
});
