import type { AnalyticsFigures } from '@campusg/contracts';
import type { Sql } from '@campusg/platform';

const seconds = (from: string, to: string) => `round(avg(extract(epoch from (${to} - ${from}))))::int`;

/** The figures the console draws, computed from the read model (the same rows give the same figures). */
export async function analyticsFigures(db: Sql): Promise<AnalyticsFigures> {
  const hourly = await db.query<{ hour: string; created: number; completed: number; cancelled: number }>(
    `with hours as (
       select date_trunc('hour', created_at) as hour, 'created' as what from analytics.orders where created_at is not null
       union all select date_trunc('hour', completed_at), 'completed' from analytics.orders where completed_at is not null
       union all select date_trunc('hour', cancelled_at), 'cancelled' from analytics.orders where cancelled_at is not null)
     select to_char(hour at time zone 'UTC', 'YYYY-MM-DD"T"HH24":00:00Z"') as hour,
       count(*) filter (where what = 'created')::int as created, count(*) filter (where what = 'completed')::int as completed,
       count(*) filter (where what = 'cancelled')::int as cancelled
     from hours group by hour order by hour`,
  );
  const [times] = await db.query<{ orders: number; acceptance_s: number | null; delivery_s: number | null }>(
    `select count(created_at)::int as orders,
       ${seconds('created_at', 'accepted_at')} as acceptance_s, ${seconds('accepted_at', 'delivered_at')} as delivery_s
     from analytics.orders`,
  );
  const cancellations = await db.query<{ reason: string; count: number }>(
    `select cancel_reason as reason, count(*)::int as count from analytics.orders
     where cancel_reason is not null group by cancel_reason order by count desc, reason`,
  );
  const runners = await db.query<{ runnerId: string; orders: number; earnedCents: number }>(
    `select runner_id as "runnerId", count(*)::int as orders, sum(paid_out_cents)::bigint::float8 as "earnedCents" from analytics.orders
     where paid_out_cents is not null group by runner_id order by "earnedCents" desc, "runnerId" limit 20`,
  );
  return {
    hourly,
    orders: times?.orders ?? 0,
    acceptanceSeconds: times?.acceptance_s ?? null,
    deliverySeconds: times?.delivery_s ?? null,
    cancellations,
    runners,
  };
}
