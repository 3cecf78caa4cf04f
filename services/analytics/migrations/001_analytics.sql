-- One row per order, each fact set once from the event that states it (at the event's own time),
-- so that handling the events again, in any number of passes, gives the same row.
create table analytics.orders (
  order_id uuid primary key,
  created_at timestamptz,
  total_cents bigint,
  accepted_at timestamptz,
  runner_id uuid,
  delivered_at timestamptz,
  completed_at timestamptz,
  cancelled_at timestamptz,
  cancel_reason text,
  paid_out_cents bigint,
  paid_out_at timestamptz
);
create index analytics_orders_created on analytics.orders (created_at);
