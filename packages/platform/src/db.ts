import { mkdirSync } from 'node:fs';
import pg from 'pg';
import { type Contributions, groupCommit, withAtCommit, writeContributions } from './group-commit.ts';
import type { EmbeddedDurability } from './pglite-durable-fs.ts';
import { PostgresStatements } from './postgres-statements.ts';

/** A write that parts of one transaction contribute values to, run once with all of them just before COMMIT. */
export type AtCommit = (tx: Sql, values: unknown[]) => Promise<void>;

/** What a query needs: the database, or one open transaction on it. */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  exec(text: string): Promise<void>;
  /**
   * Offered in transactions: adds `value` to the write named `key`, which runs once, with every
   * value given to it, just before COMMIT. In a group-committed transaction (see `groupCommit`)
   * that is every value the round's committed parts gave it; a part that is rolled back takes its
   * values with it. Its effect is not visible to the transaction's own statements before then.
   */
  atCommit?(key: string, value: unknown, write: AtCommit): void;
  /**
   * Offered in PGlite transactions: `SAVEPOINT name` runs with the next statement, in the same
   * round into the database, instead of as a statement of its own.
   */
  savepoint?(name: string): void;
  /**
   * Offered in PostgreSQL transactions: runs the transaction's last statement and its COMMIT,
   * sent together (one write, one round trip). Resolves once the transaction has committed; if the
   * statement fails, the transaction rolls back and its error is thrown. Nothing may run in the
   * transaction after it, nor be given to `atCommit`: the transaction's function returns.
   */
  queryAndCommit?<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}

/** A database handle: PGlite (embedded) or a PostgreSQL server, behind one interface. */
export interface Db extends Sql {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: all of it commits, or none of it. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * Offered where a commit can be heard of before it is on disk (PGlite in its thread): as
   * `transaction`, but resolves once the transaction committed, with `synced`, which resolves once
   * that commit is on disk (or rejects if it cannot be made so). Whoever uses it answers its own
   * callers only after `synced`; the group commit starts its next round meanwhile.
   */
  transactionUnsynced?<T>(fn: (tx: Sql) => Promise<T>): Promise<{ value: T; synced: Promise<void> }>;
  /** True while the database answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

// int8 (counts, offsets, sums) as JS numbers: every value we store fits in 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/** Applied to every handle opened after it is set: lets a benchmark count statements without touching callers. */
let observeOpened: ((db: Db) => Db) | undefined;

/** Passes every `Db` opened from now on through `wrap` (e.g. a statement counter); `undefined` stops it. */
export function wrapOpenedDbs(wrap: ((db: Db) => Db) | undefined): void {
  observeOpened = wrap;
}

const opened = (db: Db): Db => (observeOpened ? observeOpened(db) : db);

/**
 * The embedded database: one PGlite instance per process, persisted in `dataDir` (or in memory).
 * Statements run as named prepared statements over PGlite's wire protocol (see `PgliteStatements`).
 * By default PGlite runs in a worker thread (`pglite-thread.ts`): its WebAssembly is most of the
 * embedded process's work and would otherwise share one core with everything else. `worker: false`
 * keeps it on the calling thread; both behave alike for callers. PGlite runs one transaction at a
 * time, so transactions asked for while one runs share the next commit (`groupCommit`).
 *
 * With a `dataDir`, a commit is answered once it is on disk (`durability: 'durable'`, the default:
 * see `DurableNodeFS`); `'fast'` answers once the kernel has it, which a power loss may undo.
 */
export async function openPglite(
  dataDir: string | undefined,
  options: { worker?: boolean; durability?: EmbeddedDurability } = {},
): Promise<Db> {
  const durability = options.durability ?? 'durable';
  if (options.worker === false) return groupCommit(await openPgliteHere(dataDir, durability));
  // PGlite (WebAssembly) is loaded by a process that opens the embedded database only, not by one on PostgreSQL.
  const { openPgliteThread } = await import('./pglite-thread.ts');
  return groupCommit(opened(await openPgliteThread(dataDir, durability)));
}

async function openPgliteHere(dataDir: string | undefined, durability: EmbeddedDurability): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const [{ newPglite }, { PgliteStatements }] = await Promise.all([import('./pglite-durable-fs.ts'), import('./pglite-statements.ts')]);
  const { db, fs } = await newPglite(dataDir, durability);
  const statements = new PgliteStatements(db);
  /**
   * Runs `work` and, if it committed something, waits until that is on disk (group commit: one sync
   * covers every commit meanwhile). Work that wrote nothing is answered at once.
   */
  const durable = async <T>(work: () => Promise<T>): Promise<T> => {
    const noted = fs?.noted;
    const result = await work();
    if (fs && fs.noted !== noted) await fs.flush();
    return result;
  };
  let closed = false;
  return opened({
    kind: 'pglite',
    async query<T>(text: string, params?: unknown[]) {
      return durable(async () => (await statements.query(text, params)).rows as T[]);
    },
    exec: (text) => durable(() => statements.exec(text)),
    transaction: (fn) =>
      durable(() =>
        statements.transaction((tx) =>
          fn({
            async query<T>(text: string, params?: unknown[]) {
              return (await tx.query(text, params)).rows as T[];
            },
            exec: (text) => tx.exec(text),
            savepoint: (name) => tx.savepoint(name),
          }),
        ),
      ),
    async ping() {
      if (closed) return false;
      await db.query('select 1');
      return true;
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  });
}

/**
 * A PostgreSQL server through a connection pool. Parameterised statements are prepared once per
 * connection (see `PostgresStatements`); the rest use the simple protocol. The connections run in
 * pipeline mode: a statement goes out without waiting for the answer to the one before it, which
 * lets a transaction's BEGIN travel with its first statement and its COMMIT with its last
 * (`pipelined`).
 */
export function openPostgres(url: string, options: { max?: number; applicationName?: string } = {}): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'campusg',
    connectionTimeoutMillis: 5000,
    pipeline: true,
  });
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // A checked-out client whose server went away (a restart) must not crash the process; the pool drops it on release.
  pool.on('connect', (client) => client.on('error', () => {}));
  const statements = new PostgresStatements();
  const wrap = (c: pg.Pool | pg.PoolClient, inTransaction: boolean): Sql => ({
    async query<T>(text: string, params?: unknown[]) {
      return (await statements.query(c, text, params, inTransaction)).rows as T[];
    },
    async exec(text: string) {
      // DDL may change what prepared statements return: every connection prepares them again.
      statements.invalidate();
      try {
        await c.query(text);
      } finally {
        statements.invalidate();
      }
    },
  });
  return opened({
    kind: 'postgres',
    ...wrap(pool, false),
    async transaction(fn) {
      const client = await pool.connect();
      const tx = pipelined(client, wrap(client, true));
      try {
        const contributed: Contributions = new Map();
        const result = await fn(withAtCommit(tx.sql, contributed));
        if (tx.state === 'ended') {
          if (contributed.size > 0) throw new Error('atCommit was given writes after the transaction had committed');
          return result;
        }
        await writeContributions(tx.sql, contributed);
        // A transaction that ran no statement began nothing.
        if (tx.state === 'open') await client.query('COMMIT');
        return result;
      } catch (err) {
        // Once COMMIT was sent with the last statement, the transaction has ended, one way or the other.
        if (tx.state === 'open') await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query('select 1');
      return true;
    },
    close: () => pool.end(),
  });
}

