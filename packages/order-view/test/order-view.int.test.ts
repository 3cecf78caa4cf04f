/**
 * The read model on a real database (PGlite): an order's events in their order build the view the
 * order service holds; a replayed or late event never moves it backwards; each event is one
 * statement, which says who the order concerns whether or not it changed the view.
 */
import { createMessage, type MessageType, type Order, type PayloadOf, type TypedMessage } from '@campusg/contracts';
import { type Db, observeSql, openPglite, type Sql } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyOrderChanges,
  applyOrderEvent,
  findOrderView,
  type OrderViewTable,
  orderViewChange,
  orderViewHandlers,
  orderViewTableSql,
  type PartiesView,
  partiesView,
  wholeOrderView,
} from '../src/index.ts';

const SCHEMA = 'views';
const TABLE = wholeOrderView(SCHEMA);
const PARTIES = partiesView('parties');
let db: Db;
beforeAll(async () => {
  db = await openPglite(undefined);
  await db.exec(`create schema ${SCHEMA}; ${orderViewTableSql(SCHEMA)} create schema parties; ${orderViewTableSql('parties')}`);
});
afterAll(() => db.close());

const uuid = () => crypto.randomUUID();
/** The events of one order, a second apart. */
function order() {
  const id = uuid();
  const customer = uuid();
  let second = 0;
  const event = <T extends MessageType>(type: T, payload: Omit<PayloadOf<T>, 'order_id'>): TypedMessage<T> =>
    createMessage(type, { order_id: id, ...payload } as PayloadOf<T>, {
      messageId: uuid(),
      correlationId: uuid(),
      causationId: null,
      source: 'order-service',
      timestamp: new Date(Date.UTC(2026, 0, 1, 12, 0, second++)),
    });
  const created = () =>
    event('order.created', { customer_id: customer, status: 'PENDING', food_cents: 1000, delivery_fee_cents: 380, total_cents: 1380 });
  const status = (
    s: 'CREATED' | 'PLACED' | 'ON_THE_WAY' | 'DELIVERED' | 'COMPLETED',
    previous: PayloadOf<'order.status_updated'>['status'],
    runner: string | null = null,
  ) => event('order.status_updated', { status: s, previous_status: previous, runner_id: runner });
  return {
    id,
    customer,
    created,
    status,
    accepted: (runner: string) => event('order.accepted', { runner_id: runner, customer_id: customer }),
    released: (runner: string) => event('order.runner_released', { runner_id: runner }),
    givenBack: (runner: string) =>
      event('order.released', { runner_id: runner, customer_id: customer, accept_by: '2026-01-01T13:00:00.000Z' }),
    cancelled: () => event('order.cancelled', { reason: 'CUSTOMER_CANCELLED', previous_status: 'CREATED' }),
  };
}

/** Counts the statements run through it. */
function counting(sql: Sql): Sql & { n: number } {
  const c = Object.assign(
    observeSql(sql, () => c.n++),
    { n: 0 },
  );
  return c;
}

async function apply(...events: TypedMessage[]): Promise<void> {
  for (const m of events) await applyOrderEvent(db, TABLE, m);
}
const view = async (id: string) => (await findOrderView(db, TABLE, id)) as Order;

