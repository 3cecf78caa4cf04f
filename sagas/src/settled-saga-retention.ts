import type { Clock, Db, PruneTask } from '@campusg/platform';
import { endedSagaRetention } from '@campusg/saga';

/**
 * A saga is settled once the order it is keyed by (every CampusG saga is) has ended, as this
 * service's view of the orders says. A COMPLETED or CANCELLED order takes no transition: the routes
 * start no saga for it (they decide from the same view), and one started by a late message (an
 * acceptance timer, say) changes nothing, whatever ended before it.
 */
const ORDER_ENDED = `exists (select 1 from sagas.order_view v where v.order_id = i.key::uuid and v.status in ('COMPLETED', 'CANCELLED'))`;

/** Ended sagas of ended orders, with their history, once `retentionMs` past their end. */
export function settledSagaRetention(db: Db, clock: Clock, retentionMs: number): PruneTask {
  return endedSagaRetention(db, clock, retentionMs, ORDER_ENDED);
}
