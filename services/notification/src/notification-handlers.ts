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
import { type AppliedOrderEvent, applyOrderChanges, findOrderViews, ORDER_EVENT_TYPES, orderViewChange } from '@campusg/order-view';
import type { IdGenerator, Sql } from '@campusg/platform';
import { type CommittedLive, isLive, NOTIFICATION_ORDERS } from './live-feed.ts';
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
 * One handler for every message type. It gives the message to its transaction's commit, where the
 * messages of the transaction (on PGlite, of the group-commit round) are written together (see
 * `writeRound`): audit rows, names, order views, notifications, a statement each for them all.
 * After the commit it tells `committed` of each message the live stream reports that was logged
 * then for the first time, with what the live feed pushes for it where that is known (the
 * notifications stored, the order as its view then was), so the feed need not read it back.
 */
export function notificationHandlers(deps: { ids: IdGenerator; committed?: (messageId: string, live?: CommittedLive) => void }): Handlers {
  const write = (tx: Sql, items: unknown[]) => writeRound(tx, items as RoundItem[], deps.ids);
  const handle: Handler = async (m, ctx) => {
    const orderId = orderIdOf(m.payload as Record<string, unknown>, ctx.record.key);
    const item: RoundItem = { m, row: auditRow(m, ctx, orderId), orderId, fresh: false };
    const { committed } = deps;
    if (committed && isLive(m.type)) ctx.afterCommit(() => item.fresh && committed(m.message_id, item.live));
    if (ctx.tx.atCommit) ctx.tx.atCommit(ROUND_WRITE, item, write);
    else await write(ctx.tx, [item]);
  };
  const all: Handlers = {};
  for (const type of Object.keys(MESSAGES) as MessageType[]) (all as Record<string, Handler>)[type] = handle;
  return all;
}

/** A message handled, as its transaction's commit writes it. */
interface RoundItem {
  m: TypedMessage;
  /** Its audit log row. */
  row: unknown[];
  orderId: string | null;
  /** Logged now for the first time, not a copy seen before (set by `writeRound`). */
  fresh: boolean;
  /** What the live feed pushes for it, where known (set by `writeRound`). */
  live?: CommittedLive;
}

const ROUND_WRITE = 'notifications.round';

/**
 * Writes the messages of a transaction, in their order: their audit rows in one insert, which is
 * also the duplicate check (a copy seen before, or twice among them, does nothing more); then, for
 * the fresh ones, the names the user events carry, the changes to the order view (in as many
 * statements as one order has changes), the runner names the notices use and the views of orders
 * a notice needs the party of, if any, and the notifications, in one insert.
 */
async function writeRound(tx: Sql, items: RoundItem[], ids: IdGenerator): Promise<void> {
  const logged = await writeAuditRows(
    tx,
    items.map((i) => i.row),
  );
  const unseen = new Set(logged.map((id) => id.toLowerCase()));
  // Each id once, even when the transaction carries a message twice.
  const fresh = items.filter((i) => (i.fresh = unseen.delete(i.m.message_id.toLowerCase())));
  for (const { m } of fresh) await learnName(tx, m);
  const changing = fresh.filter((i) => i.orderId && (ORDER_EVENT_TYPES as readonly string[]).includes(i.m.type));
  const applied = await applyOrderChanges(
    tx,
    NOTIFICATION_ORDERS,
    changing.map((i) => orderViewChange(i.m)!),
  );
  const parties = new Map<RoundItem, AppliedOrderEvent<OrderRecord> | undefined>(changing.map((i, n) => [i, applied[n]]));
  for (const i of fresh) {
    // What the live feed pushes is known unless the message is an order event that leaves the view
    // as it was (a failed command, a rating), whose view the feed reads itself.
    if (isLive(i.m.type) && (parties.has(i) || topicOf(i.m.type) !== 'order_events')) i.live = { notices: [], order: parties.get(i)?.view };
  }
  // The runner's name, where a notice tells the customer who accepted or gave back the order.
  const named = fresh.filter((i) => i.m.type === 'order.accepted' || i.m.type === 'order.released');
  const names = await namesOf(
    tx,
    named.map((i) => runnerOf(i) ?? ''),
  );
  const notices = fresh.flatMap((i) => (i.orderId ? derive(i.m, names.get(runnerOf(i) ?? '') ?? null).map((d) => ({ i, d })) : []));
  // A notice whose recipient the message does not name takes the order's party from the view.
  const unknown = notices.filter(({ i, d }) => !parties.has(i) && (d.to === 'customer' || !runnerOf(i))).map(({ i }) => i.orderId!);
  const views = await findOrderViews(tx, NOTIFICATION_ORDERS, unknown);
  const rows: NoticeRow[] = [];
  const once = new Set<string>();
  for (const { i, d } of notices) {
    const party = parties.get(i) ?? views.get(i.orderId!);
    const userId = d.to === 'customer' ? party?.customerId : (runnerOf(i) ?? party?.runnerId);
    if (!userId) continue;
    // Once per order among these as well: the insert's check sees only what was there before it.
    const key = `${userId} ${i.orderId} ${d.kind}`;
    if (d.oncePerOrder && once.has(key)) continue;
    once.add(key);
    // Dated when what it tells of happened: a user's notifications, newest first, are in the order
    // their events were, however many of them one transaction wrote.
    const at = new Date(i.m.timestamp).toISOString();
    const notification = { id: ids.uuid(), at, orderId: i.orderId, kind: d.kind, text: d.text, read: false };
    rows.push({ i, userId, notification, oncePerOrder: d.oncePerOrder });
  }
  const stored = new Set(await storeNotifications(tx, rows));
  for (const r of rows) if (stored.has(r.notification.id)) r.i.live?.notices.push({ userId: r.userId, notification: r.notification });
}