describe('the order view', () => {
  it('follows an order through its life, stamping each status with its event time', async () => {
    const o = order();
    const runner = uuid();
    const events = [o.created(), o.status('CREATED', 'PENDING'), o.accepted(runner), o.status('PLACED', 'ACCEPTED', runner)];
    const [created, , accepted, placed] = events.map((e) => e.timestamp);
    await apply(...events);
    expect(await view(o.id)).toMatchObject({
      id: o.id,
      customerId: o.customer,
      runnerId: runner,
      status: 'PLACED',
      totalCents: 1380,
      createdAt: created,
      updatedAt: placed,
      acceptedAt: accepted,
      placedAt: placed,
      pickedUpAt: null,
      cancelledAt: null,
    });
    const [row] = await db.query(`select customer_id, runner_id, status from ${SCHEMA}.order_view where order_id = $1`, [o.id]);
    expect(row).toEqual({ customer_id: o.customer, runner_id: runner, status: 'PLACED' });
  });

  it('applies each event in one statement and says who the order concerns and how it then is, changed or not', async () => {
    const o = order();
    const runner = uuid();
    const tx = counting(db);
    const whole = (status: string, runnerId: string | null) => ({
      customerId: o.customer,
      runnerId,
      view: expect.objectContaining({ id: o.id, customerId: o.customer, runnerId, status }),
    });
    expect(await applyOrderEvent(tx, TABLE, o.created())).toEqual(whole('PENDING', null));
    const open = o.status('CREATED', 'PENDING');
    expect(await applyOrderEvent(tx, TABLE, open)).toEqual(whole('CREATED', null));
    expect(await applyOrderEvent(tx, TABLE, o.accepted(runner))).toEqual(whole('ACCEPTED', runner));
    // A replay that changes nothing still answers, from the view as it is.
    expect(await applyOrderEvent(tx, TABLE, open)).toEqual(whole('ACCEPTED', runner));
    expect(tx.n).toBe(4);
    expect(await applyOrderEvent(tx, TABLE, order().accepted(runner))).toBeUndefined();
  });

  it('never moves backwards on a replayed or late event', async () => {
    const o = order();
    const runner = uuid();
    const created = o.created();
    const open = o.status('CREATED', 'PENDING');
    const accepted = o.accepted(runner);
    const placed = o.status('PLACED', 'ACCEPTED', runner);
    const delivered = o.status('DELIVERED', 'ON_THE_WAY', runner);
    await apply(created, open, accepted, placed, delivered);
    const before = await view(o.id);
    await apply(open, accepted, placed, created, o.released(runner), o.cancelled());
    expect(await view(o.id)).toEqual(before);
    expect(before.status).toBe('DELIVERED');
  });

  it('goes round when a runner is released, and an old accept or release cannot undo the next round', async () => {
    const o = order();
    const [first, second] = [uuid(), uuid()];
    const [created, open, firstAccept] = [o.created(), o.status('CREATED', 'PENDING'), o.accepted(first)];
    await apply(created, open, firstAccept);
    // A release naming another runner releases nobody.
    await apply(o.released(second));
    expect(await view(o.id)).toMatchObject({ status: 'ACCEPTED', runnerId: first });
    const firstRelease = o.released(first);
    await apply(firstRelease);
    expect(await view(o.id)).toMatchObject({ status: 'CREATED', runnerId: null, acceptedAt: null });
    await apply(firstAccept);
    expect(await view(o.id)).toMatchObject({ status: 'CREATED', runnerId: null });
    // The same runner takes it again: the old release is older than this round.
    const secondAccept = o.accepted(first);
    await apply(secondAccept, firstRelease);
    expect(await view(o.id)).toMatchObject({ status: 'ACCEPTED', runnerId: first, acceptedAt: secondAccept.timestamp });
    // A repeated accept of the runner who has it keeps the time it was first accepted.
    await apply(o.accepted(first));
    expect(await view(o.id)).toMatchObject({ acceptedAt: secondAccept.timestamp });
  });

  it('opens the order again when its runner gives it back, and only for that runner', async () => {
    const o = order();
    const [rita, otto] = [uuid(), uuid()];
    await apply(o.created(), o.status('CREATED', 'PENDING'), o.accepted(rita));
    await apply(o.givenBack(otto));
    expect(await view(o.id)).toMatchObject({ status: 'ACCEPTED', runnerId: rita });
    const back = o.givenBack(rita);
    await apply(back);
    expect(await view(o.id)).toMatchObject({ status: 'CREATED', runnerId: null, acceptedAt: null, updatedAt: back.timestamp });
    await apply(o.accepted(otto));
    // Rita's give-back delivered again cannot take the order from Otto.
    await apply(back);
    expect(await view(o.id)).toMatchObject({ status: 'ACCEPTED', runnerId: otto });
  });

  it('cancels an open order once, with its reason', async () => {
    const o = order();
    const cancel = o.cancelled();
    await apply(o.created(), o.status('CREATED', 'PENDING'), cancel, o.cancelled(), o.status('CREATED', 'PENDING'));
    expect(await view(o.id)).toMatchObject({ status: 'CANCELLED', cancelReason: 'CUSTOMER_CANCELLED', cancelledAt: cancel.timestamp });
  });

  it('keeps the first view of an order created twice, and ignores events of an order it never saw', async () => {
    const o = order();
    const first = o.created();
    await apply(first, o.created());
    expect((await view(o.id)).updatedAt).toBe(first.timestamp);
    const unknown = order();
    await apply(unknown.status('CREATED', 'PENDING'));
    expect(await findOrderView(db, TABLE, unknown.id)).toBeUndefined();
  });

  it('keeps only who an order concerns and its status where that is all a service needs, through every turn', async () => {
    const o = order();
    const [rita, otto] = [uuid(), uuid()];
    const life = [
      o.created(),
      o.status('CREATED', 'PENDING'),
      o.accepted(rita),
      o.givenBack(rita),
      o.accepted(otto),
      o.released(rita),
      o.status('PLACED', 'ACCEPTED', otto),
      o.status('ON_THE_WAY', 'PLACED', otto),
      o.status('DELIVERED', 'ON_THE_WAY', otto),
      o.status('COMPLETED', 'DELIVERED', otto),
    ];
    for (const m of life) {
      const { view: answered, ...whole } = (await applyOrderEvent(db, TABLE, m))!;
      // The same parties answered after each event (a view of parties is not answered back), and
      // the same parties and status kept.
      expect(await applyOrderEvent(db, PARTIES, m)).toEqual(whole);
      const full = await view(o.id);
      expect(answered).toEqual(full);
      expect(await findOrderView(db, PARTIES, o.id)).toEqual({ customerId: full.customerId, runnerId: full.runnerId, status: full.status });
    }
    expect(await findOrderView(db, PARTIES, o.id)).toEqual({ customerId: o.customer, runnerId: otto, status: 'COMPLETED' });
    const [row] = await db.query(`select customer_id, runner_id, status from parties.order_view where order_id = $1`, [o.id]);
    expect(row).toEqual({ customer_id: o.customer, runner_id: otto, status: 'COMPLETED' });
  });
});

