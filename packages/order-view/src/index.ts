import type { Order, OrderStatus, PayloadOf, TypedMessage } from '@campusg/contracts';
import type { Handler, Handlers } from '@campusg/messaging';
import type { Sql } from '@campusg/platform';

/**
 * A read model of orders built from `order_events` (event-carried state), kept in the schema of the
 * service that needs it. Services that show or check an order they do not own read this instead of
 * asking the order service: services never call each other.
 */
export function orderViewTableSql(schema: string): string {
  return `create table if not exists ${schema}.order_view (
  order_id uuid primary key, customer_id uuid not null, runner_id uuid, status text not null,
  view jsonb not null, updated_at timestamptz not null);`;
}

const STAMP: Partial<Record<OrderStatus, keyof Order>> = {
  ACCEPTED: 'acceptedAt',
  PLACED: 'placedAt',
  ON_THE_WAY: 'pickedUpAt',
  DELIVERED: 'deliveredAt',
  COMPLETED: 'completedAt',
  CANCELLED: 'cancelledAt',
};

/** The next view after one event (pure). `undefined` in, `order.created` out: a new view. */
export function evolve(view: Order | undefined, m: TypedMessage): Order | undefined {
  const at = m.timestamp;
  if (m.type === 'order.created') {
    if (view) return view;
    const p = m.payload as PayloadOf<'order.created'>;
    return {
      id: p.order_id,
      customerId: p.customer_id,
      runnerId: null,
      store: p.store ?? { name: '', location: '' },
      items: (p.items ?? []).map((i) => ({ name: i.name, quantity: i.quantity, priceCents: i.price_cents })),
      deliveryLocation: p.delivery_location ?? { building: '', room: '' },
      instructions: p.instructions ?? null,
      foodCents: p.food_cents,
      deliveryFeeCents: p.delivery_fee_cents,
      totalCents: p.total_cents,
      status: 'PENDING',
      cancelReason: null,
      createdAt: p.created_at ?? at,
      updatedAt: at,
      acceptedAt: null,
      placedAt: null,
      pickedUpAt: null,
      deliveredAt: null,
      completedAt: null,
      cancelledAt: null,
    };
  }
  if (!view) return undefined;
  const move = (status: OrderStatus, patch: Partial<Order> = {}): Order => {
    const stamp = STAMP[status];
    return { ...view, ...patch, status, updatedAt: at, ...(stamp ? { [stamp]: at } : {}) };
  };
  switch (m.type) {
    case 'order.status_updated': {
      const p = m.payload as PayloadOf<'order.status_updated'>;
      return view.status === p.status ? view : move(p.status, { runnerId: p.runner_id ?? view.runnerId });
    }
    case 'order.accepted':
      return move('ACCEPTED', { runnerId: (m.payload as PayloadOf<'order.accepted'>).runner_id });
    case 'order.runner_released':
      return view.runnerId === (m.payload as PayloadOf<'order.runner_released'>).runner_id
        ? move('CREATED', { runnerId: null, acceptedAt: null })
        : view;
    case 'order.cancelled':
      return view.status === 'CANCELLED' ? view : move('CANCELLED', { cancelReason: (m.payload as PayloadOf<'order.cancelled'>).reason });
    default:
      return view;
  }
}

/** Applies one order event to the read model in `schema`; returns the new view. */
export async function applyOrderEvent(tx: Sql, schema: string, m: TypedMessage): Promise<Order | undefined> {
  const orderId = (m.payload as { order_id?: string }).order_id;
  if (!orderId) return undefined;
  const before = await findOrderView(tx, schema, orderId);
  const after = evolve(before, m);
  if (!after || after === before) return after;
  await tx.query(
    `insert into ${schema}.order_view (order_id, customer_id, runner_id, status, view, updated_at) values ($1, $2, $3, $4, $5::jsonb, $6)
     on conflict (order_id) do update set runner_id = excluded.runner_id, status = excluded.status, view = excluded.view, updated_at = excluded.updated_at`,
    [after.id, after.customerId, after.runnerId, after.status, JSON.stringify(after), after.updatedAt],
  );
  return after;
}

export async function findOrderView(tx: Sql, schema: string, orderId: string): Promise<Order | undefined> {
  const [row] = await tx.query<{ view: Order }>(`select view from ${schema}.order_view where order_id = $1`, [orderId]);
  return row?.view;
}

export const ORDER_EVENT_TYPES = [
  'order.created',
  'order.status_updated',
  'order.accepted',
  'order.runner_released',
  'order.cancelled',
] as const;

/** Consumer handlers that keep the read model of `schema` up to date. */
export function orderViewHandlers(schema: string): Handlers {
  const handle: Handler = async (m, ctx) => {
    await applyOrderEvent(ctx.tx, schema, m);
  };
  return Object.fromEntries(ORDER_EVENT_TYPES.map((t) => [t, handle])) as Handlers;
}

/**
 * Reads the view; when it does not (yet) satisfy `ready` and the read model's consumer has still to
 * handle order events that were on the bus when the request came (`behind`, see `behindCheck`),
 * waits for it — so a client that just changed an order through another service reads its own
 * write, while a view that is current answers at once.
 */
export async function readOrderView(
  db: Sql,
  schema: string,
  orderId: string,
  ready: (o: Order) => boolean,
  behind: () => Promise<boolean>,
  waitMs = 15_000,
): Promise<Order | undefined> {
  const deadline = Date.now() + waitMs;
  for (let pause = 10; ; pause = Math.min(pause * 2, 100)) {
    const view = await findOrderView(db, schema, orderId);
    if (view && ready(view)) return view;
    if (Date.now() >= deadline) return view;
    // The consumer may have caught up between the read and the check: once it has, read again.
    if (!(await behind())) return findOrderView(db, schema, orderId);
    await new Promise((r) => setTimeout(r, pause));
  }
}

/**
 * The view as it stands once its consumer has handled every order event that was on the bus when
 * the request came (or after `waitMs`, as it is): for a route that decides from the order's status
 * — cancel, accept, complete — where a view that merely shows the order could be a hop behind.
 */
export async function readCurrentOrderView(
  db: Sql,
  schema: string,
  orderId: string,
  behind: () => Promise<boolean>,
  waitMs = 15_000,
): Promise<Order | undefined> {
  const deadline = Date.now() + waitMs;
  for (let pause = 10; (await behind()) && Date.now() < deadline; pause = Math.min(pause * 2, 100)) {
    await new Promise((r) => setTimeout(r, pause));
  }
  return findOrderView(db, schema, orderId);
}
