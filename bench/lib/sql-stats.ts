/**
 * Profiling aid (BENCH_SQL_STATS=1 in the platform child): counts every statement PGlite runs and
 * the time it takes, and how long transactions hold PGlite's single exclusive lock. PGlite runs one
 * statement or transaction at a time, so on the embedded default this is the platform's critical
 * resource. Normalised by statement text (whitespace squeezed).
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

interface Stat {
  n: number;
  ms: number;
}
const statements = new Map<string, Stat>();
const txs = { n: 0, ms: 0 };

const norm = (sql: string) => sql.replace(/\s+/g, ' ').trim().slice(0, 160);
const add = (sql: string, ms: number) => {
  const k = norm(sql);
  const s = statements.get(k) ?? { n: 0, ms: 0 };
  s.n++;
  s.ms += ms;
  statements.set(k, s);
};

type Q = (text: string, params?: unknown[], opts?: unknown) => Promise<unknown>;

export function installSqlStats(): void {
  const proto = PGlite.prototype as unknown as {
    query: Q;
    exec: Q;
    transaction: (fn: (tx: { query: Q; exec: Q }) => Promise<unknown>) => Promise<unknown>;
  };
  const timed = (f: Q): Q =>
    async function (this: unknown, text, params, opts) {
      const t0 = performance.now();
      try {
        return await f.call(this, text, params, opts);
      } finally {
        add(text, performance.now() - t0);
      }
    };
  // PostgreSQL: every statement goes through Client#query (the pool hands out clients).
  const client = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const clientQuery = client.query;
  client.query = function (this: unknown, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string } | undefined)?.text ?? '?');
    const t0 = performance.now();
    const r = clientQuery.apply(this, args);
    if (r && typeof (r as Promise<unknown>).then === 'function')
      (r as Promise<unknown>).then(
        () => add(text, performance.now() - t0),
        () => add(text, performance.now() - t0),
      );
    else add(text, 0);
    return r;
  };
  proto.query = timed(proto.query);
  proto.exec = timed(proto.exec);
  const transaction = proto.transaction;
  proto.transaction = async function (this: unknown, fn) {
    let t0 = 0;
    try {
      return await transaction.call(this, (tx) => {
        t0 = performance.now();
        tx.query = timed(tx.query.bind(tx));
        tx.exec = timed(tx.exec.bind(tx));
        return fn(tx);
      });
    } finally {
      txs.n++;
      txs.ms += performance.now() - t0;
    }
  };
}

export function sqlStats() {
  const rows = [...statements].map(([sql, s]) => ({ sql, n: s.n, ms: Math.round(s.ms), avgMs: Math.round((s.ms / s.n) * 1000) / 1000 }));
  rows.sort((a, b) => b.ms - a.ms);
  return { transactions: { n: txs.n, ms: Math.round(txs.ms) }, statements: rows };
}

export function resetSqlStats(): void {
  statements.clear();
  txs.n = 0;
  txs.ms = 0;
}
