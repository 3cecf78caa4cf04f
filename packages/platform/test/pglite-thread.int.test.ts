import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { protocol, TransactionAbortedError } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openPglite } from '../src/db.ts';
import { openPgliteThread } from '../src/pglite-thread.ts';

/**
 * PGlite in its own thread must answer exactly as PGlite on the caller's thread: the same
 * statements run on one of each, and their rows and errors are compared.
 */
let here: Db;
let thread: Db;

const SCHEMA = `create schema t;
  create table t.all_types (
    id uuid primary key, name text not null, n int, big bigint, price numeric(10,2), flag boolean,
    doc jsonb, raw json, at timestamptz, ids uuid[], tags text[], bytes bytea, note text
  );
  create table t.unique_names (name text primary key);`;

beforeAll(async () => {
  [here, thread] = await Promise.all([openPglite(undefined, { worker: false }), openPglite(undefined)]);
  await Promise.all([here.exec(SCHEMA), thread.exec(SCHEMA)]);
});
afterAll(async () => {
  await Promise.all([here?.close(), thread?.close()]);
});

/** What callers see of an error. */
const errorShape = (err: unknown) => {
  const e = err as Record<string, unknown>;
  const { constructor: ctor, message, name, code, severity, detail, constraint, table, schema, query, routine } = e;
  return { ctor, message, name, code, severity, detail, constraint, table, schema, query, routine, params: e.params };
};

/** Runs `text` on both; the results (rows, or the error) must be the same. */
async function expectSame(text: string, params?: unknown[]) {
  const settle = (db: Db) =>
    db.query(text, params).then(
      (rows) => ({ rows }),
      (err: unknown) => ({ err }),
    );
  const [a, b] = await Promise.all([settle(here), settle(thread)]);
  if ('err' in a) {
    expect('err' in b, `${text} should fail on both`).toBe(true);
    const err = (b as { err: unknown }).err;
    expect(errorShape(err)).toStrictEqual(errorShape(a.err));
    // The caller's own parameters, as in-process: the same array, not a copy.
    if (params && (a.err as { params: unknown }).params === params) expect((err as { params: unknown }).params).toBe(params);
    return a;
  }
  expect(b).toStrictEqual(a);
  return a;
}

describe('PGlite in a worker thread: the answers of PGlite in-process', () => {
  it('decodes every type the project stores, null included, from the same parameters', async () => {
    const id = randomUUID();
    const params = [
      id,
      'Chicken rice',
      42,
      9007199254740991,
      '12.30',
      true,
      { items: [{ name: 'rice', quantity: 2, at: new Date('2026-12-05T10:11:12.345Z') }], nested: { a: null } },
      [1, 'two', { three: 3 }],
      new Date('2026-12-05T10:11:12.345Z'),
      [id, randomUUID()],
      ['a', 'b "quoted"', 'c,d', ''],
      Buffer.from([0, 1, 254, 255]),
      undefined,
    ];
    await expectSame(
      `insert into t.all_types (id, name, n, big, price, flag, doc, raw, at, ids, tags, bytes, note)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) returning *`,
      params,
    );
    await expectSame('select * from t.all_types where id = $1', [id]);
    await expectSame('select id, doc from t.all_types where id = any($1::uuid[])', [[id, randomUUID()]]);
    await expectSame(`select 1::bigint as big, 9223372036854775807::bigint as huge, count(*) as n, now() - now() as gap,
      'infinity'::timestamptz as never, null::text as nothing, 1.5::numeric as num, '2026-01-01'::date as day from t.all_types`);
    await expectSame('update t.all_types set note = $2 where id = $1', [id, 'changed']);
  });

  it('fails as PGlite in-process fails: constraint violations, bad SQL, bad parameters', async () => {
    await Promise.all([here, thread].map((db) => db.query('insert into t.unique_names (name) values ($1)', ['taken'])));
    const [violation] = await Promise.all([expectSame('insert into t.unique_names (name) values ($1)', ['taken'])]);
    expect(violation).toMatchObject({ err: { code: '23505', constraint: 'unique_names_pkey' } });
    expect((violation as { err: unknown }).err).toBeInstanceOf(protocol.messages.DatabaseError);
    await expectSame('select from nowhere where');
    await expectSame('select 1; select 2');
    await expectSame('select $1::int', ['not a number']);
    await expectSame('select $1::boolean', ['perhaps']);
    const exec = await Promise.all([here, thread].map((db) => db.exec('select * from t.no_such_table').catch((e: unknown) => e)));
    expect(errorShape(exec[1])).toStrictEqual(errorShape(exec[0]));
  });
});

