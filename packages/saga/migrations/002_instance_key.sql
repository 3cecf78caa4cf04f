-- Instances are keyed by their definition's `key(data)`, not by an order: the engine knows no orders.
-- Existing rows keep their values (an order id, as text), in the column and in the stored state.
drop index sagas.instances_order;
alter table sagas.instances rename column order_id to key;
alter table sagas.instances alter column key type text using key::text;
create index instances_key on sagas.instances (key);
update sagas.instances set state = (state - 'orderId') || jsonb_build_object('key', state -> 'orderId') where state ? 'orderId';
