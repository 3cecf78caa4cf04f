import type { Handlers } from '@campusg/messaging';
import type { Sql } from '@campusg/platform';

/** The facts an order's row holds, with their column types. */
const FACTS = {
  created_at: 'timestamptz',
  total_cents: 'bigint',
  accepted_at: 'timestamptz',
  runner_id: 'uuid',
  delivered_at: 'timestamptz',
  completed_at: 'timestamptz',
  cancelled_at: 'timestamptz',
  cancel_reason: 'text',
  paid_out_cents: 'bigint',
  paid_out_at: 'timestamptz',
} as const;
type Facts = Partial<Record<keyof typeof FACTS, string | number | null>>;

const COLUMNS = Object.keys(FACTS) as (keyof typeof FACTS)[];

/** Sets each order's facts where its row has none yet, one statement for every order. */
const SET_ONCE = `insert into analytics.orders (order_id, ${COLUMNS.join(', ')})
  select * from jsonb_to_recordset($1::jsonb) as x(order_id uuid, ${COLUMNS.map((c) => `${c} ${FACTS[c]}`).join(', ')})
  on conflict (order_id) do update set ${COLUMNS.map((c) => `${c} = coalesce(analytics.orders.${c}, excluded.${c})`).join(', ')}`;

/** The key of the facts' write at the commit (`Sql.atCommit`). */
const WRITE_FACTS = 'analytics:facts';

/** The facts stated in handling order, merged by order: the first to state a fact wins. */
function merged(stated: { orderId: string; facts: Facts }[]): Record<string, unknown>[] {
  const byOrder = new Map<string, Record<string, unknown>>();
  for (const { orderId, facts } of stated) {
    const row = byOrder.get(orderId.toLowerCase()) ?? { order_id: orderId };
    byOrder.set(orderId.toLowerCase(), row);
    for (const [column, value] of Object.entries(facts)) if (row[column] == null) row[column] = value;
  }
  return [...byOrder.values()];
}

/**
 * Sets the named columns of an order's row where they are still empty: the first event to state a
 * fact wins, and the same event handled again (a replay, a redelivery) changes nothing. The facts of
 * a transaction's events are written together just before its commit, one statement for them all;
 * nothing the handlers do reads them before then.
 */
async function setOnce(tx: Sql, orderId: string, facts: Facts): Promise<void> {
  const stated = { orderId, facts };
  if (tx.atCommit) return tx.atCommit(WRITE_FACTS, stated, (inner, all) => writeFacts(inner, all as (typeof stated)[]));
  await writeFacts(tx, [stated]);
}

async function writeFacts(tx: Sql, stated: { orderId: string; facts: Facts }[]): Promise<void> {
  await tx.query(SET_ONCE, [JSON.stringify(merged(stated))]);
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
