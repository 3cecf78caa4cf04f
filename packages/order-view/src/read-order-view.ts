import type { Sql } from '@campusg/platform';
import { findOrderView, type OrderViewTable, type PartiesView } from './order-view-store.ts';

/**
 * Reads the view; when it does not (yet) satisfy `ready` and the read model's consumer has still to
 * handle order events that were on the bus when the request came (`behind`, see `behindCheck`),
 * waits for it — so a client that just changed an order through another service reads its own
 * write, while a view that is current answers at once.
 */
export async function readOrderView<V extends PartiesView>(
  db: Sql,
  table: OrderViewTable<V>,
  orderId: string,
  ready: (o: V) => boolean,
  behind: () => Promise<boolean>,
  waitMs = 15_000,
): Promise<V | undefined> {
  const deadline = Date.now() + waitMs;
  for (let pause = 10; ; pause = Math.min(pause * 2, 100)) {
    const view = await findOrderView(db, table, orderId);
    if (view && ready(view)) return view;
    if (Date.now() >= deadline) return view;
    // The consumer may have caught up between the read and the check: once it has, read again.
    if (!(await behind())) return findOrderView(db, table, orderId);
    await new Promise((r) => setTimeout(r, pause));
  }
}

/**
 * The view as it stands once its consumer has handled every order event that was on the bus when
 * the request came (or after `waitMs`, as it is): for a route that decides from the order's status
 * — cancel, accept, complete — where a view that merely shows the order could be a hop behind.
 */
export async function readCurrentOrderView<V extends PartiesView>(
  db: Sql,
  table: OrderViewTable<V>,
  orderId: string,
  behind: () => Promise<boolean>,
  waitMs = 15_000,
): Promise<V | undefined> {
  const deadline = Date.now() + waitMs;
  for (let pause = 10; (await behind()) && Date.now() < deadline; pause = Math.min(pause * 2, 100)) {
    await new Promise((r) => setTimeout(r, pause));
  }
  return findOrderView(db, table, orderId);
}
