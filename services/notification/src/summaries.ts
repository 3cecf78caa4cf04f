import type { CancelReason, TypedMessage } from '@campusg/contracts';

const money = (cents: number) => `S$${(cents / 100).toFixed(2)}`;

export const CANCEL_REASON_TEXT: Record<CancelReason, string> = {
  NO_PAYMENT_METHOD: 'there was no card on your account',
  PAYMENT_DECLINED: 'your card was declined',
  CUSTOMER_CANCELLED: 'you cancelled it',
  ACCEPT_TIMEOUT: 'no runner accepted it in time',
  SYSTEM_ERROR: 'of a system error (any hold on your card was released)',
};

const STATUS_TEXT: Record<string, string> = {
  PENDING: 'pending',
  CREATED: 'open for runners',
  ACCEPTED: 'accepted',
  PLACED: 'placed at the store',
  ON_THE_WAY: 'on the way',
  DELIVERED: 'delivered',
  COMPLETED: 'completed',
  CANCELLED: 'cancelled',
};

/** One human sentence per bus message, for the order timeline. */
export function summarize(m: TypedMessage): string {
  const p = m.payload as Record<string, unknown>;
  const s = (k: string) => String(p[k] ?? '');
  const n = (k: string) => Number(p[k] ?? 0);
  switch (m.type) {
    case 'create_order':
      return 'The order was submitted for creation.';
    case 'order.created':
      return `The order was recorded: ${money(n('total_cents'))} in total (food ${money(n('food_cents'))}, delivery ${money(n('delivery_fee_cents'))}).`;
    case 'order.creation_failed':
      return `The order could not be created: ${s('message')}.`;
    case 'update_order_status':
      return `Asked to move the order to ${STATUS_TEXT[s('status')]}.`;
    case 'order.status_updated':
      return `The order is now ${STATUS_TEXT[s('status')]}.`;
    case 'order.status_update_failed':
      return `The order status could not change: ${s('message')}.`;
    case 'accept_order':
      return 'A runner asked to take the order.';
    case 'order.accepted':
      return 'A runner accepted the order.';
    case 'order.accept_failed':
      return `A runner could not take the order (${s('code')}).`;
    case 'release_runner':
      return 'Asked to release the runner from the order.';
    case 'order.runner_released':
      return 'The runner was released; the order is open again.';
    case 'order.runner_release_failed':
      return `The runner release was not needed (${s('code')}).`;
    case 'release_order':
      return 'The runner asked to give the order back.';
    case 'order.released':
      return `The runner gave the order back; it is open to runners again until ${s('accept_by')}.`;
    case 'order.release_failed':
      return `The order could not be given back (${s('code')}).`;
    case 'order.rated':
      return `${n('stars')} ${n('stars') === 1 ? 'star was' : 'stars were'} given for the order.`;
    case 'cancel_order':
      return `Asked to cancel the order (${s('reason')}).`;
    case 'order.cancelled':
      return `The order was cancelled because ${CANCEL_REASON_TEXT[s('reason') as CancelReason] ?? s('reason')}.`;
    case 'order.cancel_failed':
      return `The order could not be cancelled (${s('code')}).`;
    case 'get_payment_info':
      return "Looked up the customer's card.";
    case 'user.payment_info_retrieved':
      return `Found the customer's card (${(p.card as { brand?: string })?.brand} ending ${(p.card as { last4?: string })?.last4}).`;
    case 'user.payment_info_failed':
      return `No usable card for the customer (${s('code')}).`;
    case 'get_payout_info':
      return "Looked up the runner's payout account.";
    case 'user.payout_info_retrieved':
      return "Found the runner's payout account.";
    case 'user.payout_info_failed':
      return `No payout account for the runner (${s('code')}).`;
    case 'authorize_payment':
      return `Asked the card processor to hold ${money(n('amount_cents'))}.`;
    case 'payment.authorized':
      return `${money(n('amount_cents'))} is held on the card.`;
    case 'payment.failed':
      return `The card was not charged: ${s('code')}.`;
    case 'revert_payment':
      return 'Asked to release the hold on the card.';
    case 'payment.reverted':
      return s('method') === 'NONE'
        ? 'There was no hold to release.'
        : `The hold of ${money(n('amount_cents'))} was released (${s('method')}).`;
    case 'payment.revert_failed':
      return `The hold could not be released (${s('code')}).`;
    case 'release_payment':
      return 'Asked to capture the payment and pay the runner.';
    case 'payment.released':
      return `${money(n('amount_cents'))} was captured and paid out to the runner.`;
    case 'payment.release_failed':
      return `The payout failed (${s('code')}).`;
    case 'start_order_timer':
      return 'Asked to start the acceptance timer.';
    case 'timer.started':
      return `The acceptance window runs until ${s('timeout_at')}.`;
    case 'timer.failed':
      return `The acceptance timer could not start (${s('code')}).`;
    case 'restart_order_timer':
      return 'Asked to restart the acceptance timer for a fresh window.';
    case 'stop_order_timer':
      return `Asked to stop the acceptance timer (${s('reason')}).`;
    case 'timer.stopped':
      return p.already ? 'The acceptance timer had already stopped.' : 'The acceptance timer was stopped.';
    case 'timer.expired':
      return 'The acceptance window ended without a runner.';
    case 'user.registered':
      return 'A user signed up.';
    case 'user.profile_updated':
      return 'A user updated their profile.';
    case 'user.card_updated':
      return 'A user saved a card.';
    case 'user.card_removed':
      return 'A user removed their card.';
    case 'user.became_runner':
      return 'A user became a runner.';
    case 'user.session_revoked':
      return 'A user signed out.';
    case 'saga.started':
      return `The ${s('saga_type')} saga started.`;
    case 'saga.step_completed':
      return `The ${s('saga_type')} saga finished its ${s('step')} step.`;
    case 'saga.compensating':
      return `The ${s('saga_type')} saga is undoing its work after ${s('step')} failed.`;
    case 'saga.completed':
      return `The ${s('saga_type')} saga completed.`;
    case 'saga.compensated':
      return `The ${s('saga_type')} saga ended with everything undone.`;
    case 'saga.failed':
      return `The ${s('saga_type')} saga failed and needs an operator${p.error ? `: ${s('error')}` : ''}.`;
    default:
      return `${m.type}.`;
  }
}
