-- Ended sagas are deleted, with their history, once past their retention and settled (for CampusG:
-- their order has ended too), oldest first: this index leads the pruner to them without reading the
-- running ones or the rest.
create index instances_ended on sagas.instances (ended_at) where status in ('COMPLETED', 'COMPENSATED');
