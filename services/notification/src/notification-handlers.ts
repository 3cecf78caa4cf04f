import { MESSAGES, type MessageType, type NotificationItem, type OrderStatus, type TypedMessage } from '@campusg/contracts';
import type { Handler, HandlerContext, Handlers } from '@campusg/messaging';
import { applyOrderEvent, findOrderView, ORDER_EVENT_TYPES, type OrderParties } from '@campusg/order-view';
import type { IdGenerator, Sql } from '@campusg/platform';
import type { LiveHub } from './live-hub.ts';
import { CANCEL_REASON_TEXT, summarize } from './summaries.ts';

type Party = 'customer' | 'runner';
interface Derived {
  to: Party;
  kind: string;
  text: string;
  /** A status notice is sent once per order, even if its event is repeated. */
  oncePerOrder: boolean;
}

const money = (cents: number) => `S$${(cents / 100).toFixed(2)}`;

const STATUS_NOTICES: Partial<Record<OrderStatus, [string, string]>> = {
  CREATED: ['ORDER_CREATED', 'Your order is placed. We are finding you a runner.'],
  PLACED: ['ORDER_PLACED', 'Your runner has ordered your food at the store.'],
  ON_THE_WAY: ['ORDER_ON_THE_WAY', 'Your order is on the way.'],
  DELIVERED: ['ORDER_DELIVERED', 'Your order has been delivered. Enjoy!'],
  COMPLETED: ['ORDER_COMPLETED', 'Your order is complete. Thank you for using CampusG.'],
};

/** The user notifications an event gives rise to (http-api.md lists them). */
function derive(m: TypedMessage, runnerName: string | null): Derived[] {
  const p = m.payload as Record<string, unknown>;
  switch (m.type) {
    case 'order.status_updated': {
      const notice = STATUS_NOTICES[p.status as OrderStatus];
      return notice ? [{ to: 'customer', kind: notice[0], text: notice[1], oncePerOrder: true }] : [];
    }
    case 'order.cancelled':
      if (p.previous_status === 'CANCELLED') return [];
      return [
        {
          to: 'customer',
          kind: 'ORDER_CANCELLED',
          text: `Your order was cancelled because ${CANCEL_REASON_TEXT[p.reason as keyof typeof CANCEL_REASON_TEXT]}.`,
          oncePerOrder: true,
        },
      ];
    case 'order.accepted':
      return [
        { to: 'customer', kind: 'ORDER_ACCEPTED', text: `${runnerName ?? 'A runner'} accepted your order.`, oncePerOrder: false },
        { to: 'runner', kind: 'ORDER_ACCEPTED', text: 'You got the order. Head to the store.', oncePerOrder: false },
      ];
    case 'order.released':
      return [
        {
          to: 'customer',
          kind: 'ORDER_RELEASED',
          text: `${runnerName ?? 'Your runner'} gave your order back. It is open to other runners again.`,
          oncePerOrder: false,
        },
      ];
    case 'payment.released':
      return [{ to: 'runner', kind: 'PAYOUT_RECEIVED', text: `Payout received: ${money(Number(p.amount_cents))}.`, oncePerOrder: true }];
    default:
      return [];
  }
}

/** Which changes alter the runners' list of available orders. */
function availabilityChange(m: TypedMessage): OrderStatus | null {
  const p = m.payload as Record<string, unknown>;
  if (m.type === 'order.status_updated' && p.status === 'CREATED') return 'CREATED';
  if (m.type === 'order.runner_released' || m.type === 'order.released') return 'CREATED';
  if (m.type === 'order.accepted') return 'ACCEPTED';
  if (m.type === 'order.cancelled' && p.previous_status === 'CREATED') return 'CANCELLED';
  return null;
}

