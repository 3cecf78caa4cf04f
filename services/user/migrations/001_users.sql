create table users.users (
  id uuid primary key,
  email text not null,
  name text not null,
  password_hash text not null,
  roles text[] not null default array['customer'],
  -- The card as the sandbox gateway tokenised it: never the number or the CVC.
  card_token text,
  card_brand text,
  card_last4 text,
  card_exp_month int,
  card_exp_year int,
  payout_account_id text,
  created_at timestamptz not null
);
create unique index users_email on users.users (lower(email));

create table users.revoked_tokens (jti uuid primary key, expires_at timestamptz not null);
