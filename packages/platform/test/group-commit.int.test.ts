import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../src/db.ts';
import { openPglite } from '../src/db.ts';
import { groupCommit } from '../src/group-commit.ts';
import { observeDb } from '../src/observe-statements.ts';

/**
 * Group commit on PGlite: transactions asked for while one runs share the next commit, and each
 * caller still sees exactly the outcome its own transaction would have had alone.
 */
describe.each([
  ['on the calling thread', false],
  ['in its own thread', true],
])('group commit, PGlite %s', (_, worker) => {
  let inner: Db;
  let db: Db;
  let commits = 0;

  beforeAll(async () => {
    inner = await openPglite(undefined, { worker });
    await inner.exec('create schema t; create table t.rows (id int primary key, note text not null)');
    db = groupCommit(
      observeDb(
        inner,
        () => {},
        () => commits++,
      ),
    );
  });
  afterAll(async () => {
    await inner?.close();
  });
  beforeEach(async () => {
    await db.query('delete from t.rows');
    commits = 0;
  });

  const ids = async () => (await db.query<{ id: number }>('select id from t.rows order by id')).map((r) => r.id);

  /** Starts a transaction that holds its round open until `release` is called. */
  function holdingRound() {
    let release!: () => void;
    const hold = new Promise<void>((r) => {
      release = r;
    });
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    const done = db.transaction(async (tx) => {
      await tx.query('insert into t.rows values (0, $1)', ['first']);
      started();
      await hold;
    });
    return { running, release, done };
  }

  it('runs the transactions that queued during a round together, in one commit, each with its own result', async () => {
    const first = holdingRound();
    await first.running;
    const queued = [1, 2, 3, 4].map((i) =>
      db.transaction(async (tx) => {
        await tx.query('insert into t.rows values ($1, $2)', [i, `row ${i}`]);
        return i * 10;
      }),
    );
    first.release();
    await first.done;
    expect(await Promise.all(queued)).toEqual([10, 20, 30, 40]);
    expect(await ids()).toEqual([0, 1, 2, 3, 4]);
    // One round for the first, one for the four that waited.
    expect(commits).toBe(2);
  });

  it('rolls back only the part that failed; the others commit and the failure reaches its own caller', async () => {
    const first = holdingRound();
    await first.running;
    const ok1 = db.transaction((tx) => tx.query('insert into t.rows values (1, $1)', ['one']));
    const duplicate = db.transaction(async (tx) => {
      await tx.query('insert into t.rows values (5, $1)', ['five']);
      await tx.query('insert into t.rows values (1, $1)', ['again']);
    });
    const thrown = db.transaction(async (tx) => {
      await tx.query('insert into t.rows values (6, $1)', ['six']);
      throw new Error('refused');
    });
    const ok2 = db.transaction((tx) => tx.query('insert into t.rows values (2, $1)', ['two']));
    first.release();
    await first.done;
    await expect(duplicate).rejects.toMatchObject({ code: '23505' });
    await expect(thrown).rejects.toThrow('refused');
    await Promise.all([ok1, ok2]);
    expect(await ids()).toEqual([0, 1, 2]);
  });

  it('rolls back a part that caught an error and went on with its transaction aborted', async () => {
    const first = holdingRound();
    await first.running;
    const swallowing = db.transaction(async (tx) => {
      await tx.query('insert into t.rows values (7, $1)', ['seven']);
      await tx.query('insert into t.rows values (0, $1)', ['clash']).catch(() => {});
      return 'returned';
    });
    const ok = db.transaction((tx) => tx.query('insert into t.rows values (3, $1)', ['three']));
    first.release();
    await first.done;
    await expect(swallowing).rejects.toMatchObject({ code: '25P02' });
    await ok;
    expect(await ids()).toEqual([0, 3]);
  });

  it('rolls back nothing for a part that failed before its first statement', async () => {
    const first = holdingRound();
    await first.running;
    const ok1 = db.transaction((tx) => tx.query('insert into t.rows values (1, $1)', ['one']));
    const early = db.transaction(async () => {
      throw new Error('refused before any statement');
    });
    const ok2 = db.transaction((tx) => tx.query('insert into t.rows values (2, $1)', ['two']));
    first.release();
    await first.done;
    await expect(early).rejects.toThrow('refused before any statement');
    await Promise.all([ok1, ok2]);
    expect(await ids()).toEqual([0, 1, 2]);
  });

  it('runs what the parts give atCommit once, with the values of the parts that committed', async () => {
    await db.exec('create table if not exists t.totals (name text primary key, n int not null)');
    await db.query('delete from t.totals');
    let writes = 0;
    const add = (tx: Parameters<Parameters<Db['transaction']>[0]>[0], n: number) =>
      tx.atCommit!('totals', n, async (t, values) => {
        writes++;
        await t.query(`insert into t.totals values ('sum', $1) on conflict (name) do update set n = t.totals.n + excluded.n`, [
          (values as number[]).reduce((a, b) => a + b, 0),
        ]);
      });
    const first = holdingRound();
    await first.running;
    const parts = [
      db.transaction(async (tx) => add(tx, 1)),
      db.transaction(async (tx) => {
        add(tx, 100);
        throw new Error('rolled back');
      }),
      db.transaction(async (tx) => add(tx, 2)),
    ];
    first.release();
    await first.done;
    await Promise.allSettled(parts);
    expect(writes).toBe(1);
    expect(await db.query('select n from t.totals')).toEqual([{ n: 3 }]);
  });

  it('fails every caller of a round whose commit fails, and commits none of them', async () => {
    const failing = groupCommit({
      ...inner,
      transactionUnsynced: undefined,
      transaction: (fn) =>
        inner.transaction(async (tx) => {
          const value = await fn(tx);
          throw Object.assign(new Error('commit failed'), { value });
        }),
    });
    const results = await Promise.allSettled(
      [1, 2, 3].map((i) => failing.transaction((tx) => tx.query('insert into t.rows values ($1, $2)', [i, 'x']))),
    );
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(await ids()).toEqual([]);
  });
});

