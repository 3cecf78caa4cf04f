import type { Db, PruneTask } from '@campusg/platform';

/** A partition of the log as retention sees it: its first and last offsets, and the least a group committed. */
interface PartitionRange {
  topic: string;
  partition: number;
  low: number;
  high: number;
  floor: number | null;
  retention_ms: number;
}

/**
 * The embedded log's retention (`bus.messages`). A record goes once it is older than its topic's
 * retention **and** every group that reads its partition has committed past it: a slow or stopped
 * group keeps what it has not consumed, and a new group that reads from the beginning finds every
 * record younger than the retention. Dead-letter topics, which no group reads, keep their records
 * for their own retention (30 days). Each pass finds the partitions with something to delete in one
 * statement, then deletes from the start of each, up to `limit` records, in one short transaction.
 *
 * @param closed true once the transport closed: a pass in progress stops.
 */
export function logRetention(db: Db, closed: () => boolean): PruneTask {
  return {
    name: 'bus.messages',
    async prune(limit) {
      let most = 0;
      for (const range of await prunable(db)) {
        if (closed()) break;
        most = Math.max(most, await prunePartition(db, range, limit));
      }
      return most;
    },
  };
}

/** The partitions whose first record is past its topic's retention and consumed by every group that reads it. */
function prunable(db: Db): Promise<PartitionRange[]> {
  return db.query<PartitionRange>(
    `select * from (
       select p.topic, p.partition,
         (select min("offset") from bus.messages m where m.topic = p.topic and m.partition = p.partition) as low,
         (select max("offset") from bus.messages m where m.topic = p.topic and m.partition = p.partition) as high,
         (select min(next_offset) from bus.group_offsets g where g.topic = p.topic and g.partition = p.partition) as floor,
         t.retention_ms
       from bus.partitions p join bus.topics t on t.name = p.topic) r
     where r.low is not null and r.low < coalesce(r.floor, r.high + 1)
       and (select ts from bus.messages m where m.topic = r.topic and m.partition = r.partition and m."offset" = r.low)
           < now() - r.retention_ms * interval '1 millisecond'`,
  );
}

/** Deletes up to `limit` expired, consumed records from the start of one partition. */
function prunePartition(db: Db, range: PartitionRange, limit: number): Promise<number> {
  const { topic, partition, low, high } = range;
  const upto = Math.min(low + limit, range.floor ?? high + 1, high + 1);
  return db.transaction(async (tx) => {
    // Where offsets are counted in memory the log itself says where a partition ends: keep its end
    // in bus.partitions before its last record may go, so it resumes after it.
    if (upto > high) {
      await tx.query('update bus.partitions set next_offset = greatest(next_offset, $3) where topic = $1 and partition = $2', [
        topic,
        partition,
        high + 1,
      ]);
    }
    const [deleted] = await tx.query<{ n: number }>(
      `with gone as (delete from bus.messages where topic = $1 and partition = $2 and "offset" >= $3 and "offset" < $4
         and ts < now() - $5 * interval '1 millisecond' returning 1)
       select count(*)::int as n from gone`,
      [topic, partition, low, upto, range.retention_ms],
    );
    return deleted?.n ?? 0;
  });
}
