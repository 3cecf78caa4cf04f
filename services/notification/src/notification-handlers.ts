import {
  MESSAGES,
  type MessageType,
  type NotificationItem,
  type OrderRecord,
  type OrderStatus,
  type TypedMessage,
  topicOf,
} from '@campusg/contracts';
import type { Handler, HandlerContext, Handlers } from '@campusg/messaging';
import { applyOrderEvent, findOrderView, ORDER_EVENT_TYPES } from '@campusg/order-view';
import type { IdGenerator, Sql } from '@campusg/platform';
import { type CommittedLive, isLive, NOTIFICATION_ORDERS } from './live-feed.ts';
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

/**
 * The user notifications an event gives rise to (http-api.md lists them). They are pushed live by
 * the live feed, which follows the types of `LIVE_TYPES`: a notice from another type goes there too.
 */
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

/**
 * One handler for every message type: audit log first, then parties and notifications. After the
 * commit it tells `committed` of each message the live stream reports, with what the live feed
 * pushes for it where the handler knows all of that (the notifications it stored, the order as its
 * view then is), so the feed need not read it back; and ends this instance's streams of a session
 * signed out (`hub`).
 */
export function notificationHandlers(deps: {
  ids: IdGenerator;
  hub: LiveHub;
  committed?: (messageId: string, live?: CommittedLive) => void;
}): Handlers {
  const handle: Handler = async (m, ctx) => {
    const payload = m.payload as Record<string, unknown>;
    const orderId = orderIdOf(payload, ctx.record.key);
    const row = auditRow(m, ctx, orderId);
    // A message whose only effect is its audit row needs no duplicate check: its row is written with
    // those of the transaction's other messages (on PGlite, of the group-commit round's), in one
    // insert at the commit; a copy seen twice is dropped there by the same `on conflict`.
    if (ctx.tx.atCommit && onlyAudited(m, orderId)) return ctx.tx.atCommit(AUDIT_WRITE, row, writeAuditRows);
    // Otherwise the audit row is also the duplicate check for what follows.
    const logged = await ctx.tx.query(`${AUDIT_INSERT} values (${row.map((_, i) => `$${i + 1}`).join(', ')}) ${AUDIT_CONFLICT}`, row);
    if (logged.length === 0) return;
    await learnName(ctx.tx, m);
    // An order event changes the order's view, in one statement that also says who the order
    // concerns and how the order then is; any other message reads the view only when one of its
    // notifications names no recipient.
    const changes = orderId !== null && (ORDER_EVENT_TYPES as readonly string[]).includes(m.type);
    let parties: { customerId: string; runnerId: string | null; view?: OrderRecord } | undefined = changes
      ? await applyOrderEvent(ctx.tx, NOTIFICATION_ORDERS, m)
      : undefined;
    // What the live feed pushes: known here unless the message is an order event that leaves the
    // view as it was (a failed command, a rating), whose view the feed reads itself.
    const live: CommittedLive | undefined =
      changes || topicOf(m.type) !== 'order_events' ? { notices: [], order: parties?.view } : undefined;
    const { committed } = deps;
    if (committed && isLive(m.type)) ctx.afterCommit(() => committed(m.message_id, live));
    if (!orderId) return;
    let known = changes;
    const partiesOf = async () => {
      if (!known) {
        parties = await findOrderView(ctx.tx, NOTIFICATION_ORDERS, orderId);
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
      const notification = await store(ctx, deps.ids, userId, orderId, d, m.message_id);
      if (notification) live?.notices.push({ userId, notification });
    }
  };
  const all: Handlers = {};
  for (const type of Object.keys(MESSAGES) as MessageType[]) (all as Record<string, Handler>)[type] = handle;
  return all;
}

const AUDIT_INSERT = `insert into notifications.audit_log (message_id, topic, partition, "offset", type, source, correlation_id,
  causation_id, order_id, at, received_at, payload, summary)`;
const AUDIT_CONFLICT = 'on conflict (message_id) do nothing returning 1';
const AUDIT_WRITE = 'notifications.audit_log';
const AUDIT_TYPES = [
  'uuid',
  'text',
  'int',
  'bigint',
  'text',
  'text',
  'uuid',
  'uuid',
  'uuid',
  'timestamptz',
  'timestamptz',
  'jsonb',
  'text',
];
const NAMED_TYPES: readonly string[] = ['user.registered', 'user.became_runner', 'user.profile_updated'];

/** The audit log's row for a message, in `AUDIT_INSERT`'s column order. */
function auditRow(m: TypedMessage, ctx: HandlerContext, orderId: string | null): unknown[] {
  const { topic, partition, offset } = ctx.record;
  const at = new Date(m.timestamp);
  return [
    m.message_id,
    topic,
    partition,
    offset,
    m.type,
    m.source,
    m.correlation_id,
    m.causation_id,
    orderId,
    at,
    ctx.now,
    JSON.stringify(m.payload),
    summarize(m),
  ];
}

/** Whether the audit row is all a message leads to: no live push, no name, no order view, no notification. */
function onlyAudited(m: TypedMessage, orderId: string | null): boolean {
  if (isLive(m.type) || NAMED_TYPES.includes(m.type)) return false;
  return !orderId || (!(ORDER_EVENT_TYPES as readonly string[]).includes(m.type) && derive(m, null).length === 0);
}

/** The audit rows of a round's transactions, in one insert (values as text, each cast to its column's type). */
async function writeAuditRows(tx: Sql, rows: unknown[]): Promise<void> {
  const columns = AUDIT_TYPES.map((_, c) =>
    (rows as unknown[][]).map((r) => {
      const v = r[c];
      return v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v);
    }),
  );
  const unnest = AUDIT_TYPES.map((_, c) => `$${c + 1}::text[]`).join(', ');
  const casts = AUDIT_TYPES.map((t, c) => `c${c}::${t}`).join(', ');
  const names = AUDIT_TYPES.map((_, c) => `c${c}`).join(', ');
  await tx.query(`${AUDIT_INSERT} select ${casts} from unnest(${unnest}) as r(${names}) on conflict (message_id) do nothing`, columns);
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
  if (NAMED_TYPES.includes(m.type) && typeof p.name === 'string') {
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

/** Stores a notification, unless it is one per order that the user already has; returns it as stored. */
async function store(
  ctx: HandlerContext,
  ids: IdGenerator,
  userId: string,
  orderId: string,
  d: Derived,
  messageId: string,
): Promise<NotificationItem | undefined> {
  const id = ids.uuid();
  const stored = await ctx.tx.query(
    `insert into notifications.notifications (id, user_id, order_id, kind, text, at, message_id)
     select $1, $2, $3, $4, $5, $6, $7
     where not ($8 and exists (select 1 from notifications.notifications where user_id = $2 and order_id = $3 and kind = $4))
     on conflict (message_id, user_id) do nothing returning 1`,
    [id, userId, orderId, d.kind, d.text, ctx.now, messageId, d.oncePerOrder],
  );
  if (stored.length === 0) return undefined;
  return { id, at: ctx.now.toISOString(), orderId, kind: d.kind, text: d.text, read: false };
}
