import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openPglite } from '../src/db.ts';
import { Pruner, vacuumDeadRows } from '../src/retention.ts';

/**
 * An embedded database has no autovacuum: `vacuumDeadRows` stands in for it, so a table that is
 * only ever updated stops growing once its dead row versions are vacuumed, on PGlite in its own
 * thread (as the platform runs it) and on the caller's.
 */
const ROWS = 1000;
const size = async (db: Db, table: string) =>
  Number((await db.query<{ b: number }>(`select pg_relation_size($1)::int8 as b`, [table]))[0]!.b);

for (const [label, worker] of [
  ['PGlite in its own thread', true],
  ['PGlite on the caller thread', false],
] as const) {
  describe(`vacuum of dead rows, ${label}`, () => {
    let db: Db;
    beforeAll(async () => {
      db = await openPglite(undefined, { worker });
      await db.exec(`create schema s;
        create table s.updated (id int primary key, n int not null, note text not null);
        create table s.appended (id int primary key, note text not null);
        insert into s.updated select g, 0, repeat('x', 100) from generate_series(1, ${ROWS}) g;
        insert into s.appended select g, repeat('x', 100) from generate_series(1, ${ROWS}) g;`);
    });
    afterAll(() => db?.close());

    it('vacuums the tables whose dead rows passed the threshold, and only those', async () => {
      await db.exec('update s.updated set n = n + 1');
      expect(await vacuumDeadRows(db)).toEqual(['s.updated']);
      // Nothing is dead any more.
      expect(await vacuumDeadRows(db)).toEqual([]);
      // Below the threshold (50 + 20 % of the live rows): left for later.
      await db.exec('update s.updated set n = n + 1 where id <= 100');
      expect(await vacuumDeadRows(db)).toEqual([]);
      await db.exec('delete from s.appended where id <= 400');
      expect(await vacuumDeadRows(db)).toEqual(['s.appended']);
    });

    it('keeps a table that is only updated from growing', async () => {
      await db.exec('update s.updated set n = n + 1');
      await vacuumDeadRows(db);
      const steady = await size(db, 's.updated');
      for (let i = 0; i < 10; i++) {
        await db.exec('update s.updated set n = n + 1');
        await vacuumDeadRows(db);
      }
      expect(await size(db, 's.updated')).toBe(steady);
      // Without it, each update of every row adds a row version per row.
      for (let i = 0; i < 5; i++) await db.exec('update s.updated set n = n + 1');
      expect(await size(db, 's.updated')).toBeGreaterThan(2 * steady);
    });
  });
}

describe('the pruner', () => {
  it('runs the vacuum at most every vacuumEveryMs', async () => {
    let runs = 0;
    const vacuum = async () => {
      runs++;
    };
    const often = new Pruner([], { intervalMs: 60_000, batch: 10, vacuum, vacuumEveryMs: 0 });
    await often.runOnce();
    await often.runOnce();
    expect(runs).toBe(2);
    const rarely = new Pruner([], { intervalMs: 60_000, batch: 10, vacuum, vacuumEveryMs: 60_000 });
    await rarely.runOnce();
    expect(runs).toBe(2);
  });
});
