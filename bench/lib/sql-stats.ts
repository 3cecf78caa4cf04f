/**
 * Statement counts (BENCH_SQL_STATS=1 in the platform child): every `Db` the platform opens is
 * wrapped (`wrapOpenedDbs`), so each statement, each transaction and each statement run on its own
 * (its own implicit transaction) is counted with its time, on PGlite and PostgreSQL alike, whatever
 * driver path the handle uses underneath. Normalised by statement text (whitespace squeezed).
 * On PGlite, which runs one statement or transaction at a time, transaction time is the time the
 * single lock is held: the embedded default's critical resource.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type Db, type Sql, wrapOpenedDbs } from '@campusg/platform';
import { onKafkaRequest } from './kafka-apis.ts';

interface Stat {
  n: number;
  ms: number;
}
const statements = new Map<string, Stat>();
const txs = { n: 0, ms: 0 };
const standalone = { n: 0 };
/** Kafka requests sent, by API name (the client's diagnostics channel; the benchmark's observer group included). */
const kafkaRequests = new Map<string, number>();

/** Work run inside `uncounted` (the benchmark's own observer) is left out of the counts. */
const benchOwn = new AsyncLocalStorage<true>();
export const uncounted = <T>(fn: () => T): T => benchOwn.run(true, fn);

const norm = (sql: string) => sql.replace(/\s+/g, ' ').trim().slice(0, 160);
const add = (sql: string, ms: number) => {
  const k = norm(sql);
  const s = statements.get(k) ?? { n: 0, ms: 0 };
  s.n++;
  s.ms += ms;
  statements.set(k, s);
};

async function timed<T>(text: string, inTx: boolean, run: () => Promise<T>): Promise<T> {
  if (benchOwn.getStore()) return run();
  const t0 = performance.now();
  try {
    return await run();
  } finally {
    add(text, performance.now() - t0);
    if (!inTx) standalone.n++;
  }
}

/**
 * `sql` with its statements counted, and everything else it offers kept: a savepoint that rides
 * with the next statement, a last statement that COMMIT rides with, writes gathered for the commit
 * (counted where they run). Without them the group commit would fall back to a statement per
 * savepoint, a PostgreSQL transaction to a round trip of its own for COMMIT, and the handlers to a
 * write per message, and the counts would describe the counting rather than the platform.
 */
function countedSql(sql: Sql, inTx: boolean): Sql {
  const out: Sql = {
    query: (text, params) => timed(text, inTx, () => sql.query(text, params)),
    exec: (text) => timed(text, inTx, () => sql.exec(text)),
  };
  if (sql.savepoint) out.savepoint = (name) => sql.savepoint!(name);
  if (sql.queryAndCommit) out.queryAndCommit = (text, params) => timed(text, inTx, () => sql.queryAndCommit!(text, params));
  if (sql.atCommit) out.atCommit = (key, value, write) => sql.atCommit!(key, value, (tx, values) => write(countedSql(tx, true), values));
  return out;
}

function counted(db: Db): Db {
  /** Runs `fn` through `open` (a transaction of either kind) with its statements counted, and the transaction with its time. */
  const countedTx = async <T, R>(open: (fn: (tx: Sql) => Promise<T>) => Promise<R>, fn: (tx: Sql) => Promise<T>): Promise<R> => {
    if (benchOwn.getStore()) return open(fn);
    const t0 = performance.now();
    try {
      return await open((tx) => fn(countedSql(tx, true)));
    } finally {
      txs.n++;
      txs.ms += performance.now() - t0;
    }
  };
  return {
    ...countedSql(db, false),
    kind: db.kind,
    transaction: (fn) => countedTx((f) => db.transaction(f), fn),
    ...(db.transactionUnsynced && { transactionUnsynced: (fn) => countedTx((f) => db.transactionUnsynced!(f), fn) }),
    ping: () => db.ping(),
    close: () => db.close(),
  };
}

/**
 * Counts on every handle opened from now on (call before the platform opens its database), and
 * every request the Kafka client sends (`@platformatic/kafka` publishes each on a diagnostics channel).
 */
export function installSqlStats(): void {
  wrapOpenedDbs(counted);
  onKafkaRequest((api) => kafkaRequests.set(api, (kafkaRequests.get(api) ?? 0) + 1));
}

export interface SqlStats {
  /** `Db.transaction` calls: BEGIN … COMMIT (or ROLLBACK) each. */
  transactions: { n: number; ms: number };
  /** Statements run outside a transaction: each commits on its own. */
  standalone: number;
  statements: { sql: string; n: number; ms: number; avgMs: number }[];
  /** Kafka requests sent, by API (empty on other transports). */
  kafkaRequests: Record<string, number>;
}

export function sqlStats(): SqlStats {
  const rows = [...statements].map(([sql, s]) => ({ sql, n: s.n, ms: Math.round(s.ms), avgMs: Math.round((s.ms / s.n) * 1000) / 1000 }));
  rows.sort((a, b) => b.ms - a.ms);
  return {
    transactions: { n: txs.n, ms: Math.round(txs.ms) },
    standalone: standalone.n,
    statements: rows,
    kafkaRequests: Object.fromEntries(kafkaRequests),
  };
}

export function resetSqlStats(): void {
  statements.clear();
  txs.n = 0;
  txs.ms = 0;
  standalone.n = 0;
  kafkaRequests.clear();
}
