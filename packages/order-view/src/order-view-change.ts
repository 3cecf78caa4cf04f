import type { OrderRecord, OrderStatus, PayloadOf, TypedMessage } from '@campusg/contracts';
import { CANCELLABLE } from '@campusg/order-rules';

/**
 * What one order event does to a view, decided from the event alone (pure), so that applying it is
 * one blind statement instead of a read and a write. A `move` applies only where the view's status
 * is one of `from`; that guard is what keeps a replayed or late event from moving a view backwards.
 */
export type ViewChange =
  /** `order.created`: the view as it starts; a view that exists already is left alone. */
  | { kind: 'create'; view: OrderRecord }
  | {
      kind: 'move';
      orderId: string;
      status: OrderStatus;
      /** The statuses the view may be in for the move to apply. */
      from: readonly OrderStatus[];
      /** Merged into the view: the status, `updatedAt`, the stamp of the status, the runner. */
      patch: Partial<OrderRecord>;
      /** The runner afterwards: this one when `setRunner`, else this one or, if null, the current one. */
      runnerId: string | null;
      setRunner: boolean;
      /** Applies only while this runner is assigned (a release names the runner it releases). */
      ifRunner: string | null;
      /**
       * Applies only if the view did not change after the event's time. Needed where the order's
       * life goes round (a released runner puts the order back to CREATED, open for another
       * accept): status order alone could not tell an old accept from a new one. Those events all
       * come from the order service's consumer of the order's own partition, one after another.
       */
      notBeforeView: boolean;
      at: string;
    };

/** Where a status stands in an order's life; a view moves only forward (the runner release aside). */
const RANK: Record<OrderStatus, number> = {
  PENDING: 0,
  CREATED: 1,
  ACCEPTED: 2,
  PLACED: 3,
  ON_THE_WAY: 4,
  DELIVERED: 5,
  COMPLETED: 6,
  CANCELLED: 6,
};
const STATUSES = Object.keys(RANK) as OrderStatus[];
const before = (status: OrderStatus) => STATUSES.filter((s) => RANK[s] < RANK[status]);

const STAMP: Partial<Record<OrderStatus, keyof OrderRecord>> = {
  ACCEPTED: 'acceptedAt',
  PLACED: 'placedAt',
  ON_THE_WAY: 'pickedUpAt',
  DELIVERED: 'deliveredAt',
  COMPLETED: 'completedAt',
  CANCELLED: 'cancelledAt',
};

/** The change an order event makes to its view, or `undefined` for a message that changes none. */
export function orderViewChange(m: TypedMessage): ViewChange | undefined {
  const at = m.timestamp;
  if (m.type === 'order.created') {
    const p = m.payload as PayloadOf<'order.created'>;
    return {
      kind: 'create',
      view: {
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
      },
    };
  }
  const move = (
    status: OrderStatus,
    o: {
      patch?: Partial<OrderRecord>;
      runnerId?: string | null;
      setRunner?: boolean;
      from?: readonly OrderStatus[];
      ifRunner?: string;
      notBeforeView?: boolean;
    },
  ): ViewChange => {
    const stamp = STAMP[status];
    const runner = o.runnerId ?? null;
    return {
      kind: 'move',
      orderId: (m.payload as { order_id: string }).order_id,
      status,
      from: o.from ?? before(status),
      patch: {
        ...o.patch,
        ...(o.setRunner || runner ? { runnerId: runner } : {}),
        status,
        updatedAt: at,
        ...(stamp ? { [stamp]: at } : {}),
      },
      runnerId: runner,
      setRunner: o.setRunner ?? false,
      ifRunner: o.ifRunner ?? null,
      notBeforeView: o.notBeforeView ?? false,
      at,
    };
  };
  switch (m.type) {
    case 'order.status_updated': {
      const p = m.payload as PayloadOf<'order.status_updated'>;
      return move(p.status, { runnerId: p.runner_id });
    }
    case 'order.accepted':
      return move('ACCEPTED', { runnerId: (m.payload as PayloadOf<'order.accepted'>).runner_id, setRunner: true, notBeforeView: true });
    case 'order.runner_released':
    case 'order.released': {
      // The accept was undone (a failed accept saga) or the runner gave the order back: either way
      // the order is open again, and only if that runner still holds it.
      const p = m.payload as PayloadOf<'order.runner_released' | 'order.released'>;
      return move('CREATED', {
        patch: { acceptedAt: null },
        setRunner: true,
        from: ['ACCEPTED'],
        ifRunner: p.runner_id,
        notBeforeView: true,
      });
    }
    case 'order.cancelled':
      // Only an order no runner has accepted can be cancelled: a late cancel cannot end a later order.
      return move('CANCELLED', { patch: { cancelReason: (m.payload as PayloadOf<'order.cancelled'>).reason }, from: CANCELLABLE });
    default:
      return undefined;
  }
}
