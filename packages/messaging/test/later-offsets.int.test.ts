/**
 * The offsets an embedded bus stores later (those no handling stored with its effects): every
 * group's and partition's waiting offset goes in one statement, the furthest of each wins, an
 * offset never goes back, and a failed write keeps them for the next.
 */
import { type Db, migrate, observeDb, openPglite, type Sql } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LaterOffsets } from '../src/embedded/group-offsets.ts';

let db: Db;
beforeAll(async () => {
  db = await openPglite(undefined, { worker: false });
  await migrate(db, 'bus', [
    {
      id: '001_offsets',
      sql: `create table bus.group_offsets (group_id text not null, topic text not null, partition int not null,
        next_offset bigint not null, primary key (group_id, topic, partition))`,
    },
  ]);
});
afterAll(() => db.close());

const stored = async () =>
  (
    await db.query<{ g: string; p: number; n: number }>(
      'select group_id as g, partition as p, next_offset::int as n from bus.group_offsets order by 1, 2',
    )
  ).map((r) => `${r.g}/${r.p}@${r.n}`);

describe('offsets stored later', () => {
  it('writes every waiting offset in one statement, the furthest of each partition and group', async () => {
    const statements: string[] = [];
    const later = new LaterOffsets(
      observeDb(db, (text) => statements.push(text)),
      60_000,
      () => {},
    );
    later.add({ groupId: 'a', topic: 't', partition: 0, nextOffset: 3 });
    later.add({ groupId: 'a', topic: 't', partition: 0, nextOffset: 7 });
    later.add({ groupId: 'a', topic: 't', partition: 0, nextOffset: 5 });
    later.add({ groupId: 'a', topic: 't', partition: 1, nextOffset: 2 });
    later.add({ groupId: 'b', topic: 't', partition: 0, nextOffset: 4 });
    expect(await stored()).toEqual([]);
    await later.flush();
    expect(statements).toHaveLength(1);
    expect(await stored()).toEqual(['a/0@7', 'a/1@2', 'b/0@4']);
    // Never back: a lower offset for a partition leaves the stored one.
    later.add({ groupId: 'a', topic: 't', partition: 0, nextOffset: 6 });
    await later.flush();
    expect(await stored()).toEqual(['a/0@7', 'a/1@2', 'b/0@4']);
  });

  it('writes within its interval without being asked', async () => {
    const later = new LaterOffsets(db, 20, () => {});
    later.add({ groupId: 'c', topic: 't', partition: 0, nextOffset: 9 });
    await vi.waitFor(async () => expect(await stored()).toContain('c/0@9'), { timeout: 5000 });
  });

  it('keeps the offsets of a failed write for the next one', async () => {
    let fail = true;
    const flaky: Sql = {
      query: async (text, params) => {
        if (fail) throw new Error('database gone');
        return db.query(text, params);
      },
      exec: (text) => db.exec(text),
    };
    const later = new LaterOffsets(flaky, 60_000, () => {});
    later.add({ groupId: 'd', topic: 't', partition: 0, nextOffset: 11 });
    await expect(later.flush()).rejects.toThrow('database gone');
    fail = false;
    await later.flush();
    expect(await stored()).toContain('d/0@11');
  });
});
