import type { Db, PruneTask } from '@campusg/platform';

/**
 * The retention of `POST /api/orders`' Idempotency-Keys (`sagas.idempotency_keys`): keys stored
 * more than `retentionMs` ago, oldest first. The API promises a repeated key its first answer for
 * at least 24 hours, which the configuration's minimum keeps.
 */
export function idempotencyKeyRetention(db: Db, retentionMs: number): PruneTask {
  return {
    name: 'sagas.idempotency_keys',
    async prune(limit) {
      const [row] = await db.query<{ n: number }>(
        `with doomed as (
           select user_id, key from sagas.idempotency_keys
           where created_at < now() - $1 * interval '1 millisecond' order by created_at limit $2
         ), gone as (
           delete from sagas.idempotency_keys k using doomed d where k.user_id = d.user_id and k.key = d.key returning 1
         )
         select count(*)::int as n from gone`,
        [retentionMs, limit],
      );
      return row?.n ?? 0;
    },
  };
}
