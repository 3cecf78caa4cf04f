import type { AtCommit, Db, Sql } from './db.ts';

/** A caller's transaction, waiting for a round to run it. */
interface Waiting {
  fn: (tx: Sql) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** Writes contributed with `atCommit`, by key, until they run just before COMMIT. */
export type Contributions = Map<string, { write: AtCommit; values: unknown[] }>;

/** Runs each contributed write once, with all its values (just before COMMIT). */
export async function writeContributions(tx: Sql, contributed: Contributions): Promise<void> {
  for (const { write, values } of contributed.values()) await write(tx, values);
}

/** Most callers' transactions one round runs (each waits for the whole round's commit). */
const DEFAULT_MAX_PER_ROUND = 32;

/**
 * Group commit for a database that runs one transaction at a time (PGlite): the transactions that
 * callers ask for while a round is running wait for it, then run together in the next round, one
 * after another inside one BEGIN … COMMIT, each in a savepoint of its own. A caller whose `fn`
 * throws (or leaves its part of the transaction aborted) gets its error and its part is rolled back
 * to its savepoint; the others commit. Every caller learns its outcome only after the round's
 * commit, so nothing anyone returns is seen before it is durable; a failed commit fails them all,
 * as it would have failed each alone. A round of one runs as a plain transaction.
 *
 * Under light load a round holds one transaction and costs what it did; under load, rounds grow
 * and the commit (with its WAL write and, when durable, its fsync) is shared. Writes that many
 * callers contribute to (a consumer group's offset, say) can be handed to `atCommit` and run once
 * per round as one statement.
 *
 * Statements outside a transaction wait for the round in progress, as they waited for a
 * transaction before; `maxPerRound` bounds how long that is.
 */
export function groupCommit(db: Db, options: { maxPerRound?: number } = {}): Db {
  const max = options.maxPerRound ?? DEFAULT_MAX_PER_ROUND;
  const queue: Waiting[] = [];
  let running = false;

  const drain = async () => {
    running = true;
    try {
      while (queue.length > 0) await round(db, queue.splice(0, max));
    } finally {
      running = false;
    }
  };

  return {
    kind: db.kind,
    query: (text, params) => db.query(text, params),
    exec: (text) => db.exec(text),
    transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
        if (!running) void drain();
      });
    },
    ping: () => db.ping(),
    close: () => db.close(),
  };
}

/**
 * One round: the callers' parts in one transaction, then each caller told its outcome. Where the
 * database tells of a commit before it is on disk (`transactionUnsynced`), the round ends at the
 * commit, so the next round runs while the disk catches up, and its callers are told once the
 * commit is on disk: nobody hears of a commit that a power loss could still undo.
 */
async function round(db: Db, callers: Waiting[]): Promise<void> {
  const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
  const contributed: Contributions = new Map();
  const run = async (tx: Sql) => {
    if (callers.length === 1) {
      const own: Contributions = new Map();
      outcomes.push({ ok: true, value: await callers[0]!.fn(withAtCommit(tx, own)) });
      merge(contributed, own);
    } else {
      for (const caller of callers) outcomes.push(await part(tx, caller, contributed));
    }
    await writeContributions(tx, contributed);
  };
  const answer = () =>
    callers.forEach((caller, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) caller.resolve(outcome.value);
      else caller.reject(outcome.error);
    });
  const failAll = (err: unknown) => {
    for (const caller of callers) caller.reject(err);
  };
  try {
    if (db.transactionUnsynced) {
      const { synced } = await db.transactionUnsynced(run);
      synced.then(answer, failAll);
      return;
    }
    await db.transaction(run);
  } catch (err) {
    failAll(err);
    return;
  }
  answer();
}

/**
 * One caller's part of a shared round, in a savepoint of its own: kept if it ends well, rolled back
 * to its savepoint if not. Where the database offers it the savepoint rides with the part's first
 * statement, and a part that ends well is left unreleased (the round's commit releases it), so a
 * part costs no round of its own; only a part that saw a statement fail is checked with RELEASE,
 * which fails when that error left the transaction aborted.
 */
async function part(tx: Sql, caller: Waiting, contributed: Contributions) {
  const own: Contributions = new Map();
  const scoped = withAtCommit(tx, own);
  let set = false;
  let statementFailed = false;
  if (tx.savepoint) {
    // Set with the part's first statement; a part that runs none has nothing to roll back.
    const observe = <T>(run: () => Promise<T>): Promise<T> => {
      if (!set) tx.savepoint!(SAVEPOINT);
      set = true;
      return run().catch((err) => {
        statementFailed = true;
        throw err;
      });
    };
    scoped.query = (text, params) => observe(() => tx.query(text, params));
    scoped.exec = (text) => observe(() => tx.exec(text));
  } else {
    await tx.query(`savepoint ${SAVEPOINT}`);
    set = true;
    statementFailed = true;
  }
  try {
    const value = await caller.fn(scoped);
    if (statementFailed) await tx.query(`release savepoint ${SAVEPOINT}`);
    merge(contributed, own);
    return { ok: true as const, value };
  } catch (error) {
    if (set) await tx.query(`rollback to savepoint ${SAVEPOINT}`);
    return { ok: false as const, error };
  }
}

const SAVEPOINT = 'campusg_part';

/** `tx` with `atCommit`, collecting what is given to it in `own`. */
export function withAtCommit(tx: Sql, own: Contributions): Sql {
  return {
    query: (text, params) => tx.query(text, params),
    exec: (text) => tx.exec(text),
    // The statement given with COMMIT is the transaction's last: what was gathered for the commit
    // is written before it.
    ...(tx.queryAndCommit && {
      queryAndCommit: async <T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]> => {
        await writeContributions(tx, own);
        own.clear();
        return tx.queryAndCommit!<T>(text, params);
      },
    }),
    atCommit: (key, value, write) => {
      const entry = own.get(key);
      if (entry) entry.values.push(value);
      else own.set(key, { write, values: [value] });
    },
  };
}

function merge(into: Contributions, from: Contributions): void {
  for (const [key, { write, values }] of from) {
    const entry = into.get(key);
    if (entry) entry.values.push(...values);
    else into.set(key, { write, values: [...values] });
  }
}
