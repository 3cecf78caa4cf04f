-- The accept-order saga whose accept_order assigned the order's runner: release_runner, that saga's
-- compensation, gives the order back only when it is that saga's accept it undoes (a second accept
-- by the same runner that timed out must not undo the first one's). Null while no runner holds the
-- order, and on orders accepted before this column existed.
alter table orders.orders add column accepted_by_saga uuid;
