import { type Db, migrate, openPglite } from '@campusg/platform';
import { sagaStore, sagaStoreMigrations } from '@campusg/saga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A database that ran the first saga migration, when instances still had an `order_id`, keeps its
// instances once the later migrations apply: the same rows, read back under `key`.

const SAGA = '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d';
const ORDER = '6f1c2a0e-4b7d-4c1e-9a2b-3d4e5f6a7b8c';
const USER = '0b8e7f6a-5d4c-4b3a-8f9e-1a2b3c4d5e6f';
const AT = new Date('2026-11-26T10:00:00.000Z');

/** An instance as the engine stored it before instances had a key: its order id in the column and the state. */
const legacyState = {
  id: SAGA,
  type: 'create-order',
  orderId: ORDER,
  status: 'RUNNING',
  phase: 'forward',
  stepIndex: 1,
  compensations: [],
  compensated: 0,
  awaiting: ['00000000-0000-4000-8000-000000000001'],
  attempts: 1,
  deadlineAt: '2026-11-26T10:00:30.000Z',
  data: { order: { order_id: ORDER } },
  error: null,
  startedAt: AT.toISOString(),
  endedAt: null,
};

describe('migrations of sagas.instances on an existing database', () => {
  let db: Db;
  let applied: string[];
  // One database for the whole story (an embedded database is slow to open): 001, a row, the rest.
  beforeAll(async () => {
    db = await openPglite(undefined);
    await withLegacyInstance();
    applied = await migrate(db, 'sagas', sagaStoreMigrations());
  });
  afterAll(async () => {
    await db?.close();
  });

  async function withLegacyInstance(): Promise<void> {
    const [first] = sagaStoreMigrations();
    expect(first?.id).toBe('001_sagas');
    await migrate(db, 'sagas', [first!]);
    await db.query(
      `insert into sagas.instances (id, type, order_id, business_key, exclusive, status, deadline_at, started_by, state, started_at, updated_at)
       values ($1, 'create-order', $2, $3, true, 'RUNNING', $4, $5, $6::jsonb, $7, $7)`,
      [SAGA, ORDER, `create-order:${ORDER}`, legacyState.deadlineAt, USER, JSON.stringify(legacyState), AT],
    );
    await db.query(
      `insert into sagas.history (saga_id, seq, at, kind, type, message_id, note) values ($1, 1, $2, 'command', 'create_order', null, null)`,
      [SAGA, AT],
    );
  }

  it('renames order_id to a text key, keeping every row and its history', async () => {
    expect(applied).toEqual(
      sagaStoreMigrations()
        .slice(1)
        .map((m) => m.id),
    );

    const columns = await db.query<{ name: string; type: string }>(
      `select column_name as name, data_type as type from information_schema.columns where table_schema = 'sagas' and table_name = 'instances'`,
    );
    expect(columns).toContainEqual({ name: 'key', type: 'text' });
    expect(columns.map((c) => c.name)).not.toContain('order_id');
    const [row] = await db.query<{ key: string; business_key: string }>('select key, business_key from sagas.instances where id = $1', [
      SAGA,
    ]);
    expect(row).toEqual({ key: ORDER, business_key: `create-order:${ORDER}` });

    const stored = await sagaStore.load(db, SAGA, 'create-order');
    expect(stored?.state).toEqual({ ...Object.fromEntries(Object.entries(legacyState).filter(([k]) => k !== 'orderId')), key: ORDER });
    expect(stored?.startedBy).toBe(USER);
    expect(await sagaStore.history(db, SAGA)).toHaveLength(1);
    expect((await sagaStore.list(db, { key: ORDER, limit: 10 })).map((r) => [r.id, r.key])).toEqual([[SAGA, ORDER]]);
    expect(await sagaStore.deadlines(db, 'create-order', new Date('2026-11-26T10:01:00.000Z'), 10)).toEqual({ due: [SAGA], next: null });
  });

  it('keeps each instance’s last history sequence in its row, so the next decision appends after it', async () => {
    const seqOf = async () => (await db.query<{ n: number }>('select history_seq as n from sagas.instances where id = $1', [SAGA]))[0]?.n;
    expect(await seqOf()).toBe(1);
    const stored = await sagaStore.load(db, SAGA, 'create-order');
    const entry = { at: AT.toISOString(), kind: 'event' as const, type: 'order.created', messageId: null, note: null };
    await db.transaction((tx) => sagaStore.save(tx, stored!.state, stored!.version, [entry, { ...entry, type: 'x' }], AT));
    expect(await seqOf()).toBe(3);
    const seqs = await db.query<{ seq: number; type: string }>('select seq, type from sagas.history where saga_id = $1 order by seq', [
      SAGA,
    ]);
    expect(seqs).toEqual([
      { seq: 1, type: 'create_order' },
      { seq: 2, type: 'order.created' },
      { seq: 3, type: 'x' },
    ]);
    // A stale version writes neither the instance nor its history.
    await expect(db.transaction((tx) => sagaStore.save(tx, stored!.state, stored!.version, [entry], AT))).rejects.toThrow(
      /changed concurrently/,
    );
    expect(await sagaStore.history(db, SAGA)).toHaveLength(3);
  });

  it('indexes the key instead of the order id, and still holds each business key', async () => {
    const indexes = await db.query<{ name: string }>(`select indexname as name from pg_indexes where schemaname = 'sagas'`);
    expect(indexes.map((i) => i.name)).toEqual(expect.arrayContaining(['instances_key', 'instances_business_key']));
    expect(indexes.map((i) => i.name)).not.toContain('instances_order');

    // A second start with the business key of the migrated instance finds it.
    const fresh = { ...legacyState, id: '3b4c5d6e-7f8a-4b9c-8d0e-1f2a3b4c5d6e', orderId: undefined, key: ORDER };
    const again = await db.transaction((tx) =>
      sagaStore.insert(tx, fresh as never, {
        businessKey: `create-order:${ORDER}`,
        exclusive: true,
        startedBy: USER,
        now: AT,
        history: [],
      }),
    );
    expect(again).toEqual({ id: SAGA, created: false });
  });

  it('is a no-op once applied', async () => {
    expect(await migrate(db, 'sagas', sagaStoreMigrations())).toEqual([]);
  });
});
