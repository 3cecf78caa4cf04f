-- Idempotency-Keys are deleted once past their retention (IDEMPOTENCY_KEY_RETENTION_MS), oldest
-- first: this index leads the pruner to them.
create index idempotency_keys_created on sagas.idempotency_keys (created_at);
