import type { Db } from '@campusg/platform';
import type { ResetTarget } from '../transport.ts';

/**
 * Moves a group's committed offsets of `topics` in the embedded log: with none stored the group
 * starts at the beginning of retained history (`earliest`); for a time, each partition's first record
 * at or after it, or the partition's end (`endSql` of a `bus.partitions` row) when there is none.
 */
export async function resetGroupOffsets(db: Db, endSql: (p: string) => string, groupId: string, topics: string[], to: ResetTarget) {
  await db.transaction(async (tx) => {
    await tx.query('delete from bus.group_offsets where group_id = $1 and topic = any($2)', [groupId, topics]);
    if (to === 'earliest') return;
    await tx.query(
      `insert into bus.group_offsets (group_id, topic, partition, next_offset)
       select $1, p.topic, p.partition,
         coalesce((select min(m."offset") from bus.messages m where m.topic = p.topic and m.partition = p.partition and m.ts >= $3),
                  ${endSql('p')})
       from bus.partitions p where p.topic = any($2)`,
      [groupId, topics, to],
    );
  });
}
