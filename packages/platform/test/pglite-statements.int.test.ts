import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteStatements } from '../src/pglite-statements.ts';

/**
 * Prepared statements over PGlite's wire protocol must return exactly what `PGlite#query()`
 * returns, and fail the same way: both paths run on one instance and their answers are compared.
 */
let pglite: PGlite;
let statements: PgliteStatements;

/** The same statement through `PGlite#query()` and through the prepared path. */
async function both(text: string, params?: unknown[]) {
  const old = await pglite.query(text, params).then(
    (r) => ({ rows: r.rows as unknown }),
    (err: unknown) => ({ err }),
  );
  const next = await statements.query(text, params).then(
    (r) => ({ rows: r.rows as unknown }),
    (err: unknown) => ({ err }),
  );
  return { old, next };
}

/** What callers see of an error; a statement's name (PGlite's is "") is the one allowed difference. */
const errorShape = (err: unknown) => {
  const e = err as Record<string, unknown>;
  const message = String(e.message).replace(/prepared statement "[^"]*"/, 'prepared statement ""');
  return { ctor: e.constructor, message, code: e.code, constraint: e.constraint, query: e.query, params: e.params };
};

async function expectSame(text: string, params?: unknown[]) {
  const { old, next } = await both(text, params);
  if ('err' in old) {
    expect('err' in next, `${text} should fail on both paths`).toBe(true);
    expect(errorShape((next as { err: unknown }).err)).toStrictEqual(errorShape(old.err));
    return old;
  }
  expect(next).toStrictEqual(old);
  return old;
}

/** A write through each path (each with its own key), rows compared but for the key and serial. */
async function expectSameWrite(text: string, params: (id: string) => unknown[]) {
  const strip = (rows: unknown[]) => rows.map((row) => ({ ...(row as object), id: undefined, serial_id: undefined }));
  const old = (await pglite.query(text, params(randomUUID()))).rows;
  const next = (await statements.query(text, params(randomUUID()))).rows;
  expect(strip(next)).toStrictEqual(strip(old));
  return old;
}

beforeAll(async () => {
  pglite = new PGlite();
  await pglite.waitReady;
  statements = new PgliteStatements(pglite);
  await pglite.exec(`create schema t;
    create table t.all_types (
      id uuid primary key, name text not null, n int, big bigint, serial_id bigserial, price numeric(10,2),
      flag boolean, doc jsonb, raw json, at timestamptz, ids uuid[], tags text[], nums int[], note text
    );
    create table t.unique_names (name text primary key);`);
});
afterAll(async () => {
  await pglite?.close();
});

describe('prepared statements on PGlite: the results of PGlite#query()', () => {
  it('decodes every type the project stores, null included', async () => {
    const ids = [randomUUID(), randomUUID()];
    const [row] = await expectSameWrite(
      `insert into t.all_types (id, name, n, big, price, flag, doc, raw, at, ids, tags, nums, note)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) returning *`,
      (id) => [
        id,
        'Chicken rice',
        42,
        9007199254740991,
        '12.30',
        true,
        { items: [{ name: 'rice', quantity: 2 }], nested: { a: null } },
        [1, 'two', { three: 3 }],
        new Date('2026-12-05T10:11:12.345Z'),
        ids,
        ['a', 'b "quoted"', 'c,d', ''],
        [1, 2, 3],
        null,
      ],
    );
    const id = (row as { id: string }).id;
    await expectSame('select * from t.all_types where id = $1', [id]);
    await expectSame('select id, doc, ids from t.all_types where id = any($1::uuid[])', [[id, randomUUID()]]);
    await expectSame('select * from t.all_types where id = $1', [randomUUID()]);
  });

  it('decodes computed values and literals', async () => {
    await expectSame(`select 1 as one, 1::bigint as big, count(*) as n, sum(n) as total, now() - now() as gap,
      '{"a":1}'::jsonb as j, array[1,2]::int[] as arr, null::text as nothing, true as yes, 1.5::numeric as num,
      '2026-01-01'::date as day, 'x'::bytea as bytes from t.all_types`);
    await expectSame('select $1::int as a, $2::text as b, $3::boolean as c, $4::jsonb as d', [7, 'seven', false, '{"s":7}']);
    await expectSame('select $1::timestamptz as at, $2::text[] as tags', ['2026-12-05T10:00:00Z', []]);
    await expectSame('select $1 as untyped', ['text by default']);
    await expectSame('select $1::int as missing', [undefined]);
  });

  it('returns no rows for statements without a result, and for an update', async () => {
    const id = randomUUID();
    await expectSameWrite('insert into t.all_types (id, name) values ($1, $2)', (key) => [key, 'x']);
    await pglite.query('insert into t.all_types (id, name) values ($1, $2)', [id, 'x']);
    await expectSame('update t.all_types set note = $2 where id = $1', [id, 'changed']);
    await expectSame('update t.all_types set note = $2 where id = $1 returning note, serial_id', [id, 'again']);
    await expectSame('delete from t.all_types where id = $1', [randomUUID()]);
  });

  it('fails as PGlite#query() fails: constraint violations, bad SQL, several statements', async () => {
    await statements.query('insert into t.unique_names (name) values ($1)', ['taken']);
    const { old } = await both('insert into t.unique_names (name) values ($1)', ['taken']);
    expect((old as { err: { code: string } }).err.code).toBe('23505');
    await expectSame('insert into t.unique_names (name) values ($1)', ['taken']);
    await expectSame('select from nowhere where');
    await expectSame('select * from t.no_such_table');
    await expectSame('select 1; select 2');
    await expectSame('select $1::int', ['not a number']);
    await expectSame('select $1::int', [1, 2]);
  });

  it('prepares each text once and keeps answering after errors', async () => {
    for (let i = 0; i < 3; i++) await expectSame('select $1::int + 1 as next', [i]);
    await expectSame('select $1::int + 1 as next', ['x']);
    await expectSame('select $1::int + 1 as next', [41]);
  });
});

