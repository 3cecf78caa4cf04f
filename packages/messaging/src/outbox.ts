/**
 * The transactional outbox for an external broker: rows in `<schema>.outbox`, deleted only after the
 * broker acknowledged them.
 *
 * After a commit the receipt hands its records to the relay in memory, and the relay publishes them
 * without reading them back. Per-key order holds across instances without making them take turns:
 * a record that must come before one of ours was committed before our transaction wrote, so it has
 * a lower id and is visible to the statement that writes our rows, until its publisher deleted it,
 * which it does only once the broker has it. So that statement also asks whether the table holds a
 * row below ours that this relay does not have in hand. Almost always none does, and the relay
 * publishes the records as soon as the transaction has committed. When one does (another
 * instance's row in flight, a crashed instance's leftovers, a row whose wake never came), the relay
 * probes again before the batch, and waits while such a row stays; if it stays too long, the relay
 * reads the table in id order, as it does at start, until it is drained. Two relays may then
 * publish a row twice; each sends in id order, so a record's first copy is still in order, and the
 * consumers' inbox absorbs the second.
 *
 * The rows the broker acknowledged are deleted by the next statement that adds rows, in its
 * transaction, or by the relay if none comes within `DELETE_LINGER_MS`: under load the deletes cost
 * no statement of their own.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db, Sql } from '@campusg/platform';
import { AcknowledgedRows } from './outbox-acks.ts';
import { backoffDelay, Signal } from './signal.ts';
import type { OutgoingRecord, Transport } from './transport.ts';

/** What `Outbox.add` hands back, to use once the adding transaction has committed. */
export interface OutboxReceipt {
  /** Says the transaction committed: hands the records to the deliverer and wakes it. */
  wake(): void;
  /** Says the transaction rolled back (its caller's error is on its way): what `add` took on is handed back. */
  abandon(): void;
  /**
   * Resolves true once the records are on the transport (so any consumer can see them), false
   * when that takes longer than `timeoutMs` (they stay stored and go out later).
   */
  published(timeoutMs: number): Promise<boolean>;
}

/**
 * Where a service puts the messages it emits, inside the transaction that changes its state.
 * `add` returns a receipt to use once that transaction has committed.
 */
export interface Outbox {
  /**
   * With `last`, the add is the transaction's last statement, and where the database can (see
   * `Sql.queryAndCommit`) COMMIT goes with it: once it resolves, the transaction has committed.
   */
  add(tx: Sql, records: OutgoingRecord[], options?: { last?: boolean }): Promise<OutboxReceipt>;
  /** Records stored and not yet handed to the transport. */
  backlog(): Promise<number>;
  close(): Promise<void>;
}

/** SQL for a service schema's outbox and inbox tables; part of every service's migrations. */
export function messagingTablesSql(schema: string): string {
  return `
create table if not exists ${schema}.inbox (group_id text not null, message_id uuid not null,
  processed_at timestamptz not null default now(), primary key (group_id, message_id));
create table if not exists ${schema}.outbox (id bigserial primary key, topic text not null, key text not null,
  value text not null, headers jsonb not null, created_at timestamptz not null default now());`;
}

/** The records of one committed transaction, in memory until the broker has them. */
interface Handoff {
  ids: number[];
  records: OutgoingRecord[];
  done: boolean;
  /** A row below these, which this relay did not have in hand, was stored when they were written. */
  foreign: boolean;
}

/** How often an idle relay asks whether rows it does not hold wait in the table (a crashed instance's). */
const IDLE_PROBE_MS = 1000;
/** How long a handoff waits for rows before it (another relay's, in flight) before the table is read. */
const FOREIGN_WAIT_MS = 1000;
/** How long acknowledged rows wait for a transaction that adds rows to delete them, before the relay does. */
const DELETE_LINGER_MS = 20;
/** A transaction that took rows to delete and was never said to end this long after: the relay deletes them. */
const DELETING_RECLAIM_MS = 30_000;
/** Beyond this many rows in hand, the statement that adds rows does not ask what lies below them (the relay probes). */
const IN_HAND_CHECKED = 5000;

