-- The last history sequence of each instance, kept in its row: a decision appends its entries
-- after it in the same statement that saves the instance, with no max(seq) lookup per step.
alter table sagas.instances add column history_seq int not null default 0;
update sagas.instances i set history_seq = h.n
  from (select saga_id, max(seq) as n from sagas.history group by saga_id) h
  where h.saga_id = i.id;
