-- The runner's payout account a released payment was transferred to.
alter table payments.payments add column payout_account_id text;