export interface TableOutboxOptions {
  /** Told of each relay error before it retries. */
  onError?: (err: unknown) => void;
  /** Records per publish (500). */
  batchSize?: number;
  /** How long acknowledged rows wait for a transaction that adds rows to delete them (`DELETE_LINGER_MS`). */
  deleteLingerMs?: number;
}

export class TableOutbox implements Outbox {
  readonly #wake = new Signal();
  /** Notified each time handoffs were marked published. */
  readonly #relayed = new Signal();
  /** Committed handoffs not yet published, in commit order. */
  #queue: Handoff[] = [];
  /** Rows the broker acknowledged that are still stored. */
  readonly #acks = new AcknowledgedRows();
  /** True until the table was read to its end: at start, after a failure, when foreign rows showed up. */
  #fromTable = true;
  /** Rows not in hand that the last idle probe saw. */
  #foreignSeen = new Set<number>();
  #stopped = false;
  #loop: Promise<void> = Promise.resolve();

  readonly #onError: (err: unknown) => void;
  readonly #batchSize: number;
  readonly #deleteLingerMs: number;

  constructor(
    private readonly db: Db,
    private readonly schema: string,
    private readonly transport: Transport,
    options: TableOutboxOptions = {},
  ) {
    this.#onError = options.onError ?? (() => {});
    this.#batchSize = options.batchSize ?? 500;
    this.#deleteLingerMs = options.deleteLingerMs ?? DELETE_LINGER_MS;
  }

  /** Starts the relay loop (after the schema's migrations have run). */
  start(): void {
    this.#loop = this.#relay();
  }

