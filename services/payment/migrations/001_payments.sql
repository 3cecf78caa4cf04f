create table payments.payments (
  id uuid primary key,
  order_id uuid not null unique,          -- one payment per order
  customer_id uuid,
  runner_id uuid,
  amount_cents int not null check (amount_cents >= 0),
  status text not null,                   -- AUTHORIZED, RELEASED, REVERTED, FAILED
  revert_method text,                     -- VOID, REFUND, NONE
  failure_code text,
  authorization_ref text,
  transfer_id text,
  authorized_at timestamptz,
  released_at timestamptz,
  reverted_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null
);

-- The sandbox gateway's own records: every call carries an idempotency key, so a retry replays the first answer.
create table payments.gateway_operations (
  idempotency_key text primary key,
  operation text not null,
  amount_cents int not null,
  approved boolean not null,
  reference text,
  decline_code text,
  created_at timestamptz not null
);

-- Double-entry ledger: every transaction's entries sum to zero.
create table payments.ledger_entries (
  id bigserial primary key,
  transaction_id uuid not null,
  order_id uuid not null,
  account text not null,
  amount_cents int not null,
  kind text not null,                     -- HOLD, HOLD_RELEASED, CHARGE, PAYOUT
  at timestamptz not null
);
create index ledger_account on payments.ledger_entries (account, at);
create index ledger_order on payments.ledger_entries (order_id);
