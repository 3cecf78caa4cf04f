import type { Sql } from '@campusg/platform';

/**
 * What the rows of orders and payments cannot show, checked from the sagas' own outcomes once a
 * schedule has settled (docs/sagas.md, the races): one winner per order, the winner is the order's
 * runner, a completed order had its completion saga, and nothing is left in flight. Orders with a
 * FAILED saga wait for an operator and are left out, as `checkInvariants` leaves them out.
 */
export async function checkSagaOutcomes(db: Sql): Promise<string[]> {
  const violations: string[] = [];
  const add = (rows: Record<string, unknown>[], what: string) => {
    for (const r of rows) violations.push(`${what}: ${JSON.stringify(r)}`);
  };
  const settled = `not exists (select 1 from sagas.instances f where f.key = o.id::text and f.status = 'FAILED')`;
  add(
    await db.query(`select id, type, status from sagas.instances where status in ('RUNNING', 'COMPENSATING')`),
    'saga still in flight once everything was delivered and every deadline passed',
  );
  add(
    await db.query(`select s.key as order_id, array_agg(s.state->'data'->>'runnerId') as runners from sagas.instances s
      where s.type = 'accept-order' and s.status = 'COMPLETED' group by s.key having count(*) > 1`),
    'more than one accept-order saga won the order',
  );
  add(
    await db.query(`select o.id, o.status, o.runner_id, s.state->'data'->>'runnerId' as winner
      from sagas.instances s join orders.orders o on o.id::text = s.key
      where s.type = 'accept-order' and s.status = 'COMPLETED' and o.runner_id::text is distinct from s.state->'data'->>'runnerId'`),
    'an accept-order saga won but the order has another runner',
  );
  add(
    await db.query(`select o.id, o.status from orders.orders o where ${settled}
      and (o.status = 'COMPLETED') <> exists (select 1 from sagas.instances s
        where s.key = o.id::text and s.type = 'complete-order' and s.status = 'COMPLETED')`),
    'order COMPLETED without its complete-order saga, or the saga without the order',
  );
  return violations;
}