  /**
   * Writes `records` in the caller's transaction, in one statement that also deletes the rows
   * acknowledged so far and asks whether a row below the new ones is stored that this relay does
   * not have in hand (see the class comment).
   */
  async add(tx: Sql, records: OutgoingRecord[], options: { last?: boolean } = {}): Promise<OutboxReceipt> {
    // With `last`, COMMIT goes with the statement where the database offers it.
    const run = <T>(text: string, params: unknown[]) =>
      options.last && tx.queryAndCommit ? tx.queryAndCommit<T>(text, params) : tx.query<T>(text, params);
    const deleting = this.#acks.take();
    const inHand = this.#inHand();
    const values: unknown[] = [deleting.ids, inHand.length > IN_HAND_CHECKED ? null : inHand];
    const rows = records.map((r, i) => {
      values.push(r.topic, r.key, r.value, JSON.stringify(r.headers));
      return `($${i * 4 + 3}, $${i * 4 + 4}, $${i * 4 + 5}, $${i * 4 + 6}::jsonb)`;
    });
    let written: { ids: (number | string)[]; foreign: boolean } | undefined;
    try {
      [written] = await run<{ ids: (number | string)[]; foreign: boolean }>(
        `with gone as (delete from ${this.schema}.outbox where id = any($1::bigint[])),
           added as (insert into ${this.schema}.outbox (topic, key, value, headers) values ${rows.join(',')} returning id)
         select array(select id from added order by id) as ids,
           $2::bigint[] is null or exists (select 1 from ${this.schema}.outbox
             where id < (select min(id) from added) and id <> all($2::bigint[])) as foreign`,
        values,
      );
    } catch (err) {
      this.#acks.giveBack(deleting);
      throw err;
    }
    const handoff: Handoff = { ids: written!.ids.map(Number), records, done: false, foreign: written!.foreign };
    let ended = false;
    return {
      wake: () => {
        if (!ended) {
          this.#acks.done(deleting);
          if (!this.#stopped) this.#enqueue(handoff);
        }
        ended = true;
        this.#wake.notify();
      },
      abandon: () => {
        if (!ended) this.#acks.giveBack(deleting);
        ended = true;
      },
      published: (timeoutMs) => this.#published(handoff, timeoutMs),
    };
  }

  /** Rows this relay answers for: acknowledged and still stored, and queued to publish. */
  #inHand(): number[] {
    const ids = this.#acks.all();
    for (const h of this.#queue) ids.push(...h.ids);
    return ids;
  }

  /**
   * Waits until the handoff's rows are on the transport: published by this relay, or by another
   * instance's, seen as the rows being gone.
   */
  async #published(handoff: Handoff, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.#relayed.version;
      if (handoff.done) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.#relayed.wait(seen, Math.min(left, 100));
      if (this.#relayed.version === seen && !handoff.done) {
        const [row] = await this.db.query<{ pending: boolean }>(
          `select exists (select 1 from ${this.schema}.outbox where id = any($1)) as pending`,
          [handoff.ids],
        );
        if (!row?.pending) return true;
      }
    }
  }

  async backlog(): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(`select count(*)::int as n from ${this.schema}.outbox where id <> all($1::bigint[])`, [
      this.#acks.all(),
    ]);
    return row?.n ?? 0;
  }

  /**
   * Publishes what is stored, read from the table in id order under the schema's relay lock (one
   * table reader at a time, so instances starting together do not all send the backlog); returns
   * how many records went out, or -1 when another instance holds the lock.
   */
  async #relayTable(): Promise<number> {
    const rows = await this.db.transaction(async (tx) => {
      const [lock] = await tx.query<{ ok: boolean }>('select pg_try_advisory_xact_lock(hashtext($1)) as ok', [
        `campusg-outbox:${this.schema}`,
      ]);
      if (!lock?.ok) return undefined;
      // Rows the broker already has are not sent again, even those an open transaction is deleting.
      const rows = await tx.query<{ id: number; topic: string; key: string; value: string; headers: Record<string, string> }>(
        `select id, topic, key, value, headers from ${this.schema}.outbox where id <> all($2::bigint[]) order by id limit $1`,
        [this.#batchSize, this.#acks.all()],
      );
      if (rows.length === 0) return rows;
      await this.transport.publish(rows.map(({ topic, key, value, headers }) => ({ topic, key, value, headers })));
      await tx.query(`delete from ${this.schema}.outbox where id = any($1)`, [rows.map((r) => r.id)]);
      return rows;
    });
    if (!rows) return -1;
    if (rows.length > 0) {
      const sent = new Set(rows.map((r) => Number(r.id)));
      this.#settle((h) => h.ids.every((id) => sent.has(id)));
    }
    return rows.length;
  }

  /** Publishes what is stored, read from the table; returns how many records went out. */
  async relayOnce(): Promise<number> {
    return Math.max(0, await this.#relayTable());
  }

  /** Queues a committed handoff in id order (almost always at the end). */
  #enqueue(handoff: Handoff): void {
    const first = handoff.ids[0]!;
    let i = this.#queue.length;
    while (i > 0 && this.#queue[i - 1]!.ids[0]! > first) i--;
    this.#queue.splice(i, 0, handoff);
  }

  /** Marks the queued handoffs that `sent` covers as published and drops them from the queue. */
  #settle(sent: (h: Handoff) => boolean): void {
    const left: Handoff[] = [];
    for (const h of this.#queue) {
      if (sent(h)) h.done = true;
      else left.push(h);
    }
    if (left.length !== this.#queue.length) {
      this.#queue = left;
      this.#relayed.notify();
    }
  }

  /**
   * Reads the table to its end. Every handoff queued before the last, short read began is covered:
   * its rows were visible to that read, so they went out in it or were already gone (another relay
   * published them). Returns false while another instance holds the relay lock.
   */
  async #drainTable(): Promise<boolean> {
    for (;;) {
      const queued = new Set(this.#queue);
      const sent = await this.#relayTable();
      if (sent < 0) return false;
      if (sent < this.#batchSize) {
        this.#settle((h) => queued.has(h));
        return true;
      }
    }
  }

  /**
   * Publishes the queued handoffs from memory, a batch at a time, in id order (a record that must
   * precede another has the lower id, whichever commit finished first). When a handoff of the batch
   * was written with a row below it not in hand, one statement first deletes the rows acknowledged
   * so far and asks whether such a row, below the batch's highest id, is still stored (see the class
   * comment). While one is, the batch waits for its publisher to delete it; returns false if that
   * takes too long, and the table must be read.
   */
  async #relayMemory(): Promise<boolean> {
    let deadline = Date.now() + FOREIGN_WAIT_MS;
    let pause = 2;
    while (this.#queue.length > 0 && !this.#stopped) {
      const batch: Handoff[] = [];
      let size = 0;
      for (const h of this.#queue) {
        if (batch.length > 0 && size + h.records.length > this.#batchSize) break;
        batch.push(h);
        size += h.records.length;
      }
      if (batch.some((h) => h.foreign) && (await this.#foreignBelow(Math.max(...batch.map((h) => h.ids[h.ids.length - 1]!))))) {
        if (Date.now() > deadline) return false;
        await sleep(pause);
        pause = Math.min(pause * 2, 50);
        continue;
      }
      await this.transport.publish(batch.flatMap((h) => h.records));
      for (const h of batch) this.#acks.add(h.ids);
      this.#settle((h) => batch.includes(h));
      deadline = Date.now() + FOREIGN_WAIT_MS;
      pause = 2;
    }
    return true;
  }

  /** Deletes the rows acknowledged so far, and says whether a row below `top` not in hand is stored, in one statement. */
  async #foreignBelow(top: number): Promise<boolean> {
    const [probe] = await this.#acks.deleteWith((ids) =>
      this.db.query<{ foreign: boolean }>(
        `with gone as (delete from ${this.schema}.outbox where id = any($1::bigint[]))
         select exists (select 1 from ${this.schema}.outbox where id < $3 and id <> all($2::bigint[])) as foreign`,
        [ids, this.#inHand(), top],
      ),
    );
    return probe?.foreign ?? false;
  }

  /** Deletes the acknowledged rows no transaction took, and those of a transaction never said to end. */
  async #flushDeletes(reclaimAfterMs = DELETING_RECLAIM_MS): Promise<void> {
    this.#acks.reclaim(reclaimAfterMs);
    if (this.#acks.waiting === 0) return;
    await this.#acks.deleteWith((ids) => this.db.query(`delete from ${this.schema}.outbox where id = any($1::bigint[])`, [ids]));
  }

  /**
   * Whether the table holds rows this relay does not have in hand that were already there at the
   * last probe: rows another live relay is publishing are gone by then; what stays is a crashed
   * instance's, or a row whose wake never came.
   */
  async #staleForeignRows(): Promise<boolean> {
    const mine = this.#inHand();
    const rows = await this.db.query<{ id: number | string }>(
      `select id from ${this.schema}.outbox where id <> all($1::bigint[]) order by id limit 100`,
      [mine],
    );
    const before = this.#foreignSeen;
    this.#foreignSeen = new Set(rows.map((r) => Number(r.id)));
    return rows.some((r) => before.has(Number(r.id)));
  }

  async #relay(): Promise<void> {
    let attempt = 0;
    while (!this.#stopped) {
      const seen = this.#wake.version;
      try {
        if (this.#fromTable) {
          if (await this.#drainTable()) this.#fromTable = false;
          else await this.#wake.wait(seen, 250);
        } else if (this.#queue.length > 0) {
          if (!(await this.#relayMemory())) this.#fromTable = true;
        } else if (this.#acks.waiting > 0) {
          // The next transaction that adds rows deletes these; if none comes soon, the relay does.
          await this.#wake.wait(seen, this.#deleteLingerMs);
          if (this.#wake.version === seen) await this.#flushDeletes();
        } else {
          await this.#wake.wait(seen, IDLE_PROBE_MS);
          if (this.#wake.version === seen && !this.#stopped) {
            await this.#flushDeletes();
            if (await this.#staleForeignRows()) this.#fromTable = true;
          }
        }
        attempt = 0;
      } catch (err) {
        // What was not acknowledged stays stored; the table is the truth again until drained.
        this.#fromTable = true;
        this.#onError(err);
        await sleep(backoffDelay(attempt++, 100, 5000));
      }
    }
    // Every transaction has ended by now: what one took and was never said to delete goes too.
    await this.#flushDeletes(0).catch(() => {});
  }

  async close(): Promise<void> {
    this.#stopped = true;
    this.#wake.notify();
    await this.#loop;
  }
}