describe('prepared statements on PGlite: transactions', () => {
  it('commits, and rolls back when the function throws', async () => {
    await statements.transaction(async (tx) => {
      await tx.query('insert into t.unique_names (name) values ($1)', ['committed']);
    });
    await expect(
      statements.transaction(async (tx) => {
        await tx.query('insert into t.unique_names (name) values ($1)', ['rolled-back']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const rows = (await statements.query('select name from t.unique_names where name = any($1)', [['committed', 'rolled-back']])).rows;
    expect(rows).toEqual([{ name: 'committed' }]);
  });

  it('reports a transaction aborted by a caught error when it commits', async () => {
    const err = await statements
      .transaction(async (tx) => {
        await tx.query('select 1/0').catch(() => {});
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '25P02', query: 'COMMIT' });
    expect((await statements.query('select 1 as ok', [])).rows).toEqual([{ ok: 1 }]);
  });

  it('opens the transaction with its first statement, whatever that is', async () => {
    expect(await statements.transaction(async () => 'nothing ran')).toBe('nothing ran');
    const bad = await statements.transaction((tx) => tx.query('select from where')).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: '42601' });
    await statements.transaction((tx) => tx.exec(`insert into t.unique_names (name) values ('via-exec')`));
    const inside = await statements.transaction(async (tx) => {
      await tx.query('insert into t.unique_names (name) values ($1)', ['first-of-two']);
      return (await tx.query('select count(*)::int as n from t.unique_names where name = any($1)', [['via-exec', 'first-of-two']])).rows;
    });
    expect(inside).toEqual([{ n: 2 }]);
    // Nothing was left open: a statement outside sees the committed rows, and a throw rolls back.
    await expect(statements.transaction(async () => Promise.reject(new Error('before any statement')))).rejects.toThrow('before any');
    expect((await statements.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('closes the handle when the transaction ends', async () => {
    let kept: { query(text: string, params?: unknown[]): Promise<unknown> } | undefined;
    await statements.transaction(async (tx) => {
      kept = tx;
    });
    await expect(kept?.query('select 1', [])).rejects.toThrow('Transaction is closed');
  });

  it("lets no other caller's statement into an open transaction", async () => {
    const events: string[] = [];
    let inserted!: () => void;
    const insertedSignal = new Promise<void>((resolve) => (inserted = resolve));
    const first = statements.transaction(async (tx) => {
      await tx.query('insert into t.unique_names (name) values ($1)', ['tx-a']);
      events.push('tx inserted');
      inserted();
      // The transaction stays open a while with the other callers' statements already submitted:
      // with the lock broken they would run in this gap.
      await sleep(30);
      await tx.query('insert into t.unique_names (name) values ($1)', ['tx-b']);
      events.push('tx done');
    });
    await insertedSignal;
    const outside = statements.query('select count(*)::int as n from t.unique_names where name like $1', ['tx-%']).then((r) => {
      events.push(`outside saw ${(r.rows[0] as { n: number }).n}`);
    });
    const second = statements.transaction(async (tx) => {
      events.push('second tx started');
      await tx.query('select 1', []);
    });
    await Promise.all([first, outside, second]);
    expect(events.slice(0, 2)).toEqual(['tx inserted', 'tx done']);
    expect(events.slice(2).sort()).toEqual(['outside saw 2', 'second tx started']);
  });
});

describe('prepared statements on PGlite: schema changes', () => {
  const text = 'select * from t.evolving where id = $1';
  let id: string;
  beforeAll(async () => {
    id = randomUUID();
    await pglite.exec('create table t.evolving (id uuid primary key)');
    await pglite.query('insert into t.evolving (id) values ($1)', [id]);
  });

  it('parses a statement again when a change made elsewhere alters its result, outside a transaction', async () => {
    expect((await statements.query(text, [id])).rows).toEqual([{ id }]);
    // Straight through PGlite, as another process's migration would: this path is not told.
    await pglite.exec(`alter table t.evolving add column extra text not null default 'x'`);
    expect((await statements.query(text, [id])).rows).toEqual([{ id, extra: 'x' }]);
  });

  it('fails the transaction that meets the stale statement once, then parses it again', async () => {
    await pglite.exec('alter table t.evolving add column more int');
    const err = await statements.transaction((tx) => tx.query(text, [id])).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '0A000', query: text });
    const rows = await statements.transaction((tx) => tx.query(text, [id]));
    expect(rows.rows).toEqual([{ id, extra: 'x', more: null }]);
  });

  it('parses every statement again after DDL run through it, so a migration never fails one', async () => {
    await statements.transaction(async (tx) => {
      await tx.exec('alter table t.evolving drop column more');
    });
    const rows = await statements.transaction((tx) => tx.query(text, [id]));
    expect(rows.rows).toEqual([{ id, extra: 'x' }]);
  });

  it('parses texts beyond the bound for one use each', async () => {
    const bounded = new PgliteStatements(pglite, 1);
    for (let i = 0; i < 2; i++) {
      expect((await bounded.query('select $1::int as a', [i])).rows).toEqual([{ a: i }]);
      expect((await bounded.query('select $1::text as b', [`${i}`])).rows).toEqual([{ b: `${i}` }]);
      const failed = await bounded.query('select $1::int as c', ['x']).catch((e: unknown) => e);
      expect(failed).toMatchObject({ code: '22P02' });
    }
  });
});
