import { type PGlite, parse, protocol, TransactionAbortedError } from '@electric-sql/pglite';

const { serialize } = protocol;
type Results = ReturnType<typeof parse.parseResults>[number];
type BackendMessage = Parameters<typeof parse.parseResults>[0][number];

/** A statement the backend has parsed once, under `name`, with the parameter types it inferred. */
interface Prepared {
  name: string;
  paramTypes: number[];
}

const STALE_PLAN = 'cached plan must not change result type';

/** Statement names are never reused, not even across instances on one PGlite. */
let counter = 0;

const concat = (parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);

/** A simple-protocol BEGIN: nothing to prepare, and it answers with its own ReadyForQuery. */
const BEGIN = serialize.query('BEGIN');

/** The error PGlite's `query()` would throw: the database error, with the statement attached. */
function withStatement(err: unknown, query: string, params: unknown[] | undefined): unknown {
  if (err instanceof protocol.messages.DatabaseError) {
    Object.assign(err, { query, params, queryOptions: undefined });
  }
  return err;
}

/** True when a prepared statement no longer fits the schema and must be parsed again. */
function isStale(err: unknown): boolean {
  if (!(err instanceof protocol.messages.DatabaseError)) return false;
  return (err.code === '0A000' && err.message.includes(STALE_PLAN)) || err.code === '26000';
}

/**
 * Runs statements on one PGlite instance as named prepared statements over its wire protocol:
 * each text is parsed and described once (PGlite is a single backend, so it stays prepared), and
 * each call is then one round into WebAssembly (Bind, Describe, Execute, Sync) instead of the six
 * `PGlite#query()` makes. Rows are decoded by PGlite's own `parseResults` with its type parsers, so
 * results are the ones `query()` returns. Locking follows PGlite: a statement outside a transaction
 * takes the transaction lock (it waits for an open transaction to end), every round takes the
 * query lock.
 */
export class PgliteStatements {
  readonly #db: PGlite;
  readonly #maxPrepared: number;
  readonly #prepared = new Map<string, Prepared>();
  /** BEGIN waits to travel with a transaction's first statement: one round into WebAssembly fewer. */
  #beginPending = false;
  /** A SAVEPOINT waits likewise to travel with the statement after it. */
  #savepointPending: string | undefined;

  /**
   * @param maxPrepared beyond this many distinct texts (texts with values spliced in, say) a
   * statement is parsed for one use, as PGlite's own `query()` does, so the backend's memory stays bounded.
   */
  constructor(db: PGlite, maxPrepared = 1000) {
    this.#db = db;
    this.#maxPrepared = maxPrepared;
  }

  /** One statement on its own (an implicit transaction), after any open transaction has ended. */
  async query(text: string, params?: unknown[]): Promise<Results> {
    await this.#db._checkReady();
    return this.#db._runExclusiveTransaction(() => this.#db._runExclusiveQuery(() => this.#run(text, params, false)));
  }

