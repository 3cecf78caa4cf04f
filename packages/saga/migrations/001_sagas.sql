create table sagas.instances (
  id uuid primary key,
  type text not null,
  order_id uuid not null,
  business_key text not null,
  exclusive boolean not null,
  status text not null,
  deadline_at timestamptz,
  started_by uuid,
  state jsonb not null,
  version int not null default 0,
  started_at timestamptz not null,
  ended_at timestamptz,
  updated_at timestamptz not null
);
-- One saga per business key: for ever (exclusive) or while it is active.
create unique index instances_business_key on sagas.instances (business_key)
  where exclusive or status in ('RUNNING', 'COMPENSATING');
create index instances_due on sagas.instances (type, deadline_at) where status in ('RUNNING', 'COMPENSATING');
create index instances_order on sagas.instances (order_id);
create index instances_status on sagas.instances (status, type);

create table sagas.history (
  saga_id uuid not null references sagas.instances (id),
  seq int not null,
  at timestamptz not null,
  kind text not null,
  type text not null,
  message_id uuid,
  note text,
  primary key (saga_id, seq)
);

create table sagas.idempotency_keys (
  user_id uuid not null,
  key text not null,
  body_hash text not null,
  response jsonb not null,
  created_at timestamptz not null,
  primary key (user_id, key)
);
