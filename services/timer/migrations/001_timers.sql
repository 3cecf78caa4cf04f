create table timers.timers (
  order_id uuid primary key,
  timeout_at timestamptz not null,
  status text not null,              -- ARMED, STOPPED, FIRED
  stop_reason text,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index timers_due on timers.timers (timeout_at) where status = 'ARMED';
