import { type Clock, type Db, olderThan, type PruneTask, pruneStatement } from '@campusg/platform';

const ENDED = `status in ('COMPLETED', 'COMPENSATED')`;

/**
 * The retention of saga history (`sagas.history`): the entries of sagas that ended — `COMPLETED` or
 * `COMPENSATED` — more than `retentionMs` ago. The instance row stays (its status, its business
 * key, which keeps a second saga for the same key out) until `endedSagaRetention` finds it settled,
 * so an old saga still answers, with the history it has left. A `FAILED` saga keeps its history
 * until an operator's retry ends it: that is what the operator reads to decide.
 */
export function sagaHistoryRetention(db: Db, clock: Clock, retentionMs: number): PruneTask {
  return pruneStatement(
    db,
    'sagas.history',
    olderThan(clock, retentionMs),
    `with doomed as (
       select h.saga_id, h.seq from sagas.history h join sagas.instances i on i.id = h.saga_id
       where h.at < $1 and i.${ENDED} and i.ended_at < $1
       order by h.at limit $2
     ), gone as (
       delete from sagas.history h using doomed d where h.saga_id = d.saga_id and h.seq = d.seq returning 1
     )
     select count(*)::int as n from gone`,
  );
}

/**
 * The retention of ended saga instances (`sagas.instances`): a saga that ended — `COMPLETED` or
 * `COMPENSATED` — more than `retentionMs` ago is deleted with whatever history it has left, once
 * `settled` holds for it: an SQL condition on the instance (alias `i`) saying that no saga can ever
 * start again for its business key and no message can still concern it. The engine knows no
 * business: the service that defines the sagas says what settled means (for CampusG, the order the
 * saga is keyed by has ended). A `FAILED` saga, and every saga whose key is not settled, stays.
 */
export function endedSagaRetention(db: Db, clock: Clock, retentionMs: number, settled: string): PruneTask {
  // The history goes in the same statement: the foreign key is checked at its end, when both are gone.
  return pruneStatement(
    db,
    'sagas.instances',
    olderThan(clock, retentionMs),
    `with doomed as (
       select i.id from sagas.instances i
       where i.${ENDED} and i.ended_at < $1 and (${settled})
       order by i.ended_at limit $2
     ), history as (
       delete from sagas.history h using doomed d where h.saga_id = d.id
     ), gone as (
       delete from sagas.instances i using doomed d where i.id = d.id returning 1
     )
     select count(*)::int as n from gone`,
  );
}
