import type { TypedMessage } from '@campusg/contracts';
import type { Sql } from '@campusg/platform';
import type { HandlerContext } from './handler.ts';

/** What a handler reads by key, as `ReadTogether` reads it. */
export interface ReadSpec<Row> {
  /** The key a message's handler will read (lower case is not required), or nothing if it reads none. */
  keyOf(message: TypedMessage): string | undefined;
  /** The rows of `keys` (lower case, sorted): one statement for them all. */
  read(tx: Sql, keys: string[]): Promise<Row[]>;
  /** A row's key. */
  keyOfRow(row: Row): string;
}

/** What a handler is given that tells its transaction, and the messages it holds. */
export type InTransaction = Pick<HandlerContext, 'tx' | 'batch'>;

/**
 * One `T` per transaction, made by the first handler of the transaction that asks for it, from its
 * context and message; every later handler of the transaction gets the same one.
 */
export function perTransaction<T>(
  make: (ctx: InTransaction, message: TypedMessage) => T,
): (ctx: InTransaction, message: TypedMessage) => T {
  const open = new WeakMap<Sql, T>();
  return (ctx, message) => {
    let made = open.get(ctx.tx);
    if (made === undefined) {
      made = make(ctx, message);
      open.set(ctx.tx, made);
    }
    return made;
  };
}

/**
 * Rows that handlers read by key (a user, an order's payment), read for every message of their
 * transaction at once (`HandlerContext.batch`): the first handler that asks reads the rows of all
 * the keys the transaction's messages name, in one statement; the others find theirs in memory. A
 * transaction of one message reads as it did, one row.
 */
export class ReadTogether<Row> {
  /** The rows of the transaction `ctx` runs in (of `message` alone where the handler was given no batch). */
  readonly in: (ctx: InTransaction, message: TypedMessage) => TransactionRows<Row>;

  constructor(spec: ReadSpec<Row>) {
    this.in = perTransaction((ctx, message) => new TransactionRows(spec, ctx.tx, ctx.batch ?? [message]));
  }
}

/** One transaction's rows of a `ReadTogether`. */
export class TransactionRows<Row> {
  readonly #spec: ReadSpec<Row>;
  readonly #tx: Sql;
  readonly #batch: readonly TypedMessage[];
  /** Keys read (a key without a row is known to have none). */
  readonly #read = new Set<string>();
  readonly #rows = new Map<string, Row>();

  constructor(spec: ReadSpec<Row>, tx: Sql, batch: readonly TypedMessage[]) {
    this.#spec = spec;
    this.#tx = tx;
    this.#batch = batch;
  }

  /** `key`'s row as it was read, or nothing if it has none. */
  async get(key: string): Promise<Row | undefined> {
    const k = key.toLowerCase();
    if (!this.#read.has(k)) await this.#readWith(k);
    return this.#rows.get(k);
  }

  /** True once `key` was read. */
  has(key: string): boolean {
    return this.#read.has(key.toLowerCase());
  }

  /** `key`'s row as it was read, or nothing if it has none; `key` must have been read (`has`). */
  read(key: string): Row | undefined {
    if (!this.has(key)) throw new Error(`${key} was not read in this transaction`);
    return this.#rows.get(key.toLowerCase());
  }

  async #readWith(key: string): Promise<void> {
    const keys = new Set([key]);
    for (const m of this.#batch) {
      const other = this.#spec.keyOf(m)?.toLowerCase();
      if (other !== undefined && !this.#read.has(other)) keys.add(other);
    }
    const sorted = [...keys].sort();
    const rows = await this.#spec.read(this.#tx, sorted);
    for (const k of sorted) this.#read.add(k);
    for (const row of rows) this.#rows.set(this.#spec.keyOfRow(row).toLowerCase(), row);
  }
}
