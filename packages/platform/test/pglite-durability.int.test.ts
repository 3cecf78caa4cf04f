import fs, { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { openPglite } from '../src/db.ts';
import { newPglite } from '../src/pglite-durable-fs.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'campusg-durability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
// Opening a new data directory runs initdb: tens of seconds on a busy machine.
const SLOW = 180_000;
let n = 0;
const fresh = () => path.join(dir, `db${++n}`);
const durableDir = fresh();

/** What PostgreSQL inside PGlite says about how it commits. */
async function settings(db: { query<T>(text: string): Promise<T[]> }) {
  const [fsync] = await db.query<{ fsync: string }>('show fsync');
  const [method] = await db.query<{ wal_sync_method: string }>('show wal_sync_method');
  return { fsync: fsync?.fsync, method: method?.wal_sync_method };
}

describe('the embedded database commits durably unless told otherwise', () => {
  it(
    'runs PostgreSQL with fsync on by default, and off when told to be fast',
    async () => {
      // One of each thread mode: both open PGlite through the same choice of durability.
      const [durable, fast] = await Promise.all([openPglite(durableDir), openPglite(fresh(), { worker: false, durability: 'fast' })]);
      try {
        expect(await settings(durable)).toEqual({ fsync: 'on', method: 'fsync' });
        expect((await settings(fast)).fsync).toBe('off');
      } finally {
        await Promise.all([durable.close(), fast.close()]);
      }
    },
    SLOW,
  );

  it(
    'syncs the write-ahead log before a commit is answered, one sync for commits made meanwhile',
    async () => {
      // The database the first test created (opening an existing one skips initdb, the slow part).
      const dataDir = durableDir;
      const { db, fs: durableFs } = await newPglite(dataDir, 'durable');
      await db.exec('create table t (n int)');
      await durableFs!.flush();
      const opened: string[] = [];
      const open = fs.promises.open;
      vi.spyOn(fs.promises, 'open').mockImplementation((file, ...rest) => {
        opened.push(String(file));
        return open(file, ...rest);
      });
      const before = durableFs!.flushes;
      // Twenty commits as twenty callers would make them: each answered only after a flush.
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          await db.query('insert into t values ($1)', [i]);
          await durableFs!.flush();
        }),
      );
      const flushes = durableFs!.flushes - before;
      expect(flushes).toBeGreaterThanOrEqual(1);
      expect(flushes).toBeLessThan(20);
      expect(opened.length).toBeGreaterThan(0);
      expect(opened.every((f) => f.startsWith(path.join(dataDir, 'pg_wal')))).toBe(true);
      await db.close();
    },
    SLOW,
  );
});
