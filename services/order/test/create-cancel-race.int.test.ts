import { randomUUID } from 'node:crypto';
import type { MessageType, PayloadOf, TypedMessage } from '@campusg/contracts';
import type { HandlerContext } from '@campusg/messaging';
import { type Db, migrate, openPostgres, type Sql } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../../test/support/environment.ts';
import { createOrderCommand, handlerContext, sagaMessage } from '../../../test/support/handler-context.ts';
import { ORDER_SCHEMA, orderMigrations } from '../src/index.ts';
import { orderHandlers } from '../src/order-handlers.ts';

/**
 * create_order and cancel_order come on different topics (create_order_commands, order_commands),
 * so on PostgreSQL two consumers can handle them for one order id at the same moment. Each must
 * see the other's outcome: the order ends CANCELLED (cancel after create) or never exists
 * (create after cancel) — never PENDING beside a tombstone. Needs a real PostgreSQL server
 * (`DATABASE_URL`): the embedded database runs one transaction at a time, so the race cannot arise there.
 */
const url = process.env.DATABASE_URL;
const required = process.env.CAMPUSG_REQUIRE_KAFKA === '1';

const gate = url ? describe : required ? describe : describe.skip;

gate(`order service: a create and a cancel of one order at once${url ? '' : ' (needs DATABASE_URL)'}`, () => {
  let db: Db;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    if (!url) throw new Error('DATABASE_URL is required (CAMPUSG_REQUIRE_KAFKA=1)');
    const fresh = await freshDatabase(url);
    drop = fresh.drop;
    db = openPostgres(fresh.url, { applicationName: 'order-race' });
    await migrate(db, ORDER_SCHEMA, orderMigrations());
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  const message = <T extends MessageType>(type: T, payload: PayloadOf<T>): TypedMessage<T> => sagaMessage(type, payload);

  /**
   * Runs one handler in its own transaction (or a chunk's handlers, each told the whole chunk, as the
   * bus runs them); `hold` keeps that transaction open until it resolves.
   */
  async function handle(m: TypedMessage | TypedMessage[], hold?: Promise<void>, entered?: () => void) {
    const replies: TypedMessage[] = [];
    const batch = Array.isArray(m) ? m : [m];
    await db.transaction(async (tx: Sql) => {
      for (const one of batch) {
        const ctx = { ...handlerContext(tx, one, replies), batch };
        await (orderHandlers({ acceptWindowMs: 60_000 })[one.type] as (m: TypedMessage, c: HandlerContext) => Promise<void>)(one, ctx);
      }
      entered?.();
      await hold;
    });
    return replies.map((r) => r.type);
  }

  const createFor = (orderId: string) => message('create_order', createOrderCommand(orderId));
  const cancelFor = (orderId: string) => message('cancel_order', { order_id: orderId, reason: 'CUSTOMER_CANCELLED' });

  async function state(orderId: string) {
    const [order] = await db.query<{ status: string }>('select status from orders.orders where id = $1', [orderId]);
    const [tomb] = await db.query<{ n: number }>('select count(*)::int as n from orders.tombstones where order_id = $1', [orderId]);
    return { status: order?.status ?? null, tombstoned: (tomb?.n ?? 0) > 0 };
  }

  /** Starts `first` and holds its transaction open, runs `second` meanwhile, then lets `first` commit. */
  async function race(first: TypedMessage | TypedMessage[], second: TypedMessage) {
    let release!: () => void;
    const hold = new Promise<void>((r) => {
      release = r;
    });
    let entered!: () => void;
    const inside = new Promise<void>((r) => {
      entered = r;
    });
    const a = handle(first, hold, entered);
    await inside; // the first handler has done its work and not committed yet
    let secondDone = false;
    const b = handle(second).then((types) => {
      secondDone = true;
      return types;
    });
    // Either the second finishes while the first is still open (the race lost), or PostgreSQL shows
    // it waiting for the first's lock on the order id.
    const waiting = async () =>
      (await db.query<{ n: number }>(`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`))[0]!.n > 0;
    const deadline = Date.now() + 15_000;
    while (!secondDone && !(await waiting())) {
      if (Date.now() > deadline) throw new Error('the second handler neither finished nor waited');
      await new Promise<void>((r) => setTimeout(r, 10));
    }
    const finishedWhileFirstOpen = secondDone;
    release();
    return { first: await a, second: await b, finishedWhileFirstOpen };
  }

  it('a cancel arriving while the create is uncommitted waits for it, then cancels the order', async () => {
    const orderId = randomUUID();
    const result = await race(createFor(orderId), cancelFor(orderId));
    expect(result.finishedWhileFirstOpen).toBe(false);
    expect(result.first).toEqual(['order.created']);
    expect(result.second).toEqual(['order.cancelled']);
    expect(await state(orderId)).toEqual({ status: 'CANCELLED', tombstoned: false });
  });

  it('a create arriving while the cancel is uncommitted waits for it, then refuses to create the order', async () => {
    const orderId = randomUUID();
    const result = await race(cancelFor(orderId), createFor(orderId));
    expect(result.finishedWhileFirstOpen).toBe(false);
    expect(result.first).toEqual(['order.cancel_failed']);
    expect(result.second).toEqual(['order.creation_failed']);
    expect(await state(orderId)).toEqual({ status: null, tombstoned: true });
  });

  it('a chunk of creates holds the lock of each of its orders: a cancel of any of them waits, then cancels it', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const result = await race([createFor(a), createFor(b), createFor(c)], cancelFor(b));
    expect(result.finishedWhileFirstOpen).toBe(false);
    expect(result.first).toEqual(['order.created', 'order.created', 'order.created']);
    expect(result.second).toEqual(['order.cancelled']);
    expect(await state(b)).toEqual({ status: 'CANCELLED', tombstoned: false });
    expect(await state(c)).toEqual({ status: 'PENDING', tombstoned: false });
  });
});
