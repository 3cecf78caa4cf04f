-- "Once per order" notifications look for an earlier one of the same kind to the same user about
-- the same order. Through notifications_user that read every notification the user ever had, which
-- grows without bound for a regular customer or a busy runner; this index finds it at once.
create index notifications_order on notifications.notifications (order_id, user_id, kind);
