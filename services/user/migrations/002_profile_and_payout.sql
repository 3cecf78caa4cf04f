-- A phone the counterpart of an active order may call; the payout account's last digits and when it changed.
alter table users.users add column phone text;
alter table users.users add column payout_last4 text;
alter table users.users add column payout_updated_at timestamptz;
