create table orders.orders (
  id uuid primary key,
  customer_id uuid not null,
  runner_id uuid,
  store jsonb not null,
  items jsonb not null,
  delivery_location jsonb not null,
  instructions text,
  food_cents int not null check (food_cents >= 0),
  delivery_fee_cents int not null check (delivery_fee_cents >= 0),
  total_cents int not null check (total_cents = food_cents + delivery_fee_cents),
  status text not null,
  cancel_reason text,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  accepted_at timestamptz,
  placed_at timestamptz,
  picked_up_at timestamptz,
  delivered_at timestamptz,
  completed_at timestamptz,
  cancelled_at timestamptz
);
create index orders_customer on orders.orders (customer_id, created_at desc, id desc);
create index orders_runner on orders.orders (runner_id, created_at desc, id desc);
create index orders_status on orders.orders (status, created_at desc, id desc);

-- An order cancelled before its create_order arrived: the late create must not bring it to life.
create table orders.tombstones (order_id uuid primary key, at timestamptz not null);
