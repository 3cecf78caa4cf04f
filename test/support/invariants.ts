import { GROUP_TOPICS } from '@campusg/contracts';
import type { Transport } from '@campusg/messaging';
import type { Sql } from '@campusg/platform';
import { expect } from 'vitest';
import { waitFor } from './client.ts';

/**
 * Checks every invariant of docs/sagas.md over all orders in the database; returns the violations
 * (an empty list when everything holds). Reads each service's schema directly: a test-only view.
 */
export async function checkInvariants(db: Sql): Promise<string[]> {
  const violations: string[] = [];
  const add = (rows: Record<string, unknown>[], what: string) => {
    for (const r of rows) violations.push(`${what}: ${JSON.stringify(r)}`);
  };

  // 1. No order paid out twice; no payout without an authorised payment; no refund after a payout.
  add(
    await db.query(`select order_id, count(distinct transaction_id)::int as payouts from payments.ledger_entries
    where kind = 'PAYOUT' group by order_id having count(distinct transaction_id) > 1`),
    'order paid out more than once',
  );
  add(
    await db.query(`select idempotency_key from payments.gateway_operations where operation = 'transfer'
    group by idempotency_key having count(*) > 1`),
    'transfer repeated',
  );
  add(
    await db.query(`select order_id from payments.payments where status = 'RELEASED' and authorized_at is null`),
    'payout without authorisation',
  );
  add(
    await db.query(`select order_id from payments.payments where revert_method = 'REFUND' and transfer_id is not null`),
    'refund after payout',
  );
  add(
    await db.query(`select l.order_id from payments.ledger_entries l left join payments.payments p on p.order_id = l.order_id
    where l.kind = 'PAYOUT' and (p.status is distinct from 'RELEASED')`),
    'payout on a payment that is not RELEASED',
  );

  // 2. Every order ends in exactly one explained state.
  add(
    await db.query(`select o.id, o.status, p.status as payment from orders.orders o left join payments.payments p on p.order_id = o.id
    where o.status = 'COMPLETED' and p.status is distinct from 'RELEASED'`),
    'COMPLETED order without a RELEASED payment',
  );
  add(
    await db.query(`select o.id, p.status as payment from orders.orders o join payments.payments p on p.order_id = o.id
    where o.status = 'CANCELLED' and p.status not in ('REVERTED', 'FAILED')
      and not exists (select 1 from sagas.instances s where s.key = o.id::text and s.status in ('RUNNING', 'COMPENSATING'))`),
    'CANCELLED order whose payment is still held',
  );
  add(
    await db.query(`select o.id, o.status from orders.orders o
    where o.status not in ('COMPLETED', 'CANCELLED')
      and not exists (select 1 from sagas.instances s where s.key = o.id::text and s.status in ('RUNNING', 'COMPENSATING', 'FAILED'))
      and not (o.status = 'CREATED' and exists (select 1 from timers.timers t where t.order_id = o.id and t.status = 'ARMED'))
      and not (o.status in ('ACCEPTED', 'PLACED', 'ON_THE_WAY', 'DELIVERED')
               and exists (select 1 from timers.timers t where t.order_id = o.id and (t.stop_reason = 'ACCEPTED' or t.status = 'FIRED')))`),
    'order in progress without an explanation',
  );
  add(
    await db.query(`select o.id, o.status, p.status as payment from orders.orders o left join payments.payments p on p.order_id = o.id
    where o.status in ('CREATED', 'ACCEPTED', 'PLACED', 'ON_THE_WAY', 'DELIVERED') and p.status is distinct from 'AUTHORIZED'`),
    'open order without a held payment',
  );
  // An open order nobody holds must still be able to time out: its timer is live (an accept-order
  // compensation that reopened it after the window ran out hands it to a new cancel instead).
  add(
    await db.query(`select o.id, t.status as timer from orders.orders o left join timers.timers t on t.order_id = o.id
    where o.status = 'CREATED' and t.status is distinct from 'ARMED'
      and not exists (select 1 from sagas.instances s where s.key = o.id::text and s.status in ('RUNNING', 'COMPENSATING', 'FAILED'))`),
    'CREATED order without a live timer',
  );
  // A finished order's timer is never armed (a given-back order's fresh window is not restarted after a cancel).
  add(
    await db.query(`select o.id, o.status from orders.orders o join timers.timers t on t.order_id = o.id
    where o.status in ('COMPLETED', 'CANCELLED') and t.status = 'ARMED'
      and not exists (select 1 from sagas.instances s where s.key = o.id::text and s.status in ('RUNNING', 'COMPENSATING', 'FAILED'))`),
    'finished order with an armed timer',
  );
  // Money is held only for an order that is still open.
  add(
    await db.query(`select p.order_id, o.status from payments.payments p left join orders.orders o on o.id = p.order_id
    where p.status = 'AUTHORIZED' and (o.status is null or o.status in ('PENDING', 'COMPLETED', 'CANCELLED'))
      and not exists (select 1 from sagas.instances s where s.key = p.order_id::text and s.status in ('RUNNING', 'COMPENSATING', 'FAILED'))`),
    'held payment without an open order',
  );

  // 3. The ledger balances to zero per order and overall.
  add(
    await db.query(
      `select order_id, sum(amount_cents)::int as sum from payments.ledger_entries group by order_id having sum(amount_cents) <> 0`,
    ),
    'ledger unbalanced for order',
  );
  add(
    await db.query(`select sum(amount_cents)::int as sum from payments.ledger_entries having coalesce(sum(amount_cents), 0) <> 0`),
    'ledger unbalanced overall',
  );

  // 5. At most one runner; only that runner is paid.
  add(
    await db.query(`select id, status, runner_id from orders.orders
    where (status in ('ACCEPTED', 'PLACED', 'ON_THE_WAY', 'DELIVERED', 'COMPLETED')) <> (runner_id is not null)`),
    'runner assignment does not match status',
  );
  add(
    await db.query(`select o.id from orders.orders o join payments.payments p on p.order_id = o.id
    where p.status = 'RELEASED' and p.runner_id is distinct from o.runner_id`),
    'paid runner is not the assigned runner',
  );
  add(
    await db.query(
      `select o.id from orders.orders o join payments.payments p on p.order_id = o.id where p.amount_cents <> o.total_cents and p.status <> 'REVERTED'`,
    ),
    'payment amount differs from the order total',
  );
  return violations;
}

/** Waits until every consumer group has caught up and no saga step is in flight. */
export async function quiesce(db: Sql, transport: Transport, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => {
      for (const [group, topics] of Object.entries(GROUP_TOPICS)) {
        const lag = await transport.lag(group, topics);
        if (lag.some((l) => l.lag > 0)) return false;
      }
      const [busy] = await db.query<{ n: number }>(
        `select count(*)::int as n from sagas.instances where status in ('RUNNING', 'COMPENSATING') and deadline_at is not null`,
      );
      return busy?.n === 0;
    },
    'the system to settle',
    timeoutMs,
  );
}

/**
 * The end of a suite's deployment: once it has settled, every invariant holds (the test fails
 * otherwise), then it stops. A deployment that never started has nothing to check.
 */
export async function closeChecked(sys: { infra: { db: Sql; transport: Transport }; close(): Promise<void> } | undefined): Promise<void> {
  if (!sys) return;
  await quiesce(sys.infra.db, sys.infra.transport);
  expect(await checkInvariants(sys.infra.db)).toEqual([]);
  await sys.close();
}
