-- A message is recognised as seen by its audit row alone (the round writes it first and stores the
-- notifications of fresh messages only), so the notifications need no unique key of their own per
-- message. The live feed finds a message's notifications through their order, and the "once per
-- order" check reads the few notifications of one order: both need the order alone, in an index a
-- third of the size of one by order, user and kind.
alter table notifications.notifications drop constraint notifications_message_id_user_id_key;
drop index notifications.notifications_order;
create index notifications_order on notifications.notifications (order_id);
