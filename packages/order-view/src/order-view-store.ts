import type { OrderRecord, TypedMessage } from '@campusg/contracts';
import type { Handler, Handlers } from '@campusg/messaging';
import type { Sql } from '@campusg/platform';
import { orderViewChange, type ViewChange } from './order-view-change.ts';

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

/** What a view keeps of an order where the service only checks who the order concerns and where it stands. */
export type PartiesView = Pick<OrderRecord, 'customerId' | 'runnerId' | 'status'>;

/**
 * A service's read model of orders: the schema its table is in, and what it keeps of each order
 * (`V`): the whole order, for a service that shows it (the notification service's live feed), or
 * only its parties and status, for one that decides from them (payments, sagas): a third of the
 * bytes per order, and each event's statement writes less.
 */
export interface OrderViewTable<V extends PartiesView> {
  readonly schema: string;
  readonly keeps: 'order' | 'parties';
  /** Only carries `V`. */
  readonly of?: V;
}
export const wholeOrderView = (schema: string): OrderViewTable<OrderRecord> => ({ schema, keeps: 'order' });
export const partiesView = (schema: string): OrderViewTable<PartiesView> => ({ schema, keeps: 'parties' });

const PARTIES_KEPT = ['customerId', 'runnerId', 'status'] as const;
/** What of an order (or of a change to it) the table keeps. */
function kept(table: OrderViewTable<PartiesView>, o: Partial<OrderRecord>): Partial<OrderRecord> {
  if (table.keeps === 'order') return o;
  return Object.fromEntries(PARTIES_KEPT.filter((k) => k in o).map((k) => [k, o[k]]));
}

/** Who an order concerns, as its view says after an event. */
export interface OrderParties {
  customerId: string;
  runnerId: string | null;
}

/** Who an order concerns after an event and, from a table that keeps whole orders, the order as its view then is. */
export type AppliedOrderEvent<V extends PartiesView> = OrderParties & { view?: V };

/**
 * What a statement that applies an event returns: the parties, as the view holds them (so they
 * compare equal to the ids the routes and the stream check), and the whole view where the table
 * keeps whole orders (a view of parties alone is not wanted back).
 */
const returned = (table: OrderViewTable<PartiesView>, alias = '') =>
  `${alias}view->>'customerId' as customer_id, ${alias}view->>'runnerId' as runner_id${table.keeps === 'order' ? `, ${alias}view` : ''}`;
// A data-modifying statement and the row as it was: the outer select sees the snapshot from before
// the statement, which is the row unchanged whenever the change did not apply.
const orElseCurrent = (table: OrderViewTable<PartiesView>) =>
  `select * from changed
   union all select ${returned(table)} from ${table.schema}.order_view where order_id = $1 and not exists (select 1 from changed)`;

const createSql = (table: OrderViewTable<PartiesView>) =>
  `with changed as (
     insert into ${table.schema}.order_view (order_id, customer_id, runner_id, status, view, updated_at) values ($1, $2, null, $3, $4::jsonb, $5)
     on conflict (order_id) do nothing returning ${returned(table)})
   ${orElseCurrent(table)}`;

const moveSql = (table: OrderViewTable<PartiesView>) =>
  `with changed as (
     update ${table.schema}.order_view set status = $2, view = view || $3::jsonb, updated_at = $4,
       runner_id = case when $6 then $5::uuid else coalesce($5::uuid, runner_id) end
     where order_id = $1 and status = any($7::text[]) and ($8::uuid is null or runner_id = $8::uuid) and (not $9 or updated_at <= $4)
     returning ${returned(table)})
   ${orElseCurrent(table)}`;

type AppliedRow<V> = { customer_id: string; runner_id: string | null; view?: V };

async function apply<V extends PartiesView>(tx: Sql, table: OrderViewTable<V>, c: ViewChange): Promise<AppliedOrderEvent<V> | undefined> {
  const [row] =
    c.kind === 'create'
      ? await tx.query<AppliedRow<V>>(createSql(table), [
          c.view.id,
          c.view.customerId,
          c.view.status,
          JSON.stringify(kept(table, c.view)),
          c.view.updatedAt,
        ])
      : await tx.query<AppliedRow<V>>(moveSql(table), [
          c.orderId,
          c.status,
          JSON.stringify(kept(table, c.patch)),
          c.at,
          c.runnerId,
          c.setRunner,
          c.from,
          c.ifRunner,
          c.notBeforeView,
        ]);
  return answerOf(row);
}

function answerOf<V extends PartiesView>(row: AppliedRow<V> | undefined): AppliedOrderEvent<V> | undefined {
  if (!row) return undefined;
  const parties = { customerId: row.customer_id, runnerId: row.runner_id };
  return row.view === undefined ? parties : { ...parties, view: row.view };
}

/**
 * Applies one order event to the read model `table`, in one statement that neither reads the
 * view first nor moves it backwards (see `orderViewChange`), and returns who the order concerns as
 * the view then says, with the whole view where the table keeps whole orders (`undefined` for an
 * order the view does not know, or a message that is not an order change).
 */
export async function applyOrderEvent<V extends PartiesView>(
  tx: Sql,
  table: OrderViewTable<V>,
  m: TypedMessage,
): Promise<AppliedOrderEvent<V> | undefined> {
  const change = orderViewChange(m);
  return change && apply(tx, table, change);
}

export async function findOrderView<V extends PartiesView>(tx: Sql, table: OrderViewTable<V>, orderId: string): Promise<V | undefined> {
  const [row] = await tx.query<{ view: V }>(`select view from ${table.schema}.order_view where order_id = $1`, [orderId]);
  return row?.view;
}

