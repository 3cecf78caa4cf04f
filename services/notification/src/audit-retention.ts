import { type Clock, type Db, olderThan, type PruneTask, pruneStatement } from '@campusg/platform';

/**
 * The retention of the audit log (`notifications.audit_log`, which order timelines are read from):
 * entries received more than `retentionMs` ago, oldest first. Each pass reads the oldest `limit`
 * entries by their sequence (the primary key, in the order they were written) and deletes those
 * past retention, so it never scans the young rest of the table. The audit log also recognises a
 * message seen twice (by `message_id`); its retention is at least the log's, as the inbox's is.
 *
 * An ended order's view (`notifications.order_view`, `COMPLETED` or `CANCELLED`) goes in the same
 * statement as the last entry of its timeline. The view is what the service reads to push an order
 * live, to find whom to notify and to let an order's parties read its timeline: an ended order takes
 * no more changes and has no more notices, and with its timeline gone nothing reads it again. A copy
 * of one of its messages can no longer come either, the audit log's retention being at least the
 * log's. A view is only written with an entry of its order, so every ended view's last entry comes.
 */
export function auditLogRetention(db: Db, clock: Clock, retentionMs: number): PruneTask {
  // The statement's snapshot still holds the entries it deletes: those are left out of "what is left".
  return pruneStatement(
    db,
    'notifications.audit_log',
    olderThan(clock, retentionMs),
    `with oldest as (
       select seq, received_at from notifications.audit_log order by seq limit $2
     ), gone as (
       delete from notifications.audit_log a using oldest o where a.seq = o.seq and o.received_at < $1 returning a.seq, a.order_id
     ), views as (
       delete from notifications.order_view v
       where v.order_id in (select order_id from gone) and v.status in ('COMPLETED', 'CANCELLED')
         and not exists (select 1 from notifications.audit_log a where a.order_id = v.order_id and a.seq not in (select seq from gone))
     )
     select count(*)::int as n from gone`,
  );
}
