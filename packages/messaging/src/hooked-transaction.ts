import type { Db, Sql } from '@campusg/platform';

/** What runs once a transaction has ended: after its commit, or after its failure. */
export interface TransactionHooks {
  afterCommit: (() => void)[];
  rolledBack: (() => void)[];
}

/**
 * Runs `fn` in a transaction of `db`: what it gives `hooks` runs once the transaction has committed
 * (`afterCommit`, in order), or once it has failed (`rolledBack`), before its error is thrown.
 */
export async function hookedTransaction<T>(db: Db, fn: (tx: Sql, hooks: TransactionHooks) => Promise<T>): Promise<T> {
  const hooks: TransactionHooks = { afterCommit: [], rolledBack: [] };
  let value: T;
  try {
    value = await db.transaction((tx) => fn(tx, hooks));
  } catch (err) {
    for (const f of hooks.rolledBack) f();
    throw err;
  }
  for (const f of hooks.afterCommit) f();
  return value;
}
