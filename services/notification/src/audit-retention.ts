import { type Clock, type Db, olderThan, type PruneTask, pruneStatement } from '@campusg/platform';

/**
 * The retention of the audit log (`notifications.audit_log`, which order timelines are read from):
 * entries received more than `retentionMs` ago, oldest first. Each pass reads the oldest `limit`
 * entries by their sequence (the primary key, in the order they were written) and deletes those
 * past retention, so it never scans the young rest of the table. The audit log also recognises a
 * message seen twice (by `message_id`); its retention is at least the log's, as the inbox's is.
 */
export function auditLogRetention(db: Db, clock: Clock, retentionMs: number): PruneTask {
  return pruneStatement(
    db,
    'notifications.audit_log',
    olderThan(clock, retentionMs),
    `with oldest as (
       select seq, received_at from notifications.audit_log order by seq limit $2
     ), gone as (
       delete from notifications.audit_log a using oldest o where a.seq = o.seq and o.received_at < $1 returning 1
     )
     select count(*)::int as n from gone`,
  );
}

/**
 * The retention of the views of ended orders (`notifications.order_view`): an order that ended —
 * `COMPLETED` or `CANCELLED` — whose last change is older than `retentionMs` (the audit log's) goes
 * with its timeline, once no entry of that is left (a rating after the end keeps it). The view is
 * what the service reads to push an order live, to find who to notify and to let an order's
 * parties read its timeline. An ended order takes no more changes and has no more notices. A copy
 * of one of its messages can no longer come either: the audit log's retention is at least the log's.
 */
export function endedOrderViewRetention(db: Db, clock: Clock, retentionMs: number): PruneTask {
  return pruneStatement(
    db,
    'notifications.order_view',
    olderThan(clock, retentionMs),
    `with oldest as (
       select order_id from notifications.order_view v
       where status in ('COMPLETED', 'CANCELLED') and updated_at < $1
         and not exists (select 1 from notifications.audit_log a where a.order_id = v.order_id)
       order by updated_at limit $2
     ), gone as (
       delete from notifications.order_view v using oldest o where v.order_id = o.order_id returning 1
     )
     select count(*)::int as n from gone`,
  );
}
