import { randomUUID } from 'node:crypto';
import type { MessageType, PayloadOf, TypedMessage } from '@campusg/contracts';
import { type Db, migrate, openPglite, openPostgres } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleChunk } from '../../../test/support/chunk.ts';
import { freshDatabase } from '../../../test/support/environment.ts';
import { createOrderCommand, sagaMessage } from '../../../test/support/handler-context.ts';
import { genericPlan, recording } from '../../../test/support/plans.ts';
import { ORDER_SCHEMA, orderMigrations } from '../src/index.ts';
import { orderHandlers } from '../src/order-handlers.ts';
import { orderRepository } from '../src/order-repository.ts';

const message = <T extends MessageType>(type: T, payload: PayloadOf<T>): TypedMessage<T> => sagaMessage(type, payload);
const create = (orderId: string) => message('create_order', createOrderCommand(orderId));
const toCreated = (orderId: string) => message('update_order_status', { order_id: orderId, expected_status: 'PENDING', status: 'CREATED' });
const cancel = (orderId: string) => message('cancel_order', { order_id: orderId, reason: 'CUSTOMER_CANCELLED' });

const url = process.env.DATABASE_URL;
const databases: { name: string; oneAtATime: boolean; open(): Promise<{ db: Db; drop(): Promise<void> }> }[] = [
  {
    name: 'embedded (one transaction at a time)',
    oneAtATime: true,
    open: async () => {
      const db = await openPglite(undefined);
      return { db, drop: () => db.close() };
    },
  },
];
if (url) {
  databases.push({
    name: 'PostgreSQL (order ids locked)',
    oneAtATime: false,
    open: async () => {
      const fresh = await freshDatabase(url);
      const db = openPostgres(fresh.url, { applicationName: 'order-batch' });
      return {
        db,
        drop: async () => {
          await db.close();
          await fresh.drop();
        },
      };
    },
  });
}

describe.each(databases)(
  'order service: the creates and status updates of one transaction run together, on $name',
  ({ oneAtATime, open }) => {
    let db: Db;
    let drop: () => Promise<void>;
    const handlers = orderHandlers({ acceptWindowMs: 60_000, oneAtATime });

    beforeAll(async () => {
      ({ db, drop } = await open());
      await migrate(db, ORDER_SCHEMA, orderMigrations());
    });
    afterAll(async () => {
      await drop?.();
    });

    async function chunk(batch: TypedMessage[]) {
      const { replies, counts } = await handleChunk(db, handlers, batch, { words: 2 });
      return { replies: replies.map((r) => [r.type, (r.payload as { order_id: string }).order_id]), counts: Object.fromEntries(counts) };
    }

    const status = async (orderId: string) =>
      (
        await db.query<{ status: string; accept_by: Date | null }>('select status, accept_by from orders.orders where id = $1', [orderId])
      )[0];
    const tombstoned = async (orderId: string) =>
      (await db.query('select 1 from orders.tombstones where order_id = $1', [orderId])).length > 0;

    it('three creates and three status updates: one insert, one update (and one lock), each answered as if alone', async () => {
      const [a, b, c, x, y, z] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      await chunk([create(x), create(y), create(z)]);
      const { replies, counts } = await chunk([create(a), toCreated(x), create(b), toCreated(y), create(c), toCreated(z)]);

      expect(replies).toEqual([
        ['order.created', a],
        ['order.status_updated', x],
        ['order.created', b],
        ['order.status_updated', y],
        ['order.created', c],
        ['order.status_updated', z],
      ]);
      expect(counts).toEqual({
        'insert into': 1,
        'update orders.orders': 1,
        ...(oneAtATime ? {} : { "select pg_advisory_xact_lock(hashtextextended('campusg-order:'": 1 }),
      });
      for (const id of [a, b, c]) expect((await status(id))?.status).toBe('PENDING');
      for (const id of [x, y, z]) {
        const row = await status(id);
        expect(row?.status).toBe('CREATED');
        expect(row?.accept_by).toBeInstanceOf(Date);
      }
    });

    it('a create whose order a cancel before it names waits for its turn: the tombstone refuses it', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      const { replies } = await chunk([create(a), cancel(b), create(b)]);
      expect(replies).toEqual([
        ['order.created', a],
        ['order.cancel_failed', b],
        ['order.creation_failed', b],
      ]);
      expect(await status(b)).toBeUndefined();
      expect(await tombstoned(b)).toBe(true);
      expect((await status(a))?.status).toBe('PENDING');
    });

    it('a create then a cancel of one order in one transaction: created, then cancelled', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      const { replies } = await chunk([create(a), create(b), cancel(a)]);
      expect(replies).toEqual([
        ['order.created', a],
        ['order.created', b],
        ['order.cancelled', a],
      ]);
      expect((await status(a))?.status).toBe('CANCELLED');
      expect((await status(b))?.status).toBe('PENDING');
    });

    it('a command and its copy in one transaction: the copy gets the same answer and changes nothing', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      const again = create(b);
      await chunk([create(a), again]);
      const update = toCreated(a);
      const { replies } = await chunk([update, toCreated(b), { ...update }, again, { ...again }]);
      expect(replies).toEqual([
        ['order.status_updated', a],
        ['order.status_updated', b],
        ['order.status_updated', a],
        ['order.created', b],
        ['order.created', b],
      ]);
      expect((await status(a))?.status).toBe('CREATED');
    });

    it('a status update from a status the order is not in is refused, and the others of its transaction go ahead', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      await chunk([create(a), create(b)]);
      const wrong = message('update_order_status', { order_id: a, expected_status: 'CREATED', status: 'PLACED' });
      const { replies } = await chunk([wrong, toCreated(b)]);
      expect(replies).toEqual([
        ['order.status_update_failed', a],
        ['order.status_updated', b],
      ]);
      expect((await status(a))?.status).toBe('PENDING');
      expect((await status(b))?.status).toBe('CREATED');
    });

    it('on a table of thousands of orders, the status updates find theirs by primary key (no scan of every order)', async () => {
      await db.exec(`insert into orders.orders (id, customer_id, store, items, delivery_location, food_cents, delivery_fee_cents, total_cents,
          status, created_at, updated_at)
        select gen_random_uuid(), gen_random_uuid(), '{}', '[]', '{}', 1, 1, 2, 'COMPLETED', now(), now() from generate_series(1, 5000)`);
      await db.exec('analyze orders.orders');
      const { sql, statements } = recording(db);
      await orderRepository.transitionMany(sql, [{ id: randomUUID(), from: 'PENDING', to: 'CREATED', acceptBy: new Date() }], new Date());
      const [moved] = statements;
      const plan = await genericPlan(db, moved!.text, moved!.params, { seqScans: true });
      expect(plan).toContain('"Index Name":"orders_pkey"');
      expect(plan).not.toMatch(/"Seq Scan"[^}]*"Relation Name":"orders"/);
    });
  },
);