/** One handler for every message type: audit log first, then parties, notifications and live updates. */
export function notificationHandlers(deps: { ids: IdGenerator; hub: LiveHub }): Handlers {
  const handle: Handler = async (m, ctx) => {
    const payload = m.payload as Record<string, unknown>;
    const orderId = orderIdOf(payload, ctx.record.key);
    const logged = await ctx.tx.query(
      `insert into notifications.audit_log (message_id, topic, partition, "offset", type, source, correlation_id, causation_id,
         order_id, at, received_at, payload, summary)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13) on conflict (message_id) do nothing returning 1`,
      [
        m.message_id,
        ctx.record.topic,
        ctx.record.partition,
        ctx.record.offset,
        m.type,
        m.source,
        m.correlation_id,
        m.causation_id,
        orderId,
        m.timestamp,
        ctx.now,
        JSON.stringify(m.payload),
        summarize(m),
      ],
    );
    if (logged.length === 0) return;
    await learnName(ctx.tx, m);
    if (!orderId) return;
    const fromOrders = ctx.record.topic === 'order_events';
    // The order's view is read only when it is needed: an order event changes it (and goes out live
    // to its parties); any other message only when one of its notifications names no recipient.
    let parties = fromOrders ? await partiesAfter(ctx.tx, m, orderId) : undefined;
    let known = fromOrders;
    const partiesOf = async () => {
      if (!known) {
        parties = await findOrderView(ctx.tx, 'notifications', orderId);
        known = true;
      }
      return parties;
    };
    const runnerName = m.type === 'order.accepted' || m.type === 'order.released' ? await nameOf(ctx.tx, String(payload.runner_id)) : null;
    for (const d of derive(m, runnerName)) {
      const userId =
        d.to === 'customer'
          ? (await partiesOf())?.customerId
          : ((payload.runner_id as string | undefined) ?? (await partiesOf())?.runnerId);
      if (!userId) continue;
      const item = await store(ctx, deps.ids, userId, orderId, d, m.message_id);
      if (item) ctx.afterCommit(() => deps.hub.publish({ kind: 'notification', userId, notification: item }));
    }
    if (fromOrders) {
      const userIds = [parties?.customerId, parties?.runnerId, payload.runner_id].filter((u): u is string => typeof u === 'string');
      ctx.afterCommit(() => deps.hub.publish({ kind: 'order', orderId, userIds: [...new Set(userIds)] }));
      const available = availabilityChange(m);
      if (available) ctx.afterCommit(() => deps.hub.publish({ kind: 'available', orderId, status: available }));
    }
  };
  const all: Handlers = {};
  for (const type of Object.keys(MESSAGES) as MessageType[]) (all as Record<string, Handler>)[type] = handle;
  return all;
}

/** An order event applied to the view (one statement); an order reply that changes nothing, read. */
async function partiesAfter(tx: Sql, m: TypedMessage, orderId: string): Promise<OrderParties | undefined> {
  if ((ORDER_EVENT_TYPES as readonly string[]).includes(m.type)) return applyOrderEvent(tx, 'notifications', m);
  return findOrderView(tx, 'notifications', orderId);
}

/**
 * The order a message is about: its payload's `order_id`, or else its key — saga commands to the
 * user service are keyed by the order they serve, while the user's own events are keyed by user.
 */
function orderIdOf(payload: Record<string, unknown>, key: string | null): string | null {
  if (typeof payload.order_id === 'string') return payload.order_id;
  if (key && key !== payload.user_id && /^[0-9a-f-]{36}$/i.test(key)) return key;
  return null;
}

/** Keeps users' names, as the events that carry them say. */
async function learnName(tx: Sql, m: TypedMessage): Promise<void> {
  const p = m.payload as Record<string, unknown>;
  const named = m.type === 'user.registered' || m.type === 'user.became_runner' || m.type === 'user.profile_updated';
  if (named && typeof p.name === 'string') {
    await tx.query(
      'insert into notifications.user_names (user_id, name) values ($1, $2) on conflict (user_id) do update set name = excluded.name',
      [p.user_id, p.name],
    );
  }
}

async function nameOf(tx: Sql, userId: string): Promise<string | null> {
  const [row] = await tx.query<{ name: string }>('select name from notifications.user_names where user_id = $1', [userId]);
  return row?.name ?? null;
}

async function store(
  ctx: HandlerContext,
  ids: IdGenerator,
  userId: string,
  orderId: string,
  d: Derived,
  messageId: string,
): Promise<NotificationItem | null> {
  const id = ids.uuid();
  const rows = await ctx.tx.query<{ at: Date }>(
    `insert into notifications.notifications (id, user_id, order_id, kind, text, at, message_id)
     select $1, $2, $3, $4, $5, $6, $7
     where not ($8 and exists (select 1 from notifications.notifications where user_id = $2 and order_id = $3 and kind = $4))
     on conflict (message_id, user_id) do nothing returning at`,
    [id, userId, orderId, d.kind, d.text, ctx.now, messageId, d.oncePerOrder],
  );
  if (rows.length === 0) return null;
  return { id, at: ctx.now.toISOString(), orderId, kind: d.kind, text: d.text, read: false };
}
