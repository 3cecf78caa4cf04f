import type { Sql } from '@campusg/platform';
import type { GroupLag } from '../transport.ts';

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

/**
 * Forgets where each of `groups` got to in a topic it does not read (its list narrowed): such a
 * position would hold the topic's log back from its retention for ever. Other groups keep theirs.
 */
export async function forgetUnreadTopics(tx: Sql, groups: Readonly<Record<string, readonly string[]>>): Promise<void> {
  await tx.query(
    `delete from bus.group_offsets g using jsonb_each($1::jsonb) d
     where d.key = g.group_id and not (d.value ? g.topic)`,
    [JSON.stringify(groups)],
  );
}

/** Each partition of `topics`: where `groupId` has committed to, where the log ends (`endSql`), and the difference. */
export async function groupLag(db: Sql, endSql: (partitions: string) => string, groupId: string, topics: string[]): Promise<GroupLag[]> {
  const rows = await db.query<{ topic: string; partition: number; end_offset: number; committed: number | null }>(
    `select p.topic, p.partition, ${endSql('p')} as end_offset, g.next_offset as committed
     from bus.partitions p left join bus.group_offsets g
       on g.group_id = $1 and g.topic = p.topic and g.partition = p.partition
     where p.topic = any($2) order by p.topic, p.partition`,
    [groupId, topics],
  );
  return rows.map(({ topic, partition, end_offset: end, committed }) => ({
    groupId,
    topic,
    partition,
    committed: committed ?? 0,
    end,
    lag: end - (committed ?? 0),
  }));
}

/**
 * Offsets that may be stored a little later, for every group and partition of a process at once:
 * those of batches whose handling stored no offset with its effects (records the group drops, or
 * handled with inbox rows). They are written together, in one statement at most every `intervalMs`,
 * rather than one statement per partition and group; losing them to a crash only has their records
 * read (and dropped, or found in the inbox) again.
 */
export class LaterOffsets {
  /** Every offset added since the last write (`writeOffsets` keeps the furthest of each partition). */
  #waiting: GroupOffset[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Sql,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Stores `offset` with the next write (the furthest of each partition and group wins). */
  add(offset: GroupOffset): void {
    this.#waiting.push(offset);
    this.#timer ??= setTimeout(() => {
      this.flush().catch(this.onError);
    }, this.intervalMs);
  }

  /**
   * Writes every offset waiting, after any write already under way; resolves once they are stored.
   * A failed write puts its offsets back for the next one.
   */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const rows = this.#waiting;
    this.#waiting = [];
    const write = this.#writing.then(async () => {
      if (rows.length === 0) return;
      try {
        await writeOffsets(this.db, rows);
      } catch (err) {
        for (const row of rows) this.add(row);
        throw err;
      }
    });
    this.#writing = write.catch(() => {});
    return write;
  }
}
