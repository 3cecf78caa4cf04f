-- The one list read by status alone is the runners' list of CREATED orders: an index of those alone,
-- which stays the size of the open orders, instead of one entry per order for ever.
drop index orders.orders_status;
create index orders_available on orders.orders (created_at desc, id desc) where status = 'CREATED';