/**
 * Where the database tells of a commit before it is on disk (PGlite in its thread), a round ends
 * at the commit and the next one runs while the disk catches up; a caller hears of its commit only
 * once that commit is on disk, and not at all if the disk fails.
 */
describe('group commit over a database that syncs after the commit', () => {
  let base: Db;
  /** The syncs asked for, in order, each settled by the test. */
  let syncs: { resolve(): void; reject(err: Error): void }[];
  let asked: (() => void) | undefined;
  let db: Db;

  beforeAll(async () => {
    base = await openPglite(undefined, { worker: false });
    await base.exec('create schema u; create table u.rows (id int primary key)');
  });
  afterAll(async () => {
    await base?.close();
  });
  beforeEach(async () => {
    await base.query('delete from u.rows');
    syncs = [];
    db = groupCommit({
      ...base,
      async transactionUnsynced(fn) {
        const value = await base.transaction(fn);
        const synced = new Promise<void>((resolve, reject) => syncs.push({ resolve, reject }));
        asked?.();
        return { value, synced };
      },
    });
  });

  /** Resolves once `n` syncs have been asked for. */
  const syncsAsked = async (n: number) => {
    while (syncs.length < n) await new Promise<void>((r) => (asked = r));
  };
  const settled = (p: Promise<unknown>) => {
    const seen = { done: false };
    p.then(
      () => (seen.done = true),
      () => (seen.done = true),
    );
    return seen;
  };

  it('runs the next round before the last is on disk, and answers each round once its own commit is', async () => {
    const first = db.transaction((tx) => tx.query('insert into u.rows values (1)'));
    const firstSeen = settled(first);
    await syncsAsked(1);
    // The first round committed; its caller waits for the disk, and the next round does not.
    const second = db.transaction((tx) => tx.query('insert into u.rows values (2)'));
    const secondSeen = settled(second);
    await syncsAsked(2);
    expect(await base.query('select id from u.rows order by id')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(firstSeen.done).toBe(false);
    expect(secondSeen.done).toBe(false);
    syncs[0]!.resolve();
    await first;
    expect(secondSeen.done).toBe(false);
    syncs[1]!.resolve();
    await second;
  });

  it('fails the callers of a round whose commit could not be made durable', async () => {
    const parts = [1, 2].map((i) => db.transaction((tx) => tx.query('insert into u.rows values ($1)', [i])));
    // Two rounds (the first alone, the second waiting for it), neither on disk.
    await syncsAsked(2);
    for (const s of syncs) s.reject(new Error('fsync failed'));
    const results = await Promise.allSettled(parts);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason.message).toBe('fsync failed');
  });
});
