import { randomUUID } from 'node:crypto';
import { type Db, migrate, openPglite, type Sql } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genericPlan } from '../../../test/support/plans.ts';
import { ORDER_SCHEMA, orderMigrations } from '../src/index.ts';
import { orderRepository } from '../src/order-repository.ts';

/**
 * The runners' list of open orders is the one list read by status alone: it is read through an
 * index of the `CREATED` orders only, which stays the size of the open orders however many ended.
 */
describe('order service: the list of available orders', () => {
  let db: Db;
  const runner = randomUUID();
  const others = [randomUUID(), randomUUID()];
  beforeAll(async () => {
    db = await openPglite(undefined, { worker: false });
    await migrate(db, ORDER_SCHEMA, orderMigrations());
  });
  afterAll(async () => {
    await db?.close();
  });

  /** An order of `customerId` in `status`, created `minute` minutes into the day. */
  async function order(customerId: string, status: string, minute: number): Promise<string> {
    const id = randomUUID();
    const at = new Date(Date.UTC(2026, 11, 1, 12, minute));
    await db.query(
      `insert into orders.orders (id, customer_id, store, items, delivery_location, food_cents, delivery_fee_cents, total_cents, status, created_at, updated_at)
       values ($1, $2, '{}', '[]', '{}', 500, 100, 600, $3, $4, $4)`,
      [id, customerId, status, at],
    );
    return id;
  }

  it("lists other customers' CREATED orders newest first, page by page, through the index of those alone", async () => {
    const open = [await order(others[0]!, 'CREATED', 1), await order(others[1]!, 'CREATED', 2), await order(others[0]!, 'CREATED', 3)];
    await order(runner, 'CREATED', 4);
    for (const [n, status] of ['PENDING', 'ACCEPTED', 'COMPLETED', 'CANCELLED'].entries()) await order(others[1]!, status, 5 + n);

    const statements: { text: string; params: unknown[] | undefined }[] = [];
    const seen: Sql = {
      query: (text, params) => {
        statements.push({ text, params });
        return db.query(text, params);
      },
      exec: (text) => db.exec(text),
    };
    const first = await orderRepository.page(seen, { available: true, excludeCustomer: runner }, { limit: 2 });
    expect(first.items.map((o) => o.id)).toEqual([open[2], open[1]]);
    const second = await orderRepository.page(db, { available: true, excludeCustomer: runner }, { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((o) => o.id)).toEqual([open[0]]);
    expect(second.nextCursor).toBeNull();

    // The statement is answered from the partial index by its generic plan too, the one a prepared
    // statement comes to: the planner proves the index's predicate from the statement's text, so
    // the status is written out, not a parameter.
    const [{ text, params }] = statements as [(typeof statements)[0]];
    expect(await genericPlan(db, text, params)).toContain('"Index Name":"orders_available"');
  });
});
