import {
  MESSAGES,
  type MessageType,
  type NotificationItem,
  type OrderRecord,
  type OrderStatus,
  type TypedMessage,
  topicOf,
} from '@campusg/contracts';
import { type Followed, SINK_LINGER_MS, Signal } from '@campusg/messaging';
import { findOrderViews, wholeOrderView } from '@campusg/order-view';
import type { Clock, Logger, Sql } from '@campusg/platform';
import type { LiveHub } from './live-hub.ts';

/** The notification service's read model of orders: whole, since the live feed shows the order itself. */
export const NOTIFICATION_ORDERS = wholeOrderView('notifications');

/**
 * What the live stream reports: every order event (an order changed, it may join or leave the
 * runners' list, its parties may be notified), and the payout, the one notice about an order that
 * is not an order event. A notice derived from another message must be added here.
 */
export const LIVE_TYPES: readonly MessageType[] = [
  ...(Object.keys(MESSAGES) as MessageType[]).filter((t) => topicOf(t) === 'order_events'),
  'payment.released',
];
export const LIVE_TOPICS = [...new Set(LIVE_TYPES.map(topicOf))];
const LIVE = new Set<string>(LIVE_TYPES);

/** Is a message of this type reported on the live stream. */
export const isLive = (type: string): boolean => LIVE.has(type);

export interface LiveFeedDeps {
  /** The notification service's database: the audit log, the notifications, the order view. */
  db: Sql;
  hub: LiveHub;
  clock: Clock;
  log: Logger;
  /** How long a message waits for the notification group to commit it before it is not pushed (default 60 s). */
  waitMs?: number;
  /** How long a message waits before it is first looked up (default `FIRST_LOOKUP_MS`). */
  firstLookupMs?: number;
}

interface Pending {
  message: TypedMessage;
  since: number;
  /** When it may first be looked up (`performance.now()`). */
  lookAfter: number;
}

/**
 * What the notification group committed for a live message, as its handler knows it: the
 * notifications it stored, and for an order event the order as its view then was. The live feed
 * pushes it as it is, without reading it back.
 */
export interface CommittedLive {
  notices: { userId: string; notification: NotificationItem }[];
  order?: OrderRecord;
}

/** Messages waiting at most, and ids remembered as pushed: memory stays bounded whatever the traffic. */
const MAX_PENDING = 10_000;
const REMEMBERED = 10_000;
/** Ids asked about in one statement. */
const CHUNK = 500;
/**
 * How long a message waits before it is first looked up: twice as long as the notification group's
 * rounds last at least, so what this instance's group handles has been committed, and gone out
 * without a lookup, by then.
 */
const FIRST_LOOKUP_MS = 2 * SINK_LINGER_MS;

/**
 * Feeds this instance's live hub from the messages of its own ephemeral subscription (`receive`),
 * so every open stream hears of every order whichever instance's `notification-service` group
 * handled the message. A message's events go out only once that group has committed it: its
 * audit-log row is visible, and with it — same transaction — the order view and the notifications
 * a client reads when told. The group of this instance says so at once (`committed`), with what it
 * committed, which goes out as it is; what another instance handles is looked up, first once it has
 * waited `FIRST_LOOKUP_MS` and then less often, up to every 500 ms. A message the group never logs (dead-lettered) is dropped
 * after `waitMs`; one received twice goes out once.
 */
export class LiveFeed {
  readonly #deps: LiveFeedDeps;
  readonly #pending = new Map<string, Pending>();
  readonly #pushed = new Set<string>();
  /** What this instance's group committed before the subscription brought the message, by id. */
  readonly #early = new Map<string, CommittedLive>();
  /** A message waiting is known to be committed: the next lookup does not wait for the oldest to be due. */
  #lookNow = false;
  readonly #wake = new Signal();
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(deps: LiveFeedDeps) {
    this.#deps = deps;
  }

