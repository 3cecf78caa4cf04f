-- When the acceptance window of a CREATED order ends (set on CREATED, renewed when its runner gives it back).
alter table orders.orders add column accept_by timestamptz;

-- The people orders show, as the user service's events describe them, with the ratings they were given.
create table orders.people (
  user_id uuid primary key,
  name text not null default '',
  phone text,
  rating_sum int not null default 0 check (rating_sum >= 0),
  rating_count int not null default 0 check (rating_count >= 0)
);

-- One rating per party of a completed order: the customer rates the runner, the runner the customer.
create table orders.ratings (
  order_id uuid not null references orders.orders (id),
  rater_id uuid not null,
  ratee_id uuid not null,
  stars int not null check (stars between 1 and 5),
  comment text,
  created_at timestamptz not null,
  primary key (order_id, rater_id)
);
