import type { Sql } from '@campusg/platform';

/** Where a group has got to in one partition: the next offset it will handle. */
export interface GroupOffset {
  groupId: string;
  topic: string;
  partition: number;
  nextOffset: number;
}

/** Stores offsets in one statement, the furthest of each partition of each group; an offset never goes back. */
export async function writeOffsets(tx: Sql, values: unknown[]): Promise<void> {
  const furthest = new Map<string, GroupOffset>();
  for (const v of values as GroupOffset[]) {
    const k = `${v.groupId}\u0000${v.topic}\u0000${v.partition}`;
    const seen = furthest.get(k);
    if (!seen || seen.nextOffset < v.nextOffset) furthest.set(k, v);
  }
  const rows = [...furthest.values()];
  await tx.query(
    `insert into bus.group_offsets (group_id, topic, partition, next_offset)
     select * from unnest($1::text[], $2::text[], $3::int[], $4::bigint[])
     on conflict (group_id, topic, partition) do update set next_offset = greatest(bus.group_offsets.next_offset, excluded.next_offset)`,
    [rows.map((r) => r.groupId), rows.map((r) => r.topic), rows.map((r) => r.partition), rows.map((r) => r.nextOffset)],
  );
}
