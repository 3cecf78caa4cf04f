import type { Clock, Db, PruneTask } from '@campusg/platform';

/**
 * The retention of the audit log (`notifications.audit_log`, which order timelines are read from):
 * entries received more than `retentionMs` ago, oldest first. Each pass reads the oldest `limit`
 * entries by their sequence (the primary key, in the order they were written) and deletes those
 * past retention, so it never scans the young rest of the table. The audit log also recognises a
 * message seen twice (by `message_id`); its retention is at least the log's, as the inbox's is.
 */
export function auditLogRetention(db: Db, clock: Clock, retentionMs: number): PruneTask {
  return {
    name: 'notifications.audit_log',
    async prune(limit) {
      const cutoff = new Date(clock.now().getTime() - retentionMs);
      const [row] = await db.query<{ n: number }>(
        `with oldest as (
           select seq, received_at from notifications.audit_log order by seq limit $2
         ), gone as (
           delete from notifications.audit_log a using oldest o where a.seq = o.seq and o.received_at < $1 returning 1
         )
         select count(*)::int as n from gone`,
        [cutoff, limit],
      );
      return row?.n ?? 0;
    },
  };
}
