import type { CancelReason, OrderStatus, PayloadOf } from '@campusg/contracts';
import { AVAILABLE_STATUS } from '@campusg/order-rules';
import { AppError, type Sql } from '@campusg/platform';
import { type OrderRow, TIMESTAMP_COLUMN, totals } from './order.ts';

const COLUMNS = `id, customer_id, runner_id, store, items, delivery_location, instructions, food_cents, delivery_fee_cents,
  total_cents, status, cancel_reason, created_at, updated_at, accepted_at, placed_at, picked_up_at, delivered_at,
  completed_at, cancelled_at, accept_by`;

/**
 * `transitionMany`'s statement: each status stamps its own column (`TIMESTAMP_COLUMN`). The moves
 * come as arrays (`unnest`), which the planner counts as a few rows, so the orders are found by
 * their primary key at any size of the table (a jsonb parameter counts as 100 rows, and a generic
 * plan then joins by scanning every order).
 */
const TRANSITION_MANY = `update orders.orders o set status = x.to_status, updated_at = $5,
    accept_by = coalesce(x.new_accept_by, o.accept_by),
    ${Object.entries(TIMESTAMP_COLUMN)
      .map(([status, column]) => `${column} = case when x.to_status = '${status}' then $5 else o.${column} end`)
      .join(',\n    ')}
  from unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) as x(order_id, from_status, to_status, new_accept_by)
  where o.id = x.order_id and o.status = x.from_status
  returning ${COLUMNS}`;

export interface PageQuery {
  limit: number;
  cursor?: string | undefined;
}

