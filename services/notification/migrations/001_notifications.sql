-- Every bus message, once (by message_id): the audit log.
create table notifications.audit_log (
  seq bigserial primary key,
  message_id uuid not null unique,
  topic text not null,
  partition int not null,
  "offset" bigint not null,
  type text not null,
  source text not null,
  correlation_id uuid not null,
  causation_id uuid,
  order_id uuid,
  at timestamptz not null,
  received_at timestamptz not null,
  payload jsonb not null,
  summary text not null
);
create index audit_order on notifications.audit_log (order_id, at, seq);

create table notifications.notifications (
  id uuid primary key,
  user_id uuid not null,
  order_id uuid,
  kind text not null,
  text text not null,
  read boolean not null default false,
  at timestamptz not null,
  message_id uuid not null,
  unique (message_id, user_id)
);
create index notifications_user on notifications.notifications (user_id, at desc);

-- Users' names, as learnt from the events (to say who accepted an order).
create table notifications.user_names (user_id uuid primary key, name text not null);