  /**
   * Runs `fn` between BEGIN and COMMIT while holding the transaction lock, as PGlite's
   * `transaction()` does: ROLLBACK when `fn` throws, `TransactionAbortedError` when COMMIT finds
   * the transaction aborted, and a closed handle once it is over.
   */
  async transaction<T>(fn: (tx: TxStatements) => Promise<T>): Promise<T> {
    await this.#db._checkReady();
    return this.#db._runExclusiveTransaction(async () => {
      this.#beginPending = true;
      let closed = false;
      const open = () => {
        if (closed) throw new Error('Transaction is closed');
      };
      const tx: TxStatements = {
        query: async (text, params) => {
          open();
          return this.#locked(() => this.#run(text, params, true));
        },
        exec: async (text) => {
          open();
          return this.#locked(() => this.#exec(text, false));
        },
        savepoint: (name) => {
          open();
          if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a savepoint name: ${name}`);
          this.#savepointPending = name;
        },
      };
      try {
        const result = await fn(tx);
        closed = true;
        const commit = await this.#locked(() => this.#run('COMMIT', [], true));
        if (commit.command === 'ROLLBACK') throw withStatement(new TransactionAbortedError(), 'COMMIT', undefined);
        return result;
      } catch (err) {
        if (!closed) {
          closed = true;
          await this.#locked(() => this.#run('ROLLBACK', [], true));
        }
        throw err;
      } finally {
        this.#beginPending = false;
        this.#savepointPending = undefined;
      }
    });
  }

  /** Several statements, unparameterised (DDL, migrations), outside a transaction. */
  async exec(text: string): Promise<void> {
    await this.#db._checkReady();
    await this.#db._runExclusiveTransaction(() => this.#db._runExclusiveQuery(() => this.#exec(text, true)));
  }

  #locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.#db._runExclusiveQuery(fn);
  }

  /** One round into WebAssembly, led by a pending BEGIN and SAVEPOINT (whose own answers are dropped). */
  async #send(parts: Uint8Array[], options: { syncToFs: boolean; throwOnError?: boolean }): Promise<BackendMessage[]> {
    const lead: Uint8Array[] = [];
    if (this.#beginPending) lead.push(BEGIN);
    if (this.#savepointPending !== undefined) lead.push(serialize.query(`SAVEPOINT ${this.#savepointPending}`));
    if (lead.length === 0) return this.#db.execProtocolStream(concat(parts), options);
    this.#beginPending = false;
    this.#savepointPending = undefined;
    const messages = await this.#db.execProtocolStream(concat([...lead, ...parts]), options);
    let skip = 0;
    for (let answered = 0; answered < lead.length; skip++) if (messages[skip]!.name === 'readyForQuery') answered++;
    return messages.slice(skip);
  }

  async #run(text: string, params: unknown[] = [], inTransaction: boolean): Promise<Results> {
    for (let attempt = 1; ; attempt++) {
      const statement = this.#prepared.get(text) ?? (await this.#prepare(text, params));
      try {
        return await this.#execute(statement, params, !inTransaction);
      } catch (err) {
        // The schema changed under a prepared statement (a migration from elsewhere): parse it again.
        // Outside a transaction nothing ran, so once more is safe; inside, the transaction is
        // aborted and the caller's retry will find the fresh statement.
        if (!isStale(err) || statement.name === '') throw withStatement(err, text, params);
        await this.#forget(text, statement);
        if (inTransaction || attempt > 1) throw withStatement(err, text, params);
      }
    }
  }

  async #prepare(text: string, params: unknown[]): Promise<Prepared> {
    const name = this.#prepared.size < this.#maxPrepared ? `campusg_${++counter}` : '';
    let messages: BackendMessage[];
    try {
      messages = await this.#send([serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), serialize.sync()], {
        syncToFs: false,
      });
    } catch (err) {
      throw withStatement(err, text, params);
    }
    const statement = { name, paramTypes: parse.parseDescribeStatementResults(messages) };
    if (name !== '') this.#prepared.set(text, statement);
    return statement;
  }

  async #execute(statement: Prepared, params: unknown[], syncToFs: boolean): Promise<Results> {
    const { serializers } = this.#db;
    const values = params.map((param, i) => {
      if (param === null || param === undefined) return null;
      const serializer = serializers[statement.paramTypes[i] as number];
      return serializer ? serializer(param) : String(param);
    });
    const messages = await this.#send(
      [serialize.bind({ statement: statement.name, values }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()],
      { syncToFs },
    );
    return parse.parseResults(messages, this.#db.parsers)[0] as Results;
  }

  async #exec(text: string, syncToFs: boolean): Promise<void> {
    // DDL may change what prepared statements return: drop them all, so what runs next is parsed anew.
    await this.#forgetAll();
    try {
      await this.#send([serialize.query(text), serialize.sync()], { syncToFs });
    } catch (err) {
      throw withStatement(err, text, undefined);
    }
  }

  async #forget(text: string, statement: Prepared): Promise<void> {
    this.#prepared.delete(text);
    // Best effort: a name is never reused, so a statement left behind only costs memory.
    await this.#send([serialize.close({ type: 'S', name: statement.name }), serialize.sync()], {
      syncToFs: false,
      throwOnError: false,
    });
  }

  async #forgetAll(): Promise<void> {
    if (this.#prepared.size === 0) return;
    this.#prepared.clear();
    await this.#send([serialize.query('DEALLOCATE ALL'), serialize.sync()], {
      syncToFs: false,
      throwOnError: false,
    });
  }
}

/** The statements of one open transaction. */
export interface TxStatements {
  query(text: string, params?: unknown[]): Promise<Results>;
  exec(text: string): Promise<void>;
  /** Sets savepoint `name` in the same round as the next statement. */
  savepoint(name: string): void;
}
