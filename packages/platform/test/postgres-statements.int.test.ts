import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../../test/support/environment.ts';
import { type Db, openPostgres, type Sql } from '../src/db.ts';

/**
 * Parameterised statements on PostgreSQL run prepared (named) and must answer as the unnamed ones
 * did; DDL and several statements at once keep the simple protocol. Needs a PostgreSQL server
 * (`DATABASE_URL`).
 */
const url = process.env.DATABASE_URL;
const gate = url ? describe : describe.skip;

gate(`platform database on PostgreSQL: prepared statements${url ? '' : ' (needs DATABASE_URL)'}`, () => {
  let db: Db;
  let plain: pg.Pool;
  let drop: () => Promise<void>;
  let other: Db;

  beforeAll(async () => {
    const fresh = await freshDatabase(url as string);
    drop = fresh.drop;
    // One connection each, so a statement prepared once is met again on the same connection.
    db = openPostgres(fresh.url, { max: 1 });
    other = openPostgres(fresh.url, { max: 1 });
    plain = new pg.Pool({ connectionString: fresh.url, max: 1 });
    // pool.end() resolves before its connections have closed, and dropping the database then ends
    // them from the server's side (57P01): an error on a connection being closed, to be ignored as
    // the platform's own pools do.
    plain.on('error', () => {});
    plain.on('connect', (client) => client.on('error', () => {}));
    await db.exec(`create schema t;
      create table t.all_types (id uuid primary key, name text not null, n int, big bigint, price numeric(10,2),
        flag boolean, doc jsonb, at timestamptz, ids uuid[], tags text[]);
      create table t.evolving (id uuid primary key);`);
  });
  afterAll(async () => {
    await db?.close();
    await other?.close();
    await plain?.end();
    await drop?.();
  });

  it('answers as unnamed statements do, for every type and for errors', async () => {
    const insert = `insert into t.all_types (id, name, n, big, price, flag, doc, at, ids, tags)
      values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning *`;
    const values = (id: string) => [
      id,
      'rice',
      1,
      2 ** 40,
      '1.50',
      false,
      { a: [1, { b: null }] },
      new Date('2026-12-05T10:00:00.123Z'),
      [randomUUID()],
      ['x', 'y z'],
    ];
    const a = randomUUID();
    const b = randomUUID();
    const [viaDb] = await db.query(insert, values(a));
    const [viaPool] = (await plain.query(insert, values(b))).rows;
    expect({ ...viaDb, id: undefined, ids: undefined }).toStrictEqual({ ...viaPool, id: undefined, ids: undefined });
    for (let i = 0; i < 3; i++) {
      expect(await db.query('select * from t.all_types where id = any($1::uuid[]) order by name', [[a]])).toStrictEqual(
        (await plain.query('select * from t.all_types where id = any($1::uuid[]) order by name', [[a]])).rows,
      );
    }
    // The connection holds them as prepared statements: parsed once, bound and executed since.
    const prepared = await db.query<{ name: string; statement: string }>('select name, statement from pg_prepared_statements');
    expect(prepared.map((p) => p.statement)).toContain(insert);
    expect(prepared.every((p) => p.name.startsWith('campusg_'))).toBe(true);
    const failed = await db.query(insert, values(a)).catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: '23505', constraint: 'all_types_pkey' });
    expect(await db.query('select count(*) as n from t.all_types where name = $1', ['rice'])).toEqual([{ n: 2 }]);
  });

  it('keeps the simple protocol for texts without parameters, several statements included', async () => {
    await db.query('select 1; select 2');
    await db.exec('create table t.scratch (x int); drop table t.scratch');
    const err = await db.query('select $1::int; select 2', [1]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '42601' });
  });

  it('rolls back a transaction whose function throws', async () => {
    const id = randomUUID();
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into t.all_types (id, name) values ($1, $2)', [id, 'gone']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.query('select id from t.all_types where id = $1', [id])).toEqual([]);
  });

  it("sends a transaction's BEGIN with its first statement and COMMIT with its last, each in one write; nothing for a transaction that runs nothing", async () => {
    const writes: number[] = [];
    const { _write, _writev } = Socket.prototype;
    // Every write to a socket of this process while the transaction runs (the test's only traffic).
    Socket.prototype._write = function (this: Socket, ...args: Parameters<Socket['_write']>) {
      writes.push(1);
      return _write.apply(this, args);
    };
    Socket.prototype._writev = function (this: Socket, ...args: Parameters<NonNullable<Socket['_writev']>>) {
      writes.push(args[0].length);
      return _writev!.apply(this, args);
    };
    const id = randomUUID();
    try {
      await db.transaction(async (tx) => {
        await tx.query('insert into t.all_types (id, name) values ($1, $2)', [id, 'begun']);
        await tx.query('update t.all_types set n = $2 where id = $1', [id, 7]);
      });
      // BEGIN and the insert, the update, COMMIT.
      expect(writes.length).toBe(3);
      writes.length = 0;
      // The last statement said, COMMIT goes with it: committed once it resolves.
      await db.transaction(async (tx) => {
        await tx.query('update t.all_types set n = $2 where id = $1', [id, 8]);
        expect(await tx.queryAndCommit!('update t.all_types set n = n - 1 where id = $1 returning n', [id])).toEqual([{ n: 7 }]);
        await expect(tx.query('select 1 where $1', [true])).rejects.toThrow('has committed');
      });
      expect(writes.length).toBe(2);
      writes.length = 0;
      await db.transaction(async () => {});
      expect(writes).toEqual([]);
    } finally {
      Socket.prototype._write = _write;
      Socket.prototype._writev = _writev;
    }
    expect(await db.query('select n from t.all_types where id = $1', [id])).toEqual([{ n: 7 }]);
    // A first statement that fails aborts the transaction it began, which rolls back.
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into t.all_types (id, name) values ($1, $2)', [id, 'twice']);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await db.query<{ n: number }>('select count(*)::int as n from t.all_types where id = $1', [id])).toEqual([{ n: 1 }]);
    // A last statement that fails turns the COMMIT sent with it into a rollback of the whole transaction.
    const other = randomUUID();
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into t.all_types (id, name) values ($1, $2)', [other, 'rolled back']);
        await tx.queryAndCommit!('insert into t.all_types (id, name) values ($1, $2)', [id, 'twice']);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await db.query('select id from t.all_types where id = $1', [other])).toEqual([]);
    expect(await db.query('select 1 as ok')).toEqual([{ ok: 1 }]); // the connection is usable again
  });

  it('runs what a transaction gives atCommit once, with all its values, before COMMIT; nothing of a rolled-back one', async () => {
    const write = async (tx: Sql, values: unknown[]) => {
      await tx.query('insert into t.all_types (id, name) select unnest($1::uuid[]), $2', [values, 'at commit']);
    };
    const kept = [randomUUID(), randomUUID(), randomUUID()];
    const writes: number[] = [];
    await db.transaction(async (tx) => {
      for (const id of kept)
        tx.atCommit!('names', id, async (t, values) => {
          writes.push(values.length);
          await write(t, values);
        });
      // Not visible to the transaction's own statements before the commit.
      expect(await tx.query('select id from t.all_types where id = any($1::uuid[])', [kept])).toEqual([]);
    });
    expect(writes).toEqual([3]);
    expect(
      (await db.query<{ id: string }>('select id from t.all_types where id = any($1::uuid[])', [kept])).map((r) => r.id).sort(),
    ).toEqual([...kept].sort());
    const lost = randomUUID();
    await expect(
      db.transaction(async (tx) => {
        tx.atCommit!('names', lost, write);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.query('select id from t.all_types where id = $1', [lost])).toEqual([]);
  });

  it('writes what a transaction gave atCommit before the statement it sends with COMMIT', async () => {
    const gathered = [randomUUID(), randomUUID()];
    const last = randomUUID();
    const order: string[] = [];
    await db.transaction(async (tx) => {
      for (const id of gathered)
        tx.atCommit!('names', id, async (t, values) => {
          order.push('gathered');
          await t.query('insert into t.all_types (id, name) select unnest($1::uuid[]), $2', [values, 'at commit']);
        });
      await tx.queryAndCommit!('insert into t.all_types (id, name) values ($1, $2)', [last, 'last']);
      order.push('committed');
    });
    expect(order).toEqual(['gathered', 'committed']);
    const ids = [...gathered, last];
    expect(
      (await db.query<{ id: string }>('select id from t.all_types where id = any($1::uuid[])', [ids])).map((r) => r.id).sort(),
    ).toEqual([...ids].sort());
  });

  it('parses a statement again when another process changed what it returns', async () => {
    const id = randomUUID();
    const text = 'select * from t.evolving where id = $1';
    await db.query('insert into t.evolving (id) values ($1)', [id]);
    expect(await db.query(text, [id])).toEqual([{ id }]);
    await other.exec(`alter table t.evolving add column extra text not null default 'x'`);
    // Outside a transaction: parsed again and run once more.
    expect(await db.query(text, [id])).toEqual([{ id, extra: 'x' }]);
    await other.exec('alter table t.evolving add column more int');
    // Inside: the transaction fails once (it is aborted), the next one parses the statement again.
    const err = await db.transaction((tx) => tx.query(text, [id])).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '0A000' });
    expect(await db.transaction((tx) => tx.query(text, [id]))).toEqual([{ id, extra: 'x', more: null }]);
  });

  it('parses every statement again after DDL it ran itself, so its own migrations never fail one', async () => {
    const id = randomUUID();
    const text = 'select * from t.evolving where id = $1';
    await db.query('insert into t.evolving (id) values ($1)', [id]);
    await db.transaction((tx) => tx.query(text, [id]));
    await db.transaction((tx) => tx.exec('alter table t.evolving drop column more'));
    expect(await db.transaction((tx) => tx.query(text, [id]))).toEqual([{ id, extra: 'x' }]);
  });
});
