import { createHash } from 'node:crypto';
import type { Handlers } from '@campusg/messaging';
import type { Clock, IdGenerator, Sql } from '@campusg/platform';
import { entriesFor, post } from './ledger.ts';
import type { PaymentGateway } from './sandbox-gateway.ts';

export interface PaymentRow {
  id: string;
  order_id: string;
  customer_id: string | null;
  runner_id: string | null;
  amount_cents: number;
  status: 'AUTHORIZED' | 'RELEASED' | 'REVERTED' | 'FAILED';
  revert_method: 'VOID' | 'REFUND' | 'NONE' | null;
  failure_code: string | null;
  authorization_ref: string | null;
  transfer_id: string | null;
  payout_account_id: string | null;
  authorized_at: Date | null;
  released_at: Date | null;
  reverted_at: Date | null;
}

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

export const findPayment = async (tx: Sql, orderId: string) =>
  (await tx.query<PaymentRow>('select * from payments.payments where order_id = $1 for update', [orderId]))[0];

/**
 * The payment service's commands. One payment per order; release pays out once whatever happens;
 * a released payment is never reverted; every gateway call is keyed by payment id and operation.
 */
export function paymentHandlers(deps: { gateway: PaymentGateway; clock: Clock; ids: IdGenerator; platformFeeCents: number }): Handlers {
  const { gateway, ids } = deps;
  return {
    async authorize_payment(m, { tx, emit, now }) {
      const p = m.payload;
      const existing = await findPayment(tx, p.order_id);
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
      await tx.query(
        `insert into payments.payments (id, order_id, customer_id, amount_cents, status, failure_code, authorization_ref,
           authorized_at, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
        [
          paymentId,
          p.order_id,
          p.customer_id,
          p.amount_cents,
          result.approved ? 'AUTHORIZED' : 'FAILED',
          result.approved ? null : result.declineCode,
          result.approved ? result.reference : null,
          result.approved ? now : null,
          now,
        ],
      );
      if (!result.approved) {
        return void emit('payment.failed', {
          order_id: p.order_id,
          code: result.declineCode,
          message: `the card was declined (${result.declineCode})`,
        });
      }
      await post(tx, ids.uuid(), p.order_id, 'HOLD', entriesFor('HOLD', { customerId: p.customer_id, amountCents: p.amount_cents }), now);
      emit('payment.authorized', { payment_id: paymentId, order_id: p.order_id, amount_cents: p.amount_cents });
    },

    async revert_payment(m, { tx, emit, now }) {
      const { order_id } = m.payload;
      const payment = await findPayment(tx, order_id);
      if (!payment) {
        // Nothing to revert yet: leave a REVERTED marker so a late authorisation is refused, never orphaned.
        const id = paymentIdFor(order_id);
        await tx.query(
          `insert into payments.payments (id, order_id, amount_cents, status, revert_method, reverted_at, created_at, updated_at)
           values ($1, $2, 0, 'REVERTED', 'NONE', $3, $3, $3)`,
          [id, order_id, now],
        );
        return void emit('payment.reverted', { payment_id: id, order_id, amount_cents: 0, method: 'NONE' });
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
          await tx.query(
            `update payments.payments set status = 'REVERTED', revert_method = 'VOID', reverted_at = $2, updated_at = $2 where id = $1`,
            [payment.id, now],
          );
          const entries = entriesFor('HOLD_RELEASED', { customerId: payment.customer_id!, amountCents: payment.amount_cents });
          await post(tx, ids.uuid(), order_id, 'HOLD_RELEASED', entries, now);
          return void emit('payment.reverted', { payment_id: payment.id, order_id, amount_cents: payment.amount_cents, method: 'VOID' });
        }
      }
    },

    async release_payment(m, { tx, emit, now }) {
      const { order_id, runner_id, payout_account_id } = m.payload;
      const payment = await findPayment(tx, order_id);
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
      await tx.query(
        `update payments.payments set status = 'RELEASED', runner_id = $2, transfer_id = $3, released_at = $4, updated_at = $4,
           payout_account_id = $5 where id = $1`,
        [payment.id, runner_id, transfer.reference, now, payout_account_id],
      );
      const customerId = payment.customer_id!;
      await post(tx, ids.uuid(), order_id, 'CHARGE', entriesFor('CHARGE', { customerId, amountCents: payment.amount_cents }), now);
      await post(
        tx,
        ids.uuid(),
        order_id,
        'PAYOUT',
        entriesFor('PAYOUT', { customerId, runnerId: runner_id, amountCents: payment.amount_cents, feeCents: fee }),
        now,
      );
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
