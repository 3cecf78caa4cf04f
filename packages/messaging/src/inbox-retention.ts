import type { Db, PruneTask } from '@campusg/platform';

/** SQL for the index the inbox's retention deletes by; part of every service's migrations. */
export function inboxRetentionSql(schema: string): string {
  return `create index if not exists inbox_processed on ${schema}.inbox (processed_at);`;
}

/**
 * The retention of a service's inbox (`<schema>.inbox`): rows handled more than `retentionMs` ago.
 *
 * An inbox row exists to recognise a second copy of a message its group handled. A copy can only
 * come from a log: a record delivered again because its offset was not committed, or a second
 * record of the same message (an outbox row published twice, a dead letter replayed). Either copy
 * is a record in the log, and the log keeps a record for its topic's retention
 * (`BUS_LOG_RETENTION_MS`). The row is written when the group handles the first copy, which is
 * after that copy was appended; so with `retentionMs` at least the log's retention (the
 * configuration insists on it), the row outlives every record of the message that the group could
 * still be handed: until the last copy is gone from the log, the row is there to recognise it.
 * A copy appended later than that would have to come from an outbox row left unpublished for longer
 * than the retention (an instance stopped between the broker's acknowledgement and the delete,
 * and kept down for days); the defaults make that a week.
 *
 * Records of the embedded log whose transaction decided them write no inbox row at all (the log
 * holds them once), so on the embedded bus the inbox holds only the rest.
 */
export function inboxRetention(db: Db, schema: string, retentionMs: number): PruneTask {
  const table = `${schema}.inbox`;
  return {
    name: table,
    async prune(limit) {
      const [row] = await db.query<{ n: number }>(
        `with gone as (
           delete from ${table} i using (
             select group_id, message_id from ${table}
             where processed_at < now() - $1 * interval '1 millisecond' order by processed_at limit $2
           ) o where i.group_id = o.group_id and i.message_id = o.message_id returning 1)
         select count(*)::int as n from gone`,
        [retentionMs, limit],
      );
      return row?.n ?? 0;
    },
  };
}
