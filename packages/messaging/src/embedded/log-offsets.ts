import type { Sql } from '@campusg/platform';
import type { ConsumedRecord } from '../transport.ts';

/** Offsets handed out by a transaction that has not been seen to commit yet. */
interface Pending {
  tx: Sql;
  from: number;
  to: number;
}

/**
 * Where each partition of the log ends, and the offsets an append takes.
 *
 * On PGlite the counters live in memory: one process owns the database (it is a directory opened
 * by one PGlite instance) and PGlite runs one transaction at a time, so offsets handed out in
 * transaction order are also committed in that order, and no other writer exists. A counter is read
 * from the log the first time its partition is appended to, so after a crash it starts after the
 * last record that was committed. An allocation counts as committed once `confirm` saw it (the
 * append's receipt, after the commit); an append that finds an earlier transaction's allocation
 * unconfirmed (rolled back, or its receipt not yet run) reads the log again instead of guessing.
 *
 * On a PostgreSQL server transactions run side by side and commit in any order, so there the
 * partition's row is the counter: `update … returning` takes a row lock held until commit, which
 * keeps commits of one partition in offset order.
 */
export class LogOffsets {
  readonly #next = new Map<string, number>();
  readonly #pending = new Map<string, Pending>();

  constructor(private readonly inMemory: boolean) {}

  /** Takes `n` offsets of a partition inside `tx`; returns the first. */
  async allocate(tx: Sql, topic: string, partition: number, n: number): Promise<number> {
    if (!this.inMemory) {
      const [row] = await tx.query<{ first: number }>(
        `update bus.partitions set next_offset = next_offset + $3 where topic = $1 and partition = $2
         returning next_offset - $3 as first`,
        [topic, partition, n],
      );
      return row!.first;
    }
    const tp = `${topic}:${partition}`;
    const pending = this.#pending.get(tp);
    let first = this.#next.get(tp);
    if (first === undefined || (pending && pending.tx !== tx)) first = await this.#read(tx, topic, partition, pending?.from ?? 0);
    this.#next.set(tp, first + n);
    this.#pending.set(tp, { tx, from: pending?.tx === tx ? pending.from : first, to: first + n });
    return first;
  }

  /** After the commit of an append: its offsets are in the log. */
  confirm(records: ConsumedRecord[]): void {
    if (!this.inMemory) return;
    for (const r of records) {
      const tp = `${r.topic}:${r.partition}`;
      const pending = this.#pending.get(tp);
      if (pending && r.offset + 1 === pending.to) this.#pending.delete(tp);
    }
  }

  /**
   * SQL for the end of the partition row `p` as the log has it, for statements outside a
   * transaction: with counters in memory the stored end is only a floor (see `#read`).
   */
  endSql(p: string): string {
    if (!this.inMemory) return `${p}.next_offset`;
    return `greatest(${p}.next_offset, (select max("offset") + 1 from bus.messages m where m.topic = ${p}.topic and m.partition = ${p}.partition))`;
  }

  /** The partition's end as the database has it: after its last record, never before `floor` nor its stored end. */
  async #read(tx: Sql, topic: string, partition: number, floor: number): Promise<number> {
    const [row] = await tx.query<{ next: number }>(
      `select greatest($3::bigint, p.next_offset,
         (select max("offset") + 1 from bus.messages m where m.topic = p.topic and m.partition = p.partition)) as next
       from bus.partitions p where p.topic = $1 and p.partition = $2`,
      [topic, partition, floor],
    );
    if (!row) throw new Error(`unknown partition ${topic}:${partition}`);
    return Number(row.next);
  }
}