/** The whole views of several orders in one statement, by order id (an order the view does not know is absent). */
export async function findOrderViews(
  tx: Sql,
  table: OrderViewTable<OrderRecord>,
  orderIds: readonly string[],
): Promise<Map<string, OrderRecord>> {
  if (orderIds.length === 0) return new Map();
  const rows = await tx.query<{ view: OrderRecord }>(`select view from ${table.schema}.order_view where order_id = any($1::uuid[])`, [
    [...new Set(orderIds)],
  ]);
  return new Map(rows.map((r) => [r.view.id, r.view]));
}

export const ORDER_EVENT_TYPES = [
  'order.created',
  'order.status_updated',
  'order.accepted',
  'order.runner_released',
  'order.released',
  'order.cancelled',
] as const;

/**
 * Consumer handlers that keep the read model `table` up to date. Where the transaction gathers
 * writes for its commit, the changes of all its messages are written there together (see
 * `applyOrderChanges`); nothing in it reads the view before then.
 */
export function orderViewHandlers(table: OrderViewTable<PartiesView>): Handlers {
  const key = `${table.schema}.order_view`;
  const write = async (tx: Sql, changes: unknown[]) => void (await applyOrderChanges(tx, table, changes as ViewChange[], false));
  const handle: Handler = async (m, ctx) => {
    const change = orderViewChange(m);
    if (!change) return;
    if (ctx.tx.atCommit) ctx.tx.atCommit(key, change, write);
    else await apply(ctx.tx, table, change);
  };
  return Object.fromEntries(ORDER_EVENT_TYPES.map((t) => [t, handle])) as Handlers;
}

/**
 * How a group that only keeps a view consumes: without inbox rows. Each change applies only where
 * the view allows it (see `orderViewChange`), so a message handled twice changes nothing the
 * second time, as its inbox row would have seen to.
 */
export const ORDER_VIEW_CONSUMING = { inbox: false } as const;

// One statement for a set of changes, at most one per order: the creations, the moves, and, where
// the caller wants the answers, each order's row as it was where its change did not apply (the
// outer select sees the snapshot from before the statement).
const changesSql = (table: OrderViewTable<PartiesView>, answer: boolean) =>
  `with x as (
     select * from jsonb_to_recordset($1::jsonb) as x(kind text, order_id uuid, customer_id uuid, status text, start jsonb,
       patch jsonb, at timestamptz, runner_id uuid, set_runner boolean, "from" text[], if_runner uuid, not_before boolean)),
   created as (
     insert into ${table.schema}.order_view (order_id, customer_id, runner_id, status, view, updated_at)
     select order_id, customer_id, null, status, start, at from x where kind = 'create'
     on conflict (order_id) do nothing returning order_id, ${returned(table)}),
   moved as (
     update ${table.schema}.order_view v set status = x.status, view = v.view || x.patch, updated_at = x.at,
       runner_id = case when x.set_runner then x.runner_id else coalesce(x.runner_id, v.runner_id) end
     from x
     where x.kind = 'move' and v.order_id = x.order_id and v.status = any(x."from")
       and (x.if_runner is null or v.runner_id = x.if_runner) and (not x.not_before or v.updated_at <= x.at)
     returning v.order_id, ${returned(table, 'v.')})
   ${
     answer
       ? `select * from created union all select * from moved
   union all select order_id, ${returned(table)} from ${table.schema}.order_view
     where order_id in (select order_id from x)
       and order_id not in (select order_id from created) and order_id not in (select order_id from moved)`
       : 'select 1 as done'
   }`;

/**
 * Applies `changes` in the order given, in as few statements as one order has changes among them:
 * the first change of every order in one statement, then the second, and so on, so an order's
 * changes still apply one after another, each to the view its previous one left. Answers, for
 * each change, what `applyOrderEvent` would have; a caller that needs no answers (`answer`
 * false) spares the statement the reading of the rows its changes left as they were.
 */
export async function applyOrderChanges<V extends PartiesView>(
  tx: Sql,
  table: OrderViewTable<V>,
  changes: readonly ViewChange[],
  answer = true,
): Promise<(AppliedOrderEvent<V> | undefined)[]> {
  const waves: number[][] = [];
  const seen = new Map<string, number>();
  for (const [i, c] of changes.entries()) {
    const id = c.kind === 'create' ? c.view.id : c.orderId;
    const wave = seen.get(id) ?? 0;
    seen.set(id, wave + 1);
    (waves[wave] ??= []).push(i);
  }
  const answers: (AppliedOrderEvent<V> | undefined)[] = changes.map(() => undefined);
  for (const wave of waves) {
    // One change alone is dearer to plan as a set than as the statement made for one.
    if (wave.length === 1) {
      answers[wave[0]!] = await apply(tx, table, changes[wave[0]!]!);
      continue;
    }
    const input = wave.map((i) => {
      const c = changes[i]!;
      return c.kind === 'create'
        ? {
            kind: c.kind,
            order_id: c.view.id,
            customer_id: c.view.customerId,
            status: c.view.status,
            start: kept(table, c.view),
            at: c.view.updatedAt,
          }
        : {
            kind: c.kind,
            order_id: c.orderId,
            status: c.status,
            patch: kept(table, c.patch),
            at: c.at,
            runner_id: c.runnerId,
            set_runner: c.setRunner,
            from: c.from,
            if_runner: c.ifRunner,
            not_before: c.notBeforeView,
          };
    });
    const rows = await tx.query<AppliedRow<V> & { order_id: string }>(changesSql(table, answer), [JSON.stringify(input)]);
    if (!answer) continue;
    const byOrder = new Map(rows.map((r) => [r.order_id, r]));
    for (const [n, i] of wave.entries()) answers[i] = answerOf(byOrder.get(input[n]!.order_id));
  }
  return answers;
}
