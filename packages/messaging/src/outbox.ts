import { setTimeout as sleep } from 'node:timers/promises';
import type { Db, Sql } from '@campusg/platform';
import { backoffDelay, Signal } from './signal.ts';
import type { OutgoingRecord, Transport } from './transport.ts';

/** What `Outbox.add` hands back, to use once the adding transaction has committed. */
export interface OutboxReceipt {
  /** Wakes the deliverer. */
  wake(): void;
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
  add(tx: Sql, records: OutgoingRecord[]): Promise<OutboxReceipt>;
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

/**
 * The transactional outbox for an external broker: rows in `<schema>.outbox`, published in id order
 * by a relay. One relay per schema runs at a time (advisory lock), so per-key order survives several
 * instances; rows are deleted only after the broker acknowledged them.
 */
export class TableOutbox implements Outbox {
  readonly #wake = new Signal();
  /** Notified each time this relay has published a batch. */
  readonly #relayed = new Signal();
  /** The highest outbox id this relay has published. */
  #relayedThrough = 0;
  #stopped = false;
  #loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly schema: string,
    private readonly transport: Transport,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly batchSize = 500,
  ) {}

  /** Starts the relay loop (after the schema's migrations have run). */
  start(): void {
    this.#loop = this.#relay();
  }

  async add(tx: Sql, records: OutgoingRecord[]): Promise<OutboxReceipt> {
    const values: unknown[] = [];
    const rows = records.map((r, i) => {
      values.push(r.topic, r.key, r.value, JSON.stringify(r.headers));
      return `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4}::jsonb)`;
    });
    const ids = await tx.query<{ id: number | string }>(
      `insert into ${this.schema}.outbox (topic, key, value, headers) values ${rows.join(',')} returning id`,
      values,
    );
    const last = Math.max(...ids.map((r) => Number(r.id)));
    return { wake: () => this.#wake.notify(), published: (timeoutMs) => this.#published(last, timeoutMs) };
  }

  /**
   * Waits until every row up to `id` has left the outbox: published by this relay, or by another
   * instance's (which holds the schema's relay lock), seen as the rows being gone.
   */
  async #published(id: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.#relayed.version;
      if (this.#relayedThrough >= id) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.#relayed.wait(seen, Math.min(left, 100));
      if (this.#relayed.version === seen) {
        const [row] = await this.db.query<{ pending: boolean }>(
          `select exists (select 1 from ${this.schema}.outbox where id <= $1) as pending`,
          [id],
        );
        if (!row?.pending) return true;
      }
    }
  }

  async backlog(): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(`select count(*)::int as n from ${this.schema}.outbox`);
    return row?.n ?? 0;
  }

  /** Publishes what is stored; returns how many records went out. */
  async relayOnce(): Promise<number> {
    const rows = await this.db.transaction(async (tx) => {
      const [lock] = await tx.query<{ ok: boolean }>('select pg_try_advisory_xact_lock(hashtext($1)) as ok', [
        `campusg-outbox:${this.schema}`,
      ]);
      if (!lock?.ok) return [];
      const rows = await tx.query<{ id: number; topic: string; key: string; value: string; headers: Record<string, string> }>(
        `select id, topic, key, value, headers from ${this.schema}.outbox order by id limit $1`,
        [this.batchSize],
      );
      if (rows.length === 0) return rows;
      await this.transport.publish(rows.map(({ topic, key, value, headers }) => ({ topic, key, value, headers })));
      await tx.query(`delete from ${this.schema}.outbox where id = any($1)`, [rows.map((r) => r.id)]);
      return rows;
    });
    if (rows.length > 0) {
      this.#relayedThrough = Math.max(this.#relayedThrough, ...rows.map((r) => Number(r.id)));
      this.#relayed.notify();
    }
    return rows.length;
  }

  async #relay(): Promise<void> {
    let attempt = 0;
    while (!this.#stopped) {
      const seen = this.#wake.version;
      try {
        const sent = await this.relayOnce();
        attempt = 0;
        if (sent === 0) await this.#wake.wait(seen, 250);
      } catch (err) {
        this.onError(err);
        await sleep(backoffDelay(attempt++, 100, 5000));
      }
    }
  }

  async close(): Promise<void> {
    this.#stopped = true;
    this.#wake.notify();
    await this.#loop;
  }
}
