import type { Handlers } from '@campusg/messaging';
import type { Sql } from '@campusg/platform';

/**
 * Sets the named columns of an order's row where they are still empty: the first event to state a
 * fact wins, and the same event handled again (a replay, a redelivery) changes nothing.
 */
async function setOnce(tx: Sql, orderId: string, facts: Record<string, string | number | null>): Promise<void> {
  const columns = Object.keys(facts);
  const values = Object.values(facts);
  await tx.query(
    `insert into analytics.orders (order_id, ${columns.join(', ')}) values ($1, ${columns.map((_, i) => `$${i + 2}`).join(', ')})
     on conflict (order_id) do update set ${columns.map((c) => `${c} = coalesce(analytics.orders.${c}, excluded.${c})`).join(', ')}`,
    [orderId, ...values],
  );
}

/** The analytics read model: what each order event says, at the time the event says it happened. */
export const analyticsHandlers: Handlers = {
  'order.created': (m, { tx }) => setOnce(tx, m.payload.order_id, { created_at: m.timestamp, total_cents: m.payload.total_cents }),
  'order.accepted': (m, { tx }) => setOnce(tx, m.payload.order_id, { accepted_at: m.timestamp, runner_id: m.payload.runner_id }),
  'order.status_updated': async (m, { tx }) => {
    if (m.payload.status === 'DELIVERED') await setOnce(tx, m.payload.order_id, { delivered_at: m.timestamp });
    if (m.payload.status === 'COMPLETED') await setOnce(tx, m.payload.order_id, { completed_at: m.timestamp });
  },
  'order.cancelled': (m, { tx }) => setOnce(tx, m.payload.order_id, { cancelled_at: m.timestamp, cancel_reason: m.payload.reason }),
  'payment.released': (m, { tx }) =>
    setOnce(tx, m.payload.order_id, { paid_out_cents: m.payload.amount_cents, paid_out_at: m.timestamp, runner_id: m.payload.runner_id }),
};
