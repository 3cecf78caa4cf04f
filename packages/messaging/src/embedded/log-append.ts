import type { Sql } from '@campusg/platform';
import type { ConsumedRecord } from '../transport.ts';
import type { LogOffsets } from './log-offsets.ts';

/** Records one transaction appends to the log, their offsets still to be taken. */
export interface PendingAppend {
  records: ConsumedRecord[];
  outbox: boolean;
}

/**
 * Writes appends to the log: each partition's records take consecutive offsets (partitions in a
 * fixed order, so writers that lock partition counters cannot deadlock), and one statement stores
 * them all. The records get their offsets here, in place. Given several appends (the parts of a
 * group-committed transaction, in the order they ran), a partition's records keep that order.
 */
export async function writeAppends(tx: Sql, offsets: LogOffsets, appends: PendingAppend[]): Promise<void> {
  const byPartition = new Map<string, ConsumedRecord[]>();
  const outbox = new Map<ConsumedRecord, boolean>();
  for (const a of appends)
    for (const r of a.records) {
      const k = `${r.topic}:${r.partition}`;
      const list = byPartition.get(k);
      if (list) list.push(r);
      else byPartition.set(k, [r]);
      outbox.set(r, a.outbox);
    }
  const rows: ConsumedRecord[] = [];
  for (const k of [...byPartition.keys()].sort()) {
    const records = byPartition.get(k)!;
    const first = await offsets.allocate(tx, records[0]!.topic, records[0]!.partition, records.length);
    records.forEach((r, i) => {
      r.offset = first + i;
      rows.push(r);
    });
  }
  await tx.query(
    `insert into bus.messages (topic, partition, ts, outbox, "offset", key, value, headers)
     select t, p, ts, o, n, k, v, h::jsonb from unnest($1::text[], $2::int[], $3::timestamptz[], $4::boolean[], $5::bigint[], $6::text[], $7::text[], $8::text[])
       as r(t, p, ts, o, n, k, v, h)`,
    [
      rows.map((r) => r.topic),
      rows.map((r) => r.partition),
      rows.map((r) => r.timestamp),
      rows.map((r) => outbox.get(r)!),
      rows.map((r) => r.offset),
      rows.map((r) => r.key),
      rows.map((r) => r.value),
      rows.map((r) => JSON.stringify(r.headers)),
    ],
  );
}