describe("a view group's handlers", () => {
  /** Handles `events` as the view's consumer group does, in one transaction; resolves to the statements it ran. */
  async function handle(table: OrderViewTable<PartiesView>, ...events: TypedMessage[]): Promise<number> {
    const handlers = orderViewHandlers(table) as Record<string, (m: TypedMessage, ctx: { tx: Sql }) => Promise<void>>;
    let counted: { n: number } = { n: 0 };
    await db.transaction(async (tx) => {
      const sql = counting(tx);
      counted = sql;
      for (const m of events) await handlers[m.type]!(m, { tx: sql });
    });
    // Read once committed: the writes ran just before the commit.
    return counted.n;
  }

  it("writes a transaction's changes at its commit, each order's one after another, in a statement per change of the busiest order", async () => {
    const [a, b, c] = [order(), order(), order()];
    const runner = uuid();
    const life = [a.created(), a.status('CREATED', 'PENDING'), a.accepted(runner), a.status('PLACED', 'ACCEPTED', runner)];
    const others = [b.created(), c.created(), c.status('CREATED', 'PENDING')];
    // Interleaved as a round brings them: a's four changes make four statements, b's and c's ride along.
    const statements = await handle(TABLE, life[0]!, others[0]!, life[1]!, others[1]!, life[2]!, others[2]!, life[3]!);
    expect(statements).toBe(4);
    // The same views as the events applied one at a time.
    const [one] = [order()];
    const byOne = [one.created(), one.status('CREATED', 'PENDING'), one.accepted(runner), one.status('PLACED', 'ACCEPTED', runner)];
    await apply(...byOne);
    const same = (v: Order, id: string, customerId: string) => ({ ...v, id, customerId });
    expect(await view(a.id)).toEqual(same(await view(one.id), a.id, a.customer));
    expect(await view(a.id)).toMatchObject({ status: 'PLACED', runnerId: runner, acceptedAt: life[2]!.timestamp });
    expect(await view(b.id)).toMatchObject({ status: 'PENDING', runnerId: null });
    expect(await view(c.id)).toMatchObject({ status: 'CREATED', updatedAt: others[2]!.timestamp });
    // A view of parties keeps only those, written the same way.
    expect(await handle(PARTIES, ...life)).toBe(4);
    expect(await findOrderView(db, PARTIES, a.id)).toEqual({ customerId: a.customer, runnerId: runner, status: 'PLACED' });
  });

  it('changes nothing with a message handled again, in the same transaction or a later one: it needs no inbox', async () => {
    const o = order();
    const [rita, otto] = [uuid(), uuid()];
    const first = [o.created(), o.status('CREATED', 'PENDING'), o.accepted(rita), o.released(rita)];
    await handle(TABLE, ...first, ...first);
    expect(await view(o.id)).toMatchObject({ status: 'CREATED', runnerId: null, acceptedAt: null });
    const second = [o.accepted(otto), o.status('PLACED', 'ACCEPTED', otto)];
    await handle(TABLE, ...second);
    const settled = await view(o.id);
    await handle(TABLE, ...first, ...second);
    await handle(TABLE, ...second.reverse(), ...first.reverse());
    expect(await view(o.id)).toEqual(settled);
    expect(settled).toMatchObject({ status: 'PLACED', runnerId: otto });
  });

  it('writes nothing for a transaction rolled back', async () => {
    const o = order();
    const handlers = orderViewHandlers(TABLE) as Record<string, (m: TypedMessage, ctx: { tx: Sql }) => Promise<void>>;
    const created = o.created();
    await expect(
      db.transaction(async (tx) => {
        await handlers[created.type]!(created, { tx });
        throw new Error('the handler after it failed');
      }),
    ).rejects.toThrow('failed');
    expect(await findOrderView(db, TABLE, o.id)).toBeUndefined();
  });

  it('answers for each change who the order concerns and how it then is, as applying the events one at a time does', async () => {
    const [a, b] = [order(), order()];
    const [rita, otto] = [uuid(), uuid()];
    const lifeOf = (o: ReturnType<typeof order>) => [
      o.created(),
      o.status('CREATED', 'PENDING'),
      o.accepted(rita),
      o.released(rita),
      o.accepted(otto),
      o.accepted(rita),
      o.created(),
    ];
    const together = lifeOf(a);
    const unknown = order().status('CREATED', 'PENDING');
    const answers = await db.transaction((tx) =>
      applyOrderChanges(
        tx,
        TABLE,
        [...together, unknown].map((m) => orderViewChange(m)!),
      ),
    );
    const alone = [];
    for (const m of lifeOf(b)) alone.push(await applyOrderEvent(db, TABLE, m));
    // The same answers, but for the order's ids and times.
    const plain = (x: unknown) =>
      JSON.parse(JSON.stringify(x).replaceAll(a.id, 'ID').replaceAll(a.customer, 'C').replaceAll(b.id, 'ID').replaceAll(b.customer, 'C'));
    expect(plain(answers.slice(0, -1).map((x) => ({ ...x, view: { ...x!.view, createdAt: 0, updatedAt: 0, acceptedAt: 0 } })))).toEqual(
      plain(alone.map((x) => ({ ...x, view: { ...x!.view, createdAt: 0, updatedAt: 0, acceptedAt: 0 } }))),
    );
    expect(answers.map((x) => [x?.runnerId, x?.view?.status])).toEqual([
      [null, 'PENDING'],
      [null, 'CREATED'],
      [rita, 'ACCEPTED'],
      [null, 'CREATED'],
      [otto, 'ACCEPTED'],
      [otto, 'ACCEPTED'],
      [otto, 'ACCEPTED'],
      [undefined, undefined],
    ]);
  });
});
