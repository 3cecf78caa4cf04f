import type { Clock, Db, PruneTask } from '@campusg/platform';

/**
 * The retention of saga history (`sagas.history`): the entries of sagas that ended — `COMPLETED` or
 * `COMPENSATED` — more than `retentionMs` ago. The instance row stays (its status, its business
 * key, which keeps a second saga for the same key out), so an old saga still answers, with the
 * history it has left. A `FAILED` saga keeps its history until an operator's retry ends it: that is
 * what the operator reads to decide.
 */
export function sagaHistoryRetention(db: Db, clock: Clock, retentionMs: number): PruneTask {
  return {
    name: 'sagas.history',
    async prune(limit) {
      const cutoff = new Date(clock.now().getTime() - retentionMs);
      const [row] = await db.query<{ n: number }>(
        `with doomed as (
           select h.saga_id, h.seq from sagas.history h join sagas.instances i on i.id = h.saga_id
           where h.at < $1 and i.status in ('COMPLETED', 'COMPENSATED') and i.ended_at < $1
           order by h.at limit $2
         ), gone as (
           delete from sagas.history h using doomed d where h.saga_id = d.saga_id and h.seq = d.seq returning 1
         )
         select count(*)::int as n from gone`,
        [cutoff, limit],
      );
      return row?.n ?? 0;
    },
    vacuum: db.kind === 'pglite' ? () => db.exec('vacuum sagas.history') : undefined,
  };
}
