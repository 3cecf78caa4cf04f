import { createHash } from 'node:crypto';
import type { Handlers } from '@campusg/messaging';
import type { Clock, IdGenerator } from '@campusg/platform';
import { entriesFor } from './ledger.ts';
import { PaymentBook, type PaymentRow } from './payment-book.ts';
import type { PaymentGateway } from './sandbox-gateway.ts';

/**
 * The payment id of an order: a name-based UUID (version 5 layout) of the order id, the same on every
 * attempt. Every gateway call's idempotency key is `<payment id>:<operation>`, so a retry after a
 * crash between the processor's answer and the commit asks with the key it asked with before, and a
 * real processor answers it from its own records instead of holding the money again.
 */
export function paymentIdFor(orderId: string): string {
  const h = createHash('sha1').update(`campusg:payment:${orderId}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** An order's payment not stored yet, created `now`: `fields` over one that has nothing else. */
function newPayment(orderId: string, now: Date, fields: Partial<PaymentRow> & Pick<PaymentRow, 'amount_cents' | 'status'>): PaymentRow {
  return {
    id: paymentIdFor(orderId),
    order_id: orderId,
    customer_id: null,
    runner_id: null,
    revert_method: null,
    failure_code: null,
    authorization_ref: null,
    transfer_id: null,
    payout_account_id: null,
    authorized_at: null,
    released_at: null,
    reverted_at: null,
    created_at: now,
    updated_at: now,
    ...fields,
  };
}

/**
 * The payment service's commands. One payment per order; release pays out once whatever happens;
 * a released payment is never reverted; every gateway call is keyed by payment id and operation.
 * The payments of a transaction's messages are read together and written at its commit
 * (`PaymentBook`); each gateway call is made as its message is handled.
 */
export function paymentHandlers(deps: { gateway: PaymentGateway; clock: Clock; ids: IdGenerator; platformFeeCents: number }): Handlers {
  const { gateway, ids } = deps;
  return {
    async authorize_payment(m, ctx) {
      const { tx, emit, now } = ctx;
      const p = m.payload;
      const book = PaymentBook.of(ctx, m);
      const existing = await book.payment(p.order_id);
      if (existing) {
        if (existing.status === 'AUTHORIZED' || existing.status === 'RELEASED') {
          return void emit('payment.authorized', { payment_id: existing.id, order_id: p.order_id, amount_cents: existing.amount_cents });
        }
        const code = existing.status === 'FAILED' ? (existing.failure_code as 'CARD_DECLINED') : 'GATEWAY_ERROR';
        const message =
          existing.status === 'FAILED' ? 'the card was declined' : 'the order was cancelled before its payment was authorised';
        return void emit('payment.failed', { order_id: p.order_id, code, message });
      }
      if (p.amount_cents <= 0)
        return void emit('payment.failed', { order_id: p.order_id, code: 'INVALID_AMOUNT', message: 'amount must be positive' });
      const paymentId = paymentIdFor(p.order_id);
      const result = await gateway.authorize(tx, `${paymentId}:authorize`, p.payment_method_token, p.amount_cents);
      book.keep(
        newPayment(p.order_id, now, {
          customer_id: p.customer_id,
          amount_cents: p.amount_cents,
          status: result.approved ? 'AUTHORIZED' : 'FAILED',
          failure_code: result.approved ? null : result.declineCode,
          authorization_ref: result.approved ? result.reference : null,
          authorized_at: result.approved ? now : null,
        }),
      );
      if (!result.approved) {
        return void emit('payment.failed', {
          order_id: p.order_id,
          code: result.declineCode,
          message: `the card was declined (${result.declineCode})`,
        });
      }
      const entries = entriesFor('HOLD', { customerId: p.customer_id, amountCents: p.amount_cents });
      book.post({ transactionId: ids.uuid(), orderId: p.order_id, kind: 'HOLD', entries, at: now });
      emit('payment.authorized', { payment_id: paymentId, order_id: p.order_id, amount_cents: p.amount_cents });
    },

    async revert_payment(m, ctx) {
      const { tx, emit, now } = ctx;
      const { order_id } = m.payload;
      const book = PaymentBook.of(ctx, m);
      const payment = await book.payment(order_id);
      if (!payment) {
        // Nothing to revert yet: leave a REVERTED marker so a late authorisation is refused, never orphaned.
        const marker = newPayment(order_id, now, { amount_cents: 0, status: 'REVERTED', revert_method: 'NONE', reverted_at: now });
        book.keep(marker);
        return void emit('payment.reverted', { payment_id: marker.id, order_id, amount_cents: 0, method: 'NONE' });
      }
      switch (payment.status) {
        case 'RELEASED':
          return void emit('payment.revert_failed', { order_id, code: 'ALREADY_RELEASED' });
        case 'REVERTED':
          return void emit('payment.reverted', {
            payment_id: payment.id,
            order_id,
            amount_cents: payment.amount_cents,
            method: payment.revert_method ?? 'NONE',
          });
        case 'FAILED':
          return void emit('payment.reverted', { payment_id: payment.id, order_id, amount_cents: 0, method: 'NONE' });
        case 'AUTHORIZED': {
          await gateway.void(tx, `${payment.id}:void`, payment.authorization_ref ?? '');
          book.keep({ ...payment, status: 'REVERTED', revert_method: 'VOID', reverted_at: now, updated_at: now });
          const entries = entriesFor('HOLD_RELEASED', { customerId: payment.customer_id!, amountCents: payment.amount_cents });
          book.post({ transactionId: ids.uuid(), orderId: order_id, kind: 'HOLD_RELEASED', entries, at: now });
          return void emit('payment.reverted', { payment_id: payment.id, order_id, amount_cents: payment.amount_cents, method: 'VOID' });
        }
      }
    },

    async release_payment(m, ctx) {
      const { tx, emit, now } = ctx;
      const { order_id, runner_id, payout_account_id } = m.payload;
      const book = PaymentBook.of(ctx, m);
      const payment = await book.payment(order_id);
      if (!payment || payment.status === 'FAILED') return void emit('payment.release_failed', { order_id, code: 'NOT_AUTHORIZED' });
      if (payment.status === 'REVERTED') return void emit('payment.release_failed', { order_id, code: 'ALREADY_REVERTED' });
      if (payment.status === 'RELEASED') {
        // Once per payment: the same answer again, no money moves.
        return void emit('payment.released', {
          payment_id: payment.id,
          order_id,
          runner_id: payment.runner_id!,
          amount_cents: payment.amount_cents,
          transfer_id: payment.transfer_id!,
        });
      }
      const ref = payment.authorization_ref ?? '';
      const capture = await gateway.capture(tx, `${payment.id}:capture`, ref, payment.amount_cents);
      const fee = Math.min(deps.platformFeeCents, payment.amount_cents);
      const transfer = await gateway.transfer(tx, `${payment.id}:transfer`, payout_account_id, payment.amount_cents - fee);
      if (!capture.approved || !transfer.approved) return void emit('payment.release_failed', { order_id, code: 'GATEWAY_ERROR' });
      book.keep({
        ...payment,
        status: 'RELEASED',
        runner_id,
        transfer_id: transfer.reference,
        released_at: now,
        updated_at: now,
        payout_account_id,
      });
      const customerId = payment.customer_id!;
      const charge = entriesFor('CHARGE', { customerId, amountCents: payment.amount_cents });
      book.post({ transactionId: ids.uuid(), orderId: order_id, kind: 'CHARGE', entries: charge, at: now });
      const payout = entriesFor('PAYOUT', { customerId, runnerId: runner_id, amountCents: payment.amount_cents, feeCents: fee });
      book.post({ transactionId: ids.uuid(), orderId: order_id, kind: 'PAYOUT', entries: payout, at: now });
      emit('payment.released', {
        payment_id: payment.id,
        order_id,
        runner_id,
        amount_cents: payment.amount_cents,
        transfer_id: transfer.reference,
      });
    },
  };
}
