/**
 * The benchmark's statement counter wraps every database the platform opens. It must count what the
 * platform runs and change nothing of it: a group-committed part's savepoint rides with its first
 * statement, and writes gathered for the commit run once per round, counted or not.
 */
import { openPglite, type Sql, wrapOpenedDbs } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installSqlStats, resetSqlStats, sqlStats } from '../../bench/lib/sql-stats.ts';

describe('bench statement counts', () => {
  let db: Awaited<ReturnType<typeof openPglite>>;
  beforeAll(async () => {
    installSqlStats();
    db = await openPglite(undefined);
    wrapOpenedDbs(undefined);
    await db.exec('create table t (id int primary key); create table gathered (n int)');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('count a group-committed round as the platform runs it: no savepoint of its own, gathered writes once', async () => {
    resetSqlStats();
    const writeGathered = async (tx: Sql, values: unknown[]) => {
      await tx.query('insert into gathered (n) values ($1)', [values.length]);
    };
    // Asked for together: they share one round (one BEGIN … COMMIT, a savepoint per part).
    await Promise.all(
      [1, 2, 3].map((id) =>
        db.transaction(async (tx) => {
          await tx.query('insert into t (id) values ($1)', [id]);
          tx.atCommit!('gathered', id, writeGathered);
        }),
      ),
    );
    const stats = sqlStats();
    const counted = Object.fromEntries(stats.statements.map((s) => [s.sql, s.n]));
    // The first caller's round runs alone; the two asked for meanwhile share the next one.
    const rounds = stats.transactions.n;
    expect(rounds).toBeGreaterThanOrEqual(1);
    expect(rounds).toBeLessThan(3);
    expect(counted).toEqual({ 'insert into t (id) values ($1)': 3, 'insert into gathered (n) values ($1)': rounds });
    const gathered = await db.query<{ n: number }>('select n from gathered');
    expect(gathered.reduce((sum, r) => sum + r.n, 0)).toBe(3);
  });
});
