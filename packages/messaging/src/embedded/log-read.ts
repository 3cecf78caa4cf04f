import type { Sql } from '@campusg/platform';
import type { ConsumedRecord } from '../transport.ts';

/** Up to `limit` records of a partition of the log from `fromOffset` on, in offset order. */
export async function readLog(db: Sql, topic: string, partition: number, fromOffset: number, limit: number): Promise<ConsumedRecord[]> {
  const rows = await db.query<{
    offset: number;
    key: string | null;
    value: string;
    headers: Record<string, string>;
    ts: Date;
    outbox: boolean;
  }>(
    `select "offset", key, value, headers, ts, outbox from bus.messages
     where topic = $1 and partition = $2 and "offset" >= $3 order by "offset" limit $4`,
    [topic, partition, fromOffset, limit],
  );
  return rows.map((r) => {
    const record: ConsumedRecord = {
      topic,
      partition,
      offset: r.offset,
      key: r.key,
      value: r.value,
      headers: r.headers,
      timestamp: new Date(r.ts),
    };
    // A record appended by an outbox is in the log once: its consumers need no inbox row for it.
    if (r.outbox) record.unique = true;
    return record;
  });
}
