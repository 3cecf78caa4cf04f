/**
 * The transactional outbox for an external broker (TableOutbox) against a stand-in transport: relay
 * order, deletion only after publish, retries after a broker error, and publish receipts.
 */
import { type Db, migrate, openPglite } from '@campusg/platform';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { messagingTablesSql, type OutboxReceipt, type OutgoingRecord, TableOutbox } from '../src/index.ts';
import { waitFor } from './support/bus-environment.ts';
import { StandInTransport } from './support/stand-in-transport.ts';

describe('TableOutbox', () => {
  const schema = 'relay';
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

  const rec = (n: number): OutgoingRecord => ({ topic: 'order_events', key: `k${n % 3}`, value: `v${n}`, headers: { n: String(n) } });

  async function add(outbox: TableOutbox, records: OutgoingRecord[]): Promise<void> {
    let receipt: OutboxReceipt | undefined;
    await db.transaction(async (tx) => {
      receipt = await outbox.add(tx, records);
    });
    receipt?.wake();
  }

  it('relays in id order across batches and deletes rows only once published', async () => {
    const transport = new StandInTransport();
    const outbox = new TableOutbox(db, schema, transport, { batchSize: 3 });
    await add(outbox, [rec(1), rec(2)]);
    await add(outbox, [rec(3), rec(4), rec(5)]);
    await expect(
      db.transaction(async (tx) => {
        await outbox.add(tx, [rec(99)]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await add(outbox, [rec(6), rec(7)]);
    expect(await outbox.backlog()).toBe(7);

    transport.failNext = 1;
    await expect(outbox.relayOnce()).rejects.toThrow('broker unavailable');
    expect(await outbox.backlog()).toBe(7); // nothing deleted: nothing was acknowledged
    expect(transport.published).toEqual([]);

    expect(await outbox.relayOnce()).toBe(3);
    expect(await outbox.backlog()).toBe(4);
    expect(await outbox.relayOnce()).toBe(3);
    expect(await outbox.relayOnce()).toBe(1);
    expect(await outbox.relayOnce()).toBe(0);
    expect(await outbox.backlog()).toBe(0);
    expect(transport.published.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(transport.flat()).toEqual([1, 2, 3, 4, 5, 6, 7].map(rec));
  });

  it('the relay loop publishes after commit, survives a broker error and stops on close', async () => {
    const transport = new StandInTransport();
    const errors: unknown[] = [];
    const outbox = new TableOutbox(db, schema, transport, { onError: (err) => errors.push(err), batchSize: 100 });
    outbox.start();
    try {
      transport.failNext = 1;
      await add(outbox, [rec(1), rec(2)]);
      await waitFor(() => transport.flat().length === 2, 'the first records relayed');
      expect(errors).toHaveLength(1);
      await add(outbox, [rec(3)]);
      await waitFor(() => transport.flat().length === 3, 'the next record relayed');
      expect(transport.flat()).toEqual([1, 2, 3].map(rec));
      await waitFor(async () => (await outbox.backlog()) === 0, 'the outbox emptied');
    } finally {
      await outbox.close();
    }
  });

  it('a receipt resolves once its records are on the transport, whichever relay sent them, and times out while they are not', async () => {
    const transport = new StandInTransport();
    const outbox = new TableOutbox(db, schema, transport, { batchSize: 100 });
    const other = new TableOutbox(db, schema, transport, { batchSize: 100 });
    let receipt: OutboxReceipt | undefined;
    await db.transaction(async (tx) => {
      receipt = await outbox.add(tx, [rec(1), rec(2)]);
    });
    // Nothing relays yet: the wait ends false and the records stay stored.
    expect(await receipt!.published(150)).toBe(false);
    expect(await outbox.backlog()).toBe(2);
    // Another instance's relay publishes them: the receipt sees the rows gone.
    const waiting = receipt!.published(5000);
    expect(await other.relayOnce()).toBe(2);
    expect(await waiting).toBe(true);
    expect(transport.flat()).toEqual([1, 2].map(rec));
    // This instance's own relay loop: resolved by its signal.
    outbox.start();
    try {
      await db.transaction(async (tx) => {
        receipt = await outbox.add(tx, [rec(3)]);
      });
      receipt!.wake();
      expect(await receipt!.published(5000)).toBe(true);
      expect(transport.flat()).toEqual([1, 2, 3].map(rec));
    } finally {
      await outbox.close();
    }
  });
});
