import type { Db, Sql } from './db.ts';

/** Told of each statement before it runs: its text, and whether it runs inside a transaction. */
export type StatementObserver = (text: string, inTransaction: boolean) => void;

/** `sql` with every statement it runs reported to `observe` first (tests and benchmarks count them). */
export function observeSql(sql: Sql, observe: StatementObserver, inTransaction = false): Sql {
  const observed: Sql = {
    query: (text, params) => {
      observe(text, inTransaction);
      return sql.query(text, params);
    },
    exec: (text) => {
      observe(text, inTransaction);
      return sql.exec(text);
    },
  };
  if (sql.savepoint) observed.savepoint = (name) => sql.savepoint!(name);
  if (sql.queryAndCommit)
    observed.queryAndCommit = (text, params) => {
      observe(text, inTransaction);
      return sql.queryAndCommit!(text, params);
    };
  // What runs at commit is counted there, through the transaction it is given.
  if (sql.atCommit)
    observed.atCommit = (key, value, write) => sql.atCommit!(key, value, (tx, values) => write(observeSql(tx, observe, true), values));
  return observed;
}

/**
 * `db` with every statement, outside its transactions and in them, reported to `observe`, and each
 * transaction to `onTransaction`; everything else is `db`'s own.
 */
export function observeDb(db: Db, observe: StatementObserver, onTransaction?: () => void): Db {
  return {
    kind: db.kind,
    ...observeSql(db, observe),
    transaction: (fn) => {
      onTransaction?.();
      return db.transaction((tx) => fn(observeSql(tx, observe, true)));
    },
    ...(db.transactionUnsynced && {
      transactionUnsynced: <T>(fn: (tx: Sql) => Promise<T>) => {
        onTransaction?.();
        return db.transactionUnsynced!((tx) => fn(observeSql(tx, observe, true)));
      },
    }),
    ping: () => db.ping(),
    close: () => db.close(),
  };
}
