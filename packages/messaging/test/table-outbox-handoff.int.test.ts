/**
 * The outbox relay's in-memory handoff: records go to the transport after the commit without being
 * read back, rows are deleted once acknowledged, and per-key order holds when two instances write
 * the same schema (a record waits for a lower row another relay still has in flight; a row nobody
 * hands off is found in the table).
 */
import { type Db, migrate, observeDb, openPglite } from '@campusg/platform';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { messagingTablesSql, type OutboxReceipt, type OutgoingRecord, TableOutbox } from '../src/index.ts';
import { waitFor } from './support/bus-environment.ts';
import { StandInTransport } from './support/stand-in-transport.ts';

/** The statements a Db handle runs, outside transactions and in them. */
function counting(db: Db): { db: Db; statements: string[] } {
  const statements: string[] = [];
  return { db: observeDb(db, (text) => statements.push(text)), statements };
}

describe('TableOutbox handoff', () => {
  const schema = 'handoff';
  let db: Db;
  beforeAll(async () => {
    db = await openPglite(undefined);
    await migrate(db, schema, [{ id: '001', sql: messagingTablesSql(schema) }]);
  });
  afterEach(async () => {
    await db.exec(`delete from ${schema}.outbox`);
  });
  afterAll(async () => {
    await db.close();
  });

  const rec = (value: string): OutgoingRecord => ({ topic: 'order_events', key: 'k', value, headers: {} });

  async function add(outbox: TableOutbox, values: string[], wake = true): Promise<OutboxReceipt> {
    let receipt: OutboxReceipt | undefined;
    await db.transaction(async (tx) => {
      receipt = await outbox.add(tx, values.map(rec));
    });
    if (wake) receipt!.wake();
    return receipt!;
  }

  it('hands committed records to the transport from memory and deletes them once acknowledged', async () => {
    const transport = new StandInTransport();
    const { db: counted, statements } = counting(db);
    await add(new TableOutbox(db, schema, transport), ['left over'], false);
    const outbox = new TableOutbox(counted, schema, transport);
    outbox.start();
    try {
      // At start the table is read: what an earlier process left goes out first.
      await waitFor(() => transport.values().length === 1, 'the stored row relayed at start');
      const reads = () => statements.filter((s) => /select id, topic/.test(s)).length;
      const readsAtStart = reads();
      expect(readsAtStart).toBeGreaterThan(0);
      for (let i = 0; i < 5; i++) expect(await (await add(outbox, [`m${i}a`, `m${i}b`])).published(10_000)).toBe(true);
      expect(transport.values()).toEqual(['left over', 'm0a', 'm0b', 'm1a', 'm1b', 'm2a', 'm2b', 'm3a', 'm3b', 'm4a', 'm4b']);
      expect(reads()).toBe(readsAtStart); // never read back
      await waitFor(async () => (await outbox.backlog()) === 0, 'the acknowledged rows deleted');
    } finally {
      await outbox.close();
    }
  });

  /** The rows stored, published or not. */
  const stored = async () => (await db.query<{ n: number }>(`select count(*)::int as n from ${schema}.outbox`))[0]!.n;

  it('with nothing foreign below it a record goes out with no probe; the next add deletes the rows acknowledged before it', async () => {
    const transport = new StandInTransport();
    const { db: counted, statements } = counting(db);
    // The relay would delete acknowledged rows itself only after a minute: here the adds do.
    const outbox = new TableOutbox(counted, schema, transport, { deleteLingerMs: 60_000 });
    outbox.start();
    try {
      expect(await (await add(outbox, ['warm-up'])).published(10_000)).toBe(true);
      const before = statements.length;
      for (let i = 0; i < 3; i++) {
        expect(await (await add(outbox, [`m${i}`])).published(10_000)).toBe(true);
        // Published, so not in the backlog; its row goes with the next add's statement.
        expect(await outbox.backlog()).toBe(0);
        expect(await stored()).toBe(1);
      }
      expect(transport.values()).toEqual(['warm-up', 'm0', 'm1', 'm2']);
      const ran = statements.slice(before);
      // The adds and the backlog counts; no probe, no delete of the relay's own.
      expect(ran.filter((s) => /outbox/.test(s) && !/insert into|select count/.test(s))).toEqual([]);
    } finally {
      await outbox.close();
    }
    expect(await stored()).toBe(0); // closing deletes what is left
  });

  it('a transaction that rolls back hands back the acknowledged rows its statement deleted, and the relay deletes them', async () => {
    const transport = new StandInTransport();
    const outbox = new TableOutbox(db, schema, transport, { deleteLingerMs: 200 });
    outbox.start();
    try {
      expect(await (await add(outbox, ['kept'])).published(10_000)).toBe(true);
      let receipt: OutboxReceipt | undefined;
      await expect(
        db.transaction(async (tx) => {
          receipt = await outbox.add(tx, [rec('rolled back')]);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      receipt!.abandon();
      expect(await stored()).toBe(1); // the delete was rolled back with the rest
      // Handed back, the row is the relay's to delete once no add has come for a while (without the
      // hand-back it would stay for DELETING_RECLAIM_MS, half a minute).
      await waitFor(async () => (await stored()) === 0, 'the relay deleting the handed-back row', 5000);
      expect(transport.values()).toEqual(['kept']);
    } finally {
      await outbox.close();
    }
  });

  it('a record waits for a lower row another instance has in flight, then follows it', async () => {
    const slow = new StandInTransport();
    const fast = new StandInTransport();
    const order: string[] = [];
    const track = (t: StandInTransport) => {
      const publish = t.publish.bind(t);
      t.publish = async (records) => {
        await publish(records);
        order.push(...records.map((r) => r.value));
      };
    };
    track(slow);
    track(fast);
    const { db: counted, statements } = counting(db);
    const a = new TableOutbox(db, schema, slow);
    const b = new TableOutbox(counted, schema, fast);
    a.start();
    b.start();
    try {
      slow.hold = true;
      const first = await add(a, ['first']);
      await waitFor(() => slow.held.length === 1, 'instance A publishing its record');
      // Committed after A's record: B must not put it on the broker before A's is there.
      const probes = () => statements.filter((s) => /id < \$3/.test(s)).length;
      const second = await add(b, ['second']);
      await waitFor(() => probes() >= 2, 'instance B probing again');
      expect(fast.published).toEqual([]);
      slow.release();
      expect(await first.published(10_000)).toBe(true);
      expect(await second.published(10_000)).toBe(true);
      expect(order).toEqual(['first', 'second']);
    } finally {
      slow.release();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a lower row nobody hands off is read from the table and published before the record', async () => {
    const transport = new StandInTransport();
    const outbox = new TableOutbox(db, schema, transport);
    outbox.start();
    try {
      await waitFor(async () => (await add(outbox, ['warm-up'])).published(10_000), 'the relay running');
      // Committed by an instance that crashed before handing it off.
      await add(new TableOutbox(db, schema, transport), ['orphan'], false);
      const receipt = await add(outbox, ['after']);
      expect(await receipt.published(10_000)).toBe(true);
      expect(transport.values()).toEqual(['warm-up', 'orphan', 'after']);
      // An orphan while the relay idles is found too.
      await add(new TableOutbox(db, schema, transport), ['idle orphan'], false);
      await waitFor(async () => (await outbox.backlog()) === 0, 'the idle orphan relayed');
      expect(transport.values()).toEqual(['warm-up', 'orphan', 'after', 'idle orphan']);
    } finally {
      await outbox.close();
    }
  });
});
