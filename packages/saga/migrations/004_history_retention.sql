-- The history of ended sagas is deleted once past its retention (SAGA_HISTORY_RETENTION_MS), oldest
-- first: this index leads the pruner to it without reading the rest.
create index history_at on sagas.history (at);