/** The runner a message names, if it names one. */
const runnerOf = (i: RoundItem): string | undefined => (i.m.payload as { runner_id?: string }).runner_id ?? undefined;

interface NoticeRow {
  i: RoundItem;
  userId: string;
  notification: NotificationItem;
  oncePerOrder: boolean;
}

const AUDIT_INSERT = `insert into notifications.audit_log (message_id, topic, partition, "offset", type, source, correlation_id,
  causation_id, order_id, at, received_at, payload, summary)`;
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

/**
 * Audit rows in one insert (values as text, each cast to its column's type); resolves to the ids of
 * the messages logged now, not before.
 */
async function writeAuditRows(tx: Sql, rows: unknown[][]): Promise<string[]> {
  // One row alone is cheaper to plan as the statement made for one.
  if (rows.length === 1) {
    const values = rows[0]!.map((_, i) => `$${i + 1}`).join(', ');
    const logged = await tx.query<{ message_id: string }>(
      `${AUDIT_INSERT} values (${values}) on conflict (message_id) do nothing returning message_id`,
      rows[0],
    );
    return logged.map((r) => r.message_id);
  }
  const columns = AUDIT_TYPES.map((_, c) =>
    rows.map((r) => {
      const v = r[c];
      return v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v);
    }),
  );
  const unnest = AUDIT_TYPES.map((_, c) => `$${c + 1}::text[]`).join(', ');
  const casts = AUDIT_TYPES.map((t, c) => `c${c}::${t}`).join(', ');
  const names = AUDIT_TYPES.map((_, c) => `c${c}`).join(', ');
  const logged = await tx.query<{ message_id: string }>(
    `${AUDIT_INSERT} select ${casts} from unnest(${unnest}) as r(${names}) on conflict (message_id) do nothing returning message_id`,
    columns,
  );
  return logged.map((r) => r.message_id);
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

/** The names of users, by id, as the events that carry them said. */
async function namesOf(tx: Sql, userIds: string[]): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await tx.query<{ user_id: string; name: string }>(
    'select user_id, name from notifications.user_names where user_id = any($1::uuid[])',
    [[...new Set(userIds)]],
  );
  return new Map(rows.map((r) => [r.user_id, r.name]));
}

/**
 * Stores notifications in one insert, each unless it is one per order that its user already has;
 * resolves to the ids of those stored. They are the notices of fresh messages only (the audit row
 * is the check), so none of them can already be stored.
 */
async function storeNotifications(tx: Sql, rows: NoticeRow[]): Promise<string[]> {
  if (rows.length === 0) return [];
  if (rows.length === 1) {
    const [{ i, userId, notification: n, oncePerOrder }] = rows as [NoticeRow];
    const stored = await tx.query<{ id: string }>(
      `insert into notifications.notifications (id, user_id, order_id, kind, text, at, message_id)
       select $1, $2, $3, $4, $5, $6, $7
       where not ($8 and exists (select 1 from notifications.notifications where order_id = $3 and user_id = $2 and kind = $4))
       returning id`,
      [n.id, userId, n.orderId, n.kind, n.text, n.at, i.m.message_id, oncePerOrder],
    );
    return stored.map((r) => r.id);
  }
  const input = rows.map(({ i, userId, notification: n, oncePerOrder }) => ({
    id: n.id,
    user_id: userId,
    order_id: n.orderId,
    kind: n.kind,
    text: n.text,
    at: n.at,
    message_id: i.m.message_id,
    once: oncePerOrder,
  }));
  const stored = await tx.query<{ id: string }>(
    `insert into notifications.notifications (id, user_id, order_id, kind, text, at, message_id)
     select x.id, x.user_id, x.order_id, x.kind, x."text", x.at, x.message_id
     from jsonb_to_recordset($1::jsonb) as x(id uuid, user_id uuid, order_id uuid, kind text, "text" text, at timestamptz, message_id uuid, once boolean)
     where not (x.once and exists (select 1 from notifications.notifications n where n.order_id = x.order_id and n.user_id = x.user_id and n.kind = x.kind))
     returning id`,
    [JSON.stringify(input)],
  );
  return stored.map((r) => r.id);
}
