import type { Db, Sql } from '@campusg/platform';
import type { EmbeddedTransport } from './embedded-transport.ts';
import { backoffDelay, Signal } from './signal.ts';
import type { OutgoingRecord, Transport } from './transport.ts';

/**
 * Where a service puts the messages it emits, inside the transaction that changes its state.
 * `add` returns what to call once that transaction has committed (it wakes the deliverer).
 */
export interface Outbox {
  add(tx: Sql, records: OutgoingRecord[]): Promise<() => void>;
  /** Records stored and not yet handed to the transport. */
  backlog(): Promise<number>;
  close(): Promise<void>;
}

/** On the embedded bus the log is in the same database: the outbox write *is* the publish. */
export class EmbeddedOutbox implements Outbox {
  constructor(private readonly transport: EmbeddedTransport) {}
  async add(tx: Sql, records: OutgoingRecord[]): Promise<() => void> {
    const written = await this.transport.appendIn(tx, records);
    return () => this.transport.notifyAppended(written);
  }
  async backlog(): Promise<number> {
    return 0;
  }
  async close(): Promise<void> {}
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

  async add(tx: Sql, records: OutgoingRecord[]): Promise<() => void> {
    const values: unknown[] = [];
    const rows = records.map((r, i) => {
      values.push(r.topic, r.key, r.value, JSON.stringify(r.headers));
      return `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4}::jsonb)`;
    });
    await tx.query(`insert into ${this.schema}.outbox (topic, key, value, headers) values ${rows.join(',')}`, values);
    return () => this.#wake.notify();
  }

  async backlog(): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(`select count(*)::int as n from ${this.schema}.outbox`);
    return row?.n ?? 0;
  }

  /** Publishes what is stored; returns how many records went out. */
  async relayOnce(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const [lock] = await tx.query<{ ok: boolean }>('select pg_try_advisory_xact_lock(hashtext($1)) as ok', [
        `campusg-outbox:${this.schema}`,
      ]);
      if (!lock?.ok) return 0;
      const rows = await tx.query<{ id: number; topic: string; key: string; value: string; headers: Record<string, string> }>(
        `select id, topic, key, value, headers from ${this.schema}.outbox order by id limit $1`,
        [this.batchSize],
      );
      if (rows.length === 0) return 0;
      await this.transport.publish(rows.map(({ topic, key, value, headers }) => ({ topic, key, value, headers })));
      await tx.query(`delete from ${this.schema}.outbox where id = any($1)`, [rows.map((r) => r.id)]);
      return rows.length;
    });
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
        await new Promise((r) => setTimeout(r, backoffDelay(attempt++, 100, 5000)));
      }
    }
  }

  async close(): Promise<void> {
    this.#stopped = true;
    this.#wake.notify();
    await this.#loop;
  }
}
