import type { CancelReason, PayloadOf, TypedMessage } from '@campusg/contracts';
import type { SagaDefinition } from '@campusg/saga';

export interface CreateOrderData {
  order: PayloadOf<'create_order'>;
  totalCents: number | null;
  paymentMethodToken: string | null;
  /** Why the order is cancelled if the saga compensates; set by the failing step. */
  cancelReason: CancelReason;
}

const payload = <T extends TypedMessage['type']>(m: TypedMessage, _type: T) => m.payload as PayloadOf<T>;

/** create-order (sagas.md): create → card → authorise → CREATED → acceptance timer. */
export const createOrderSaga: SagaDefinition<CreateOrderData> = {
  type: 'create-order',
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
      command: (d, { now, settings }) => ({
        type: 'start_order_timer',
        payload: {
          order_id: d.order.order_id,
          timeout_at: new Date(now.getTime() + settings.orderAcceptTimeoutMs).toISOString(),
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
};