describe('PGlite in a worker thread: transactions', () => {
  it('commits, and rolls back when the function throws', async () => {
    await thread.transaction(async (tx) => {
      await tx.query('insert into t.unique_names (name) values ($1)', ['committed']);
    });
    const boom = await thread
      .transaction(async (tx) => {
        await tx.query('insert into t.unique_names (name) values ($1)', ['rolled-back']);
        throw new Error('boom');
      })
      .catch((e: unknown) => e);
    expect(boom).toEqual(new Error('boom'));
    const rows = await thread.query('select name from t.unique_names where name = any($1)', [['committed', 'rolled-back']]);
    expect(rows).toEqual([{ name: 'committed' }]);
  });

  it('reports a transaction aborted by a caught error when it commits, and leaves nothing open', async () => {
    const err = await thread
      .transaction(async (tx) => {
        await tx.query('select 1/0').catch(() => {});
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionAbortedError);
    expect(err).toMatchObject({ code: '25P02', query: 'COMMIT' });
    expect(await thread.query('select 1 as ok')).toEqual([{ ok: 1 }]);
  });

  it('runs DDL, concurrent statements and a statement that cannot be sent inside one transaction', async () => {
    expect(await thread.transaction(async () => 'nothing ran')).toBe('nothing ran');
    const counted = await thread.transaction(async (tx) => {
      const unsendable = await tx.query('select $1 as f', [() => 'a function']).catch((e: unknown) => e);
      expect((unsendable as Error).name).toBe('DataCloneError');
      await tx.exec('create table t.made_in_tx (n int)');
      await Promise.all([1, 2, 3].map((n) => tx.query('insert into t.made_in_tx (n) values ($1)', [n])));
      return tx.query<{ n: number }>('select count(*)::int as n from t.made_in_tx');
    });
    expect(counted).toEqual([{ n: 3 }]);
  });

  it('closes the handle when the transaction ends', async () => {
    let kept: Db['query'] | undefined;
    await thread.transaction(async (tx) => {
      await tx.query('select 1');
      kept = tx.query.bind(tx);
    });
    await expect(kept?.('select 1')).rejects.toThrow('Transaction is closed');
  });

  it("lets no other caller's statement into an open transaction", async () => {
    const events: string[] = [];
    let inserted!: () => void;
    let resume!: () => void;
    const firstInserted = new Promise<void>((r) => {
      inserted = r;
    });
    const gate = new Promise<void>((r) => {
      resume = r;
    });
    const first = thread.transaction(async (tx) => {
      await tx.query('insert into t.unique_names (name) values ($1)', ['tx-a']);
      inserted();
      await gate;
      await tx.query('insert into t.unique_names (name) values ($1)', ['tx-b']);
      events.push('first done');
    });
    await firstInserted;
    // Both reach the database thread before the first transaction's second statement does.
    const outside = thread.query<{ n: number }>('select count(*)::int as n from t.unique_names where name like $1', ['tx-%']);
    const second = thread.transaction((tx) => tx.query('select 1 as one'));
    resume();
    await first;
    expect(await outside).toEqual([{ n: 2 }]);
    expect(await second).toEqual([{ one: 1 }]);
    expect(events).toEqual(['first done']);
  });
});

/** Opening PGlite on disk runs initdb: minutes on a busy machine, so these allow more than the default. */
const SLOW = 300_000;

describe('PGlite in a worker thread: its life', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'campusg-pglite-thread-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails to open, rather than waiting, when the data directory cannot be used', async () => {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    await expect(openPglite(file)).rejects.toThrow();
  });

  it('fails every waiting and later call when the thread dies', async () => {
    const db = await openPgliteThread(undefined, 'durable', new URL('./support/dying-pglite-worker.mjs', import.meta.url));
    await expect(db.query('select 1')).rejects.toThrow('PGlite worker exited with code 3');
    await expect(db.transaction((tx) => tx.query('select 1'))).rejects.toThrow('exited with code 3');
    await expect(db.ping()).rejects.toThrow('exited with code 3');
    await db.close();
    expect(await db.ping()).toBe(false);
  });

  it(
    'keeps what it committed across a close and a reopen, and refuses statements once closed',
    async () => {
      const dataDir = path.join(dir, 'pglite');
      const db = await openPglite(dataDir);
      await db.exec('create table kept (n int)');
      await db.transaction((tx) => tx.query('insert into kept (n) values ($1)', [7]));
      await db.close();
      await expect(db.query('select 1')).rejects.toThrow('PGlite is closed');
      const again = await openPglite(dataDir);
      expect(await again.query('select n from kept')).toEqual([{ n: 7 }]);
      await again.close();
    },
    SLOW,
  );

  it(
    'on a durable data directory tells of a commit before its sync, and of the sync after; in memory there is no sync to wait for',
    async () => {
      const memory = await openPgliteThread(undefined, 'durable');
      expect(memory.transactionUnsynced).toBeUndefined();
      await memory.close();
      const db = await openPgliteThread(path.join(dir, 'unsynced'), 'durable');
      await db.exec('create table t (n int)');
      const { value, synced } = await db.transactionUnsynced!(async (tx) => {
        await tx.query('insert into t (n) values (1)');
        return 'done';
      });
      expect(value).toBe('done');
      await synced;
      expect(await db.query('select n from t')).toEqual([{ n: 1 }]);
      // A transaction that fails is rolled back and asks for no sync.
      await expect(db.transactionUnsynced!((tx) => tx.query('insert into t (n) values ($1)', ['not a number']))).rejects.toThrow();
      expect(await db.query('select n from t')).toEqual([{ n: 1 }]);
      await db.close();
    },
    SLOW,
  );

  it(
    'lets the process end on its own when nothing waits for the database',
    async () => {
      const script = path.join(dir, 'query-and-leave.mts');
      writeFileSync(
        script,
        `import { openPglite } from ${JSON.stringify(path.resolve(import.meta.dirname, '../src/db.ts'))};
      const db = await openPglite(undefined);
      console.log(JSON.stringify(await db.query('select 1 as one')));`,
      );
      const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
      });
      const code = await new Promise((resolve) => child.on('exit', resolve));
      expect({ code, out: out.trim() }).toEqual({ code: 0, out: '[{"one":1}]' });
    },
    SLOW,
  );
});
