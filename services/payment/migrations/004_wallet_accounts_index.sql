-- Only the accounts a wallet reads are read by account: a customer's hold and a runner's payout. The
-- card, clearing and fee entries, about half of the ledger, need no entry in that index. The
-- predicate is `WALLET_ACCOUNTS` in ledger.ts, which the wallet's statement repeats word for word.
drop index payments.ledger_account;
create index ledger_account on payments.ledger_entries (account, at) where account like '%:hold' or account like '%:payout';