/**
 * A transaction's statements on `client`: BEGIN sent with the first of them, and COMMIT with the
 * last when the caller says which it is (`queryAndCommit`), each in the same write and round trip,
 * where they used to take one of each of their own. The pipelined connection sends a statement
 * without waiting for the answer to the one before it; should BEGIN fail, so does the statement's
 * promise, and a statement that fails turns the COMMIT sent after it into a rollback.
 */
function pipelined(client: pg.PoolClient, sql: Sql): { sql: Sql; readonly state: 'idle' | 'open' | 'ended' } {
  let state: 'idle' | 'open' | 'ended' = 'idle';
  const send = <T>(statement: () => Promise<T>, commit: boolean): Promise<T> => {
    if (state === 'ended') return Promise.reject(new Error('the transaction has committed: no statement may follow its last'));
    if (state === 'open' && !commit) return statement();
    // Corked, what is sent here goes out in one write when the statement's messages are written.
    const { stream } = client.connection;
    stream.cork();
    try {
      const begin = state === 'idle' ? client.query('BEGIN') : undefined;
      state = 'open';
      const sent = statement();
      const end = commit ? client.query('COMMIT') : undefined;
      if (commit) state = 'ended';
      return Promise.all([begin, sent, end]).then(([, value, ended]) => {
        if (ended && ended.command !== 'COMMIT') throw new Error(`the transaction ended in ${ended.command}, not COMMIT`);
        return value;
      });
    } finally {
      stream.uncork();
    }
  };
  return {
    sql: {
      query: <T>(text: string, params?: unknown[]) => send(() => sql.query<T>(text, params), false),
      exec: (text: string) => send(() => sql.exec(text), false),
      queryAndCommit: <T>(text: string, params?: unknown[]) => send(() => sql.query<T>(text, params), true),
    },
    get state() {
      return state;
    },
  };
}