/** Cursor = the last row's (created_at, id), opaque to clients. */
function decodeCursor(cursor: string | undefined): { at: string; id: string } | null {
  if (!cursor) return null;
  try {
    const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
    if (!at || !id || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('bad cursor');
    return { at, id };
  } catch {
    throw new AppError('VALIDATION_FAILED', 'cursor is not one this API returned', { errors: [{ path: 'cursor', message: 'is invalid' }] });
  }
}
const encodeCursor = (r: OrderRow) => Buffer.from(`${new Date(r.created_at).toISOString()}|${r.id}`).toString('base64url');

export const orderRepository = {
  /**
   * Serialises the transactions that may create or tombstone one order id until they commit: a
   * create and a cancel of a not-yet-created order arrive on different command topics, so they can
   * run at once, and without the lock each would see no order and both would win (an order left
   * PENDING beside its tombstone). Several ids are locked in one statement, in the order of the ids.
   */
  async lockIds(tx: Sql, ids: readonly string[]): Promise<void> {
    await tx.query(
      `select pg_advisory_xact_lock(hashtextextended('campusg-order:' || id, 0))
       from (select distinct id from unnest($1::text[]) as id order by 1) as ids`,
      [ids],
    );
  },

  async find(tx: Sql, id: string): Promise<OrderRow | undefined> {
    const [row] = await tx.query<OrderRow>(`select ${COLUMNS} from orders.orders where id = $1`, [id]);
    return row;
  },

  /**
   * Creates each order unless it exists already or was cancelled before it was created (its
   * tombstone), in one statement for them all (no order id twice); returns the new rows, by id. An
   * order is created at its command's `at`.
   */
  async insertUnlessTombstoned(tx: Sql, commands: readonly { cmd: PayloadOf<'create_order'>; at: Date }[]): Promise<Map<string, OrderRow>> {
    const input = commands.map(({ cmd, at }) => {
      const t = totals(cmd.items, cmd.delivery_fee_cents);
      return {
        id: cmd.order_id,
        customer_id: cmd.customer_id,
        store: cmd.store,
        items: cmd.items,
        delivery_location: cmd.delivery_location,
        instructions: cmd.instructions,
        food_cents: t.foodCents,
        delivery_fee_cents: t.deliveryFeeCents,
        total_cents: t.totalCents,
        at,
      };
    });
    const rows = await tx.query<OrderRow>(
      `insert into orders.orders (id, customer_id, store, items, delivery_location, instructions, food_cents,
         delivery_fee_cents, total_cents, status, created_at, updated_at)
       select x.id, x.customer_id, x.store, x.items, x.delivery_location, x.instructions, x.food_cents,
         x.delivery_fee_cents, x.total_cents, 'PENDING', x.at, x.at
       from jsonb_to_recordset($1::jsonb) as x(id uuid, customer_id uuid, store jsonb, items jsonb, delivery_location jsonb,
         instructions text, food_cents int, delivery_fee_cents int, total_cents int, at timestamptz)
       where not exists (select 1 from orders.tombstones t where t.order_id = x.id)
       on conflict (id) do nothing
       returning ${COLUMNS}`,
      [JSON.stringify(input)],
    );
    return new Map(rows.map((r) => [r.id, r]));
  },

  async tombstone(tx: Sql, id: string, now: Date): Promise<void> {
    await tx.query('insert into orders.tombstones (order_id, at) values ($1, $2) on conflict do nothing', [id, now]);
  },

  /**
   * One conditional update: moves the order to `to` only while it is in one of `from` (and, if
   * given, assigned to `runnerWhere`). Returns the updated row, or nothing when the condition failed.
   */
  async transition(
    tx: Sql,
    id: string,
    from: readonly OrderStatus[],
    to: OrderStatus,
    now: Date,
    extra: {
      runnerId?: string | null;
      runnerWhere?: string;
      /** With `runnerId`: the saga whose accept assigns that runner (null when it is released). */
      acceptedBySaga?: string | null;
      /** With `runnerWhere`: only when the order's runner was assigned by this saga (or before sagas were recorded). */
      acceptedBySagaWhere?: string;
      cancelReason?: CancelReason;
      acceptBy?: Date;
    } = {},
  ): Promise<OrderRow | undefined> {
    const sets = ['status = $3', 'updated_at = $4'];
    const params: unknown[] = [id, from, to, now];
    const stamp = TIMESTAMP_COLUMN[to];
    if (stamp) sets.push(`${stamp} = $4`);
    if (extra.runnerId !== undefined) {
      params.push(extra.runnerId);
      sets.push(`runner_id = $${params.length}`);
      if (extra.runnerId === null) sets.push('accepted_at = null');
      params.push(extra.acceptedBySaga ?? null);
      sets.push(`accepted_by_saga = $${params.length}`);
    }
    if (extra.acceptBy) {
      params.push(extra.acceptBy);
      sets.push(`accept_by = $${params.length}`);
    }
    if (extra.cancelReason) {
      params.push(extra.cancelReason);
      sets.push(`cancel_reason = $${params.length}`);
    }
    let where = 'id = $1 and status = any($2)';
    if (extra.runnerWhere) {
      params.push(extra.runnerWhere);
      where += ` and runner_id = $${params.length}`;
    }
    if (extra.acceptedBySagaWhere) {
      params.push(extra.acceptedBySagaWhere);
      where += ` and (accepted_by_saga is null or accepted_by_saga = $${params.length})`;
    }
    const [row] = await tx.query<OrderRow>(`update orders.orders set ${sets.join(', ')} where ${where} returning ${COLUMNS}`, params);
    return row;
  },

  /**
   * Many orders moved at once, each from its expected status to its new one (no order twice): the
   * plain form of `transition`, with an acceptance deadline where one is given; one statement for
   * them all. Returns the rows it moved, by id; an order whose status was not the one expected is
   * left as it was.
   */
  async transitionMany(
    tx: Sql,
    moves: readonly { id: string; from: OrderStatus; to: OrderStatus; acceptBy?: Date | undefined }[],
    now: Date,
  ): Promise<Map<string, OrderRow>> {
    if (moves.length === 0) return new Map();
    const rows = await tx.query<OrderRow>(TRANSITION_MANY, [
      moves.map((m) => m.id),
      moves.map((m) => m.from),
      moves.map((m) => m.to),
      moves.map((m) => m.acceptBy ?? null),
      now,
    ]);
    return new Map(rows.map((r) => [r.id, r]));
  },

  async page(
    tx: Sql,
    filter: {
      customerId?: string;
      runnerId?: string;
      statuses?: readonly OrderStatus[];
      /** Only orders open for runners: written out, so the planner may use the index of those alone. */
      available?: true;
      excludeCustomer?: string;
      search?: string;
    },
    q: PageQuery,
  ) {
    const params: unknown[] = [];
    const where: string[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replaceAll('?', `$${params.length}`));
    };
    if (filter.customerId) add('customer_id = ?', filter.customerId);
    if (filter.runnerId) add('runner_id = ?', filter.runnerId);
    if (filter.statuses?.length) add('status = any(?)', filter.statuses);
    if (filter.available) where.push(`status = '${AVAILABLE_STATUS}'`);
    if (filter.search) {
      // A substring of the store's name or of any item's name, case-insensitively; % and _ are literal.
      const pattern = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      add("(store->>'name' ilike ? or exists (select 1 from jsonb_array_elements(items) i where i->>'name' ilike ?))", pattern);
    }
    if (filter.excludeCustomer) add('customer_id <> ?', filter.excludeCustomer);
    const cursor = decodeCursor(q.cursor);
    if (cursor) {
      params.push(cursor.at, cursor.id);
      where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(q.limit + 1);
    const rows = await tx.query<OrderRow>(
      `select ${COLUMNS} from orders.orders ${where.length ? `where ${where.join(' and ')}` : ''}
       order by created_at desc, id desc limit $${params.length}`,
      params,
    );
    const items = rows.slice(0, q.limit);
    const nextCursor = rows.length > q.limit ? encodeCursor(items[items.length - 1]!) : null;
    return { items, nextCursor };
  },
};
