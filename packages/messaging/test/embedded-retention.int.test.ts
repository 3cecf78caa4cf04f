import type { TopicSpec } from '@campusg/contracts';
import { type Db, openPglite } from '@campusg/platform';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedTransport } from '../src/embedded/embedded-transport.ts';
import { inboxRetention, inboxRetentionSql } from '../src/inbox-retention.ts';
import { messagingTablesSql } from '../src/outbox.ts';

/**
 * The embedded log's retention: it deletes what is older than the topic's retention and consumed
 * by every group that reads the partition, a bounded batch at a time, and a partition emptied by
 * it still resumes after its last offset.
 */
let db: Db;
let transport: EmbeddedTransport;
let run = 0;
// Each test has topics of its own (one database for the file: opening one is the slow part).
let expired: TopicSpec;
let young: TopicSpec;

const publish = (topic: string, n: number) =>
  transport.publish(Array.from({ length: n }, (_, i) => ({ topic, key: 'k', value: `v${i}`, headers: {} })));
const offsets = async (topic: string) => (await transport.read(topic, 0, 0, 1000)).map((r) => r.offset);
/** Waits out the 1 ms retention on the database's clock. */
const pastRetention = () => db.query(`select pg_sleep(0.01)`);

beforeAll(async () => {
  db = await openPglite(undefined, { worker: false });
}, 120_000);
beforeEach(async () => {
  run++;
  expired = { name: `expiring${run}`, description: 'retention test', partitions: 1, retentionMs: 1 };
  young = { name: `young${run}`, description: 'retention test', partitions: 1, retentionMs: 3_600_000 };
  await transport?.close();
  transport = new EmbeddedTransport(db);
  await transport.ensureTopics([expired, young]);
});
afterAll(async () => {
  await transport?.close();
  await db?.close();
});

describe('embedded log retention', () => {
  it('keeps what a group has not consumed, and deletes the rest once expired', async () => {
    await publish(expired.name, 10);
    await transport.commit('slow', expired.name, 0, 4);
    await transport.commit('fast', expired.name, 0, 10);
    await pastRetention();
    await transport.retention.prune(100);
    expect(await offsets(expired.name)).toEqual([4, 5, 6, 7, 8, 9]);
    await transport.commit('slow', expired.name, 0, 10);
    await transport.retention.prune(100);
    expect(await offsets(expired.name)).toEqual([]);
  });

  it('keeps records younger than their topic retention, consumed or not', async () => {
    await publish(young.name, 5);
    await transport.commit('g', young.name, 0, 5);
    await pastRetention();
    expect(await transport.retention.prune(100)).toBe(0);
    expect(await offsets(young.name)).toEqual([0, 1, 2, 3, 4]);
  });

  it('deletes at most a batch per partition and statement', async () => {
    await publish(expired.name, 10);
    await pastRetention();
    expect(await transport.retention.prune(3)).toBe(3);
    expect(await offsets(expired.name)).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  it('resumes a partition it emptied after its last offset, after a restart too', async () => {
    await publish(expired.name, 3);
    await pastRetention();
    await transport.retention.prune(100);
    expect(await offsets(expired.name)).toEqual([]);
    await transport.close();
    transport = new EmbeddedTransport(db);
    await transport.ensureTopics([expired, young]);
    await publish(expired.name, 1);
    expect(await offsets(expired.name)).toEqual([3]);
  });

  it('a declared group that no longer reads a topic holds its log back no more: its position there is forgotten at start', async () => {
    await publish(expired.name, 3);
    // "narrowed" read the expiring topic once and reads only the young one now; "other" is not declared.
    await transport.commit('narrowed', expired.name, 0, 1);
    await transport.commit('narrowed', young.name, 0, 0);
    await transport.commit('other', expired.name, 0, 3);
    await pastRetention();
    await transport.retention.prune(100);
    expect(await offsets(expired.name)).toEqual([1, 2]);
    await transport.close();
    transport = new EmbeddedTransport(db, { groups: { narrowed: [young.name] } });
    await transport.ensureTopics([expired, young]);
    const kept = await db.query<{ group_id: string; topic: string }>(
      'select group_id, topic from bus.group_offsets where topic = any($1) order by group_id, topic',
      [[expired.name, young.name]],
    );
    expect(kept).toEqual([
      { group_id: 'narrowed', topic: young.name },
      { group_id: 'other', topic: expired.name },
    ]);
    await transport.retention.prune(100);
    expect(await offsets(expired.name)).toEqual([]);
  });
});

describe('inbox retention', () => {
  it('deletes the rows handled before the retention, oldest first and a batch at a time, and keeps the rest', async () => {
    const schema = `inbox_test${run}`;
    await db.exec(`create schema ${schema}; ${messagingTablesSql(schema)} ${inboxRetentionSql(schema)}`);
    await db.query(
      `insert into ${schema}.inbox (group_id, message_id, processed_at)
       select 'g', gen_random_uuid(), now() - make_interval(hours => 2, secs => n) from generate_series(1, 5) n`,
    );
    await db.query(`insert into ${schema}.inbox (group_id, message_id) select 'g', gen_random_uuid() from generate_series(1, 3)`);
    const inbox = inboxRetention(db, schema, 3_600_000);
    expect(await inbox.prune(2)).toBe(2);
    expect(await inbox.prune(100)).toBe(3);
    expect(await inbox.prune(100)).toBe(0);
    const [left] = await db.query<{ n: number; young: number }>(
      `select count(*)::int as n, count(*) filter (where processed_at > now() - interval '1 hour')::int as young from ${schema}.inbox`,
    );
    expect(left).toEqual({ n: 3, young: 3 });
  });
});