  /** Messages from this instance's ephemeral subscription, in the order they came. */
  receive(items: Followed[]): void {
    for (const { message } of items) {
      const id = message.message_id.toLowerCase();
      if (!isLive(message.type) || this.#pushed.has(id) || this.#pending.has(id)) continue;
      const early = this.#early.get(id);
      if (early) {
        this.#early.delete(id);
        this.#push(message, early);
        continue;
      }
      this.#pending.set(id, {
        message,
        since: this.#deps.clock.now().getTime(),
        lookAfter: performance.now() + (this.#deps.firstLookupMs ?? FIRST_LOOKUP_MS),
      });
    }
    if (this.#pending.size > MAX_PENDING)
      this.#drop([...this.#pending.keys()].slice(0, this.#pending.size - MAX_PENDING), 'too many waiting');
    this.#running ??= this.#run();
    this.#wake.notify();
  }

  /** Messages received and waiting for the group to commit them. */
  get waiting(): number {
    return this.#pending.size;
  }

  /**
   * This instance's `notification-service` group committed a message: with what it committed, which
   * goes out now (or when the subscription brings the message), or without, to be looked up.
   */
  committed(messageId: string, live?: CommittedLive): void {
    const id = messageId.toLowerCase();
    const pending = this.#pending.get(id);
    if (!live) {
      if (!pending) return;
      // Committed: to be looked up now, not when it would have been due.
      this.#lookNow = true;
      this.#wake.notify();
    } else if (pending) {
      this.#pending.delete(id);
      this.#push(pending.message, live);
    } else if (!this.#pushed.has(id)) {
      this.#early.set(id, live);
      // A Map iterates in insertion order: the oldest go first (their messages come, if ever, by lookup).
      if (this.#early.size > REMEMBERED) this.#early.delete(this.#early.keys().next().value!);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake.notify();
    await this.#running;
  }

  async #run(): Promise<void> {
    for (let pause = 20; !this.#closed; ) {
      const seen = this.#wake.version;
      if (this.#pending.size === 0) {
        await this.#wake.wait(seen, 60_000);
        continue;
      }
      // The oldest message waiting is the first due for a lookup.
      const due = this.#pending.values().next().value!.lookAfter - performance.now();
      if (due > 0 && !this.#lookNow) {
        await this.#wake.wait(seen, due);
        continue;
      }
      this.#lookNow = false;
      let pushed = 0;
      try {
        pushed = await this.#pushCommitted();
      } catch (err) {
        this.#deps.log.warn({ err }, 'live updates: reading what was committed failed; trying again');
      }
      this.#expire();
      pause = pushed > 0 ? 20 : Math.min(pause * 2, 500);
      if (this.#pending.size > 0) await this.#wake.wait(seen, pause);
    }
  }

  /** Pushes the events of every waiting message the group has committed; returns how many messages. */
  async #pushCommitted(): Promise<number> {
    const { db } = this.#deps;
    const ids = [...this.#pending.keys()].slice(0, CHUNK);
    const rows = await db.query<NoticeRow>(
      `select a.message_id, n.id, n.user_id, n.order_id, n.kind, n.text, n.at, n.read
       from notifications.audit_log a
         left join notifications.notifications n on n.order_id = a.order_id and n.message_id = a.message_id
       where a.message_id = any($1::uuid[])`,
      [ids],
    );
    const notices = new Map<string, NoticeRow[]>();
    for (const r of rows) notices.set(r.message_id, [...(notices.get(r.message_id) ?? []), ...(r.id ? [r] : [])]);
    const ready = ids.filter((id) => notices.has(id)).map((id) => this.#pending.get(id)!.message);
    const orders = ready.filter((m) => topicOf(m.type) === 'order_events').map(orderIdOf);
    const views = await findOrderViews(db, NOTIFICATION_ORDERS, orders);
    for (const m of ready) {
      const id = m.message_id.toLowerCase();
      // Pushed meanwhile from what this instance's group committed.
      if (!this.#pending.delete(id)) continue;
      const committed = notices.get(id)!.map((n) => ({ userId: n.user_id, notification: item(n) }));
      this.#push(m, { notices: committed, order: topicOf(m.type) === 'order_events' ? views.get(orderIdOf(m)) : undefined });
    }
    return ready.length;
  }

  /** Pushes a committed message's events: its notifications, the order, a change to what runners may take. */
  #push(m: TypedMessage, live: CommittedLive): void {
    const { hub } = this.#deps;
    for (const n of live.notices) hub.publish({ kind: 'notification', ...n });
    if (live.order) hub.publish({ kind: 'order', order: live.order });
    const available = availabilityChange(m);
    if (available) hub.publish({ kind: 'available', orderId: orderIdOf(m), status: available });
    this.#remember(m.message_id.toLowerCase());
  }

  #expire(): void {
    const limit = this.#deps.clock.now().getTime() - (this.#deps.waitMs ?? 60_000);
    const old = [...this.#pending].filter(([, p]) => p.since < limit).map(([id]) => id);
    if (old.length > 0) this.#drop(old, 'the notification group did not log them in time (dead-lettered, or far behind)');
  }

  #drop(ids: string[], why: string): void {
    for (const id of ids) this.#pending.delete(id);
    this.#deps.log.warn({ messages: ids.length, first: ids[0] }, `live updates: events not pushed: ${why}`);
  }

  #remember(id: string): void {
    this.#pushed.add(id);
    // A Set iterates in insertion order: the oldest go first.
    if (this.#pushed.size > REMEMBERED) this.#pushed.delete(this.#pushed.values().next().value!);
  }
}

interface NoticeRow {
  message_id: string;
  id: string | null;
  user_id: string;
  order_id: string | null;
  kind: string;
  text: string;
  at: Date;
  read: boolean;
}

function item(n: NoticeRow): NotificationItem {
  return { id: n.id!, at: new Date(n.at).toISOString(), orderId: n.order_id, kind: n.kind, text: n.text, read: n.read };
}

const orderIdOf = (m: TypedMessage): string => String((m.payload as { order_id?: unknown }).order_id);

/** Which changes alter the runners' list of available orders. */
export function availabilityChange(m: TypedMessage): OrderStatus | null {
  const p = m.payload as Record<string, unknown>;
  if (m.type === 'order.status_updated' && p.status === 'CREATED') return 'CREATED';
  if (m.type === 'order.runner_released' || m.type === 'order.released') return 'CREATED';
  if (m.type === 'order.accepted') return 'ACCEPTED';
  if (m.type === 'order.cancelled' && p.previous_status === 'CREATED') return 'CANCELLED';
  return null;
}
