import { createHash } from 'node:crypto';
import type pg from 'pg';

const STALE_PLAN = 'cached plan must not change result type';

/** True when a prepared statement no longer fits the schema and must be parsed again. */
function isStale(err: unknown): boolean {
  const { code, message } = err as { code?: unknown; message?: unknown };
  return (code === '0A000' && typeof message === 'string' && message.includes(STALE_PLAN)) || code === '26000';
}

/**
 * Names parameterised statements for `pg`, which prepares a named statement once per pooled
 * connection and then only binds and executes it. The name is a hash of the text, prefixed by a
 * generation: DDL run through this database, or a statement the server finds stale (a migration
 * from another process changed what it returns), starts a new generation, so every connection
 * parses its statements again instead of failing on the old ones.
 */
export class PostgresStatements {
  readonly #maxPrepared: number;
  readonly #names = new Map<string, string>();
  #generation = 0;

  /**
   * @param maxPrepared beyond this many distinct texts (texts with values spliced in, say) a
   * statement runs unnamed, so no connection holds an unbounded number of prepared statements.
   */
  constructor(maxPrepared = 1000) {
    this.#maxPrepared = maxPrepared;
  }

  /** Runs `text` on `client` (a pool or one connection), prepared when it has parameters. */
  async query(client: pg.Pool | pg.PoolClient, text: string, params: unknown[] | undefined, inTransaction: boolean) {
    // Without parameters `pg` uses the simple protocol, which also runs several statements at once.
    if (!params || params.length === 0) return client.query(text, params);
    for (let attempt = 1; ; attempt++) {
      const name = this.#name(text);
      if (name === undefined) return client.query(text, params);
      try {
        return await client.query({ name, text, values: params });
      } catch (err) {
        // Outside a transaction nothing ran, so once more is safe; inside, the transaction is
        // aborted and the caller's retry will find the fresh statement.
        if (!isStale(err)) throw err;
        this.invalidate();
        if (inTransaction || attempt > 1) throw err;
      }
    }
  }

  /** Forgets every name, so each connection prepares its statements again (after DDL). */
  invalidate(): void {
    this.#names.clear();
    this.#generation++;
  }

  #name(text: string): string | undefined {
    const known = this.#names.get(text);
    if (known !== undefined || this.#names.size >= this.#maxPrepared) return known;
    const name = `campusg_${this.#generation}_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
    this.#names.set(text, name);
    return name;
  }
}
