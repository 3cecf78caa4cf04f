import type { CancelReason, Order, OrderStatus, PayloadOf } from '@campusg/contracts';
import type { OrderParties } from '@campusg/order-rules';
import { type PersonRow, PHONE_STATUSES, toPerson } from './order-people.ts';

/** The column each status stamps when an order enters it. */
export const TIMESTAMP_COLUMN: Partial<Record<OrderStatus, string>> = {
  ACCEPTED: 'accepted_at',
  PLACED: 'placed_at',
  ON_THE_WAY: 'picked_up_at',
  DELIVERED: 'delivered_at',
  COMPLETED: 'completed_at',
  CANCELLED: 'cancelled_at',
};

/** Totals computed by the server, in integer cents. */
export function totals(items: { quantity: number; price_cents: number }[], deliveryFeeCents: number) {
  const foodCents = items.reduce((sum, i) => sum + i.quantity * i.price_cents, 0);
  return { foodCents, deliveryFeeCents, totalCents: foodCents + deliveryFeeCents };
}

export interface OrderRow {
  id: string;
  customer_id: string;
  runner_id: string | null;
  store: PayloadOf<'create_order'>['store'];
  items: PayloadOf<'create_order'>['items'];
  delivery_location: PayloadOf<'create_order'>['delivery_location'];
  instructions: string | null;
  food_cents: number;
  delivery_fee_cents: number;
  total_cents: number;
  status: OrderStatus;
  cancel_reason: CancelReason | null;
  created_at: Date;
  updated_at: Date;
  accepted_at: Date | null;
  placed_at: Date | null;
  picked_up_at: Date | null;
  delivered_at: Date | null;
  completed_at: Date | null;
  cancelled_at: Date | null;
  accept_by: Date | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/**
 * The public Order object (http-api.md) as `viewerId` sees it: its customer and runner with their
 * ratings, each one's phone only to the other while the order is active, and while it is open for
 * runners when its acceptance window ends.
 */
export function toOrderView(r: OrderRow, people: ReadonlyMap<string, PersonRow>, viewerId: string): Order {
  const active = PHONE_STATUSES.includes(r.status);
  return {
    id: r.id,
    customerId: r.customer_id,
    runnerId: r.runner_id,
    store: r.store,
    items: r.items.map((i) => ({ name: i.name, quantity: i.quantity, priceCents: i.price_cents })),
    deliveryLocation: r.delivery_location,
    instructions: r.instructions,
    foodCents: r.food_cents,
    deliveryFeeCents: r.delivery_fee_cents,
    totalCents: r.total_cents,
    status: r.status,
    cancelReason: r.cancel_reason,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    acceptedAt: iso(r.accepted_at),
    placedAt: iso(r.placed_at),
    pickedUpAt: iso(r.picked_up_at),
    deliveredAt: iso(r.delivered_at),
    completedAt: iso(r.completed_at),
    cancelledAt: iso(r.cancelled_at),
    customer: toPerson(r.customer_id, people.get(r.customer_id), active && viewerId === r.runner_id),
    runner: r.runner_id ? toPerson(r.runner_id, people.get(r.runner_id), active && viewerId === r.customer_id) : null,
    acceptBy: r.status === 'CREATED' ? iso(r.accept_by) : null,
  };
}

/** The parts of a stored order that the order rules decide from. */
export const partiesOf = (r: Pick<OrderRow, 'customer_id' | 'runner_id' | 'status'>): OrderParties => ({
  customerId: r.customer_id,
  runnerId: r.runner_id,
  status: r.status,
});
