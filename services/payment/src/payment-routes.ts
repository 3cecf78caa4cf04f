import { GROUPS, idParams, paymentView, walletView } from '@campusg/contracts';
import { behindCheck, type ServiceDeps } from '@campusg/messaging';
import { isPartyTo } from '@campusg/order-rules';
import { partiesView, readOrderView } from '@campusg/order-view';
import { type App, AppError, type AuthHook, callerOf } from '@campusg/platform';
import { account, WALLET_ACCOUNTS } from './ledger.ts';
import type { PaymentRow } from './payment-book.ts';

/** The payment service's read model of orders: it checks who an order concerns, so that is all it keeps. */
export const PAYMENT_ORDERS = partiesView('payments');

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** A user's wallet: the entries of their hold and payout accounts ($1, $2), newest first. */
export const WALLET_SQL = `select at, kind, amount_cents, order_id, account from payments.ledger_entries
  where (account = $1 or account = $2) and ${WALLET_ACCOUNTS} order by at desc, id desc`;

/** An order's payment, and the caller's wallet (computed from the ledger). */
export function registerPaymentRoutes(app: App, deps: ServiceDeps, auth: AuthHook): void {
  const { db } = deps;

  app.get(
    '/api/orders/:id/payment',
    {
      onRequest: auth,
      schema: { tags: ['payments'], summary: "An order's payment", params: idParams, response: { 200: paymentView } },
    },
    async (req) => {
      const user = callerOf(req);
      const behind = behindCheck(deps.bus.transport, GROUPS.paymentOrderView, 'order_events', req.params.id, deps.config.partitions);
      const order = await readOrderView(db, PAYMENT_ORDERS, req.params.id, (o) => isPartyTo(o, user), behind);
      if (!order || !isPartyTo(order, user)) throw new AppError('NOT_FOUND', 'no such order');
      const [p] = await db.query<PaymentRow>('select * from payments.payments where order_id = $1', [req.params.id]);
      if (!p) throw new AppError('NOT_FOUND', 'this order has no payment yet');
      return {
        orderId: p.order_id,
        status: p.status,
        amountCents: p.amount_cents,
        authorizedAt: iso(p.authorized_at),
        releasedAt: iso(p.released_at),
        revertedAt: iso(p.reverted_at),
        failureCode: p.failure_code,
        // Where the money went is the paid runner's business only.
        payoutAccountId: p.runner_id === user.id ? p.payout_account_id : null,
      };
    },
  );

  app.get(
    '/api/wallet',
    {
      onRequest: auth,
      schema: { tags: ['payments'], summary: "The caller's money: holds, charges, payouts", response: { 200: walletView } },
    },
    async (req) => {
      const user = callerOf(req);
      const hold = account.hold(user.id);
      const payout = account.payout(user.id);
      const rows = await db.query<{
        at: Date;
        kind: 'HOLD' | 'HOLD_RELEASED' | 'CHARGE' | 'PAYOUT';
        amount_cents: number;
        order_id: string;
        account: string;
      }>(WALLET_SQL, [hold, payout]);
      let heldCents = 0;
      let spentCents = 0;
      let earnedCents = 0;
      for (const r of rows) {
        if (r.account === hold) heldCents += r.amount_cents;
        if (r.account === hold && r.kind === 'CHARGE') spentCents -= r.amount_cents;
        if (r.account === payout) earnedCents += r.amount_cents;
      }
      return {
        balanceCents: earnedCents,
        earnedCents,
        spentCents,
        heldCents,
        transactions: rows.map((r) => ({ at: iso(r.at)!, kind: r.kind, amountCents: Math.abs(r.amount_cents), orderId: r.order_id })),
      };
    },
  );
}
