/**
 * What one message handling costs in the database, statement by statement: BEGIN, inbox insert,
 * the state row selected for update, its update, an outbox insert, COMMIT. Timed through the way
 * statements ran before (PGlite's `transaction()` + `query()`, `pg` with unnamed statements) and
 * through `Db` (prepared statements), on PGlite on disk in a temp dir and, with DATABASE_URL, on
 * PostgreSQL. The two paths alternate, ROUNDS times HANDLINGS each, so a busy machine slows both
 * alike: the figures are medians of the rounds, and the median of each round's new/old ratio.
 * Besides wall clock, the CPU time of this process and (PostgreSQL) of the server backend per
 * handling: on a shared machine they move less than wall clock. On PostgreSQL the commit flush is
 * off (PG_SYNC_COMMIT=on keeps it): it is the same on both paths. SKIP_PGLITE=1 runs PostgreSQL only.
 * PGLITE_THREAD=1 compares instead PGlite on the main thread (old) with PGlite in its worker thread
 * (new), both through `Db`: `mainCpuUs` is the CPU time of the main thread alone, the one that
 * also serves HTTP and runs handlers, while `clientCpuUs` counts every thread of the process.
 * COMMIT_WITH_LAST=1 compares, on PostgreSQL through `Db`, the outbox insert run as any statement
 * and then COMMIT (old) with the insert sent with COMMIT (`queryAndCommit`, new).
 *
 *   npx tsx bench/scenarios/db-statements.ts            # PGlite only
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/scenarios/db-statements.ts
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openPglite, openPostgres, type Sql } from '@campusg/platform';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { round } from '../lib/stats.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 6);
const HANDLINGS = Number(process.env.HANDLINGS ?? 1000);
const ROWS = 1000;
const SCHEMA = 'bench_db_statements';

const DDL = `drop schema if exists ${SCHEMA} cascade;
  create schema ${SCHEMA};
  create table ${SCHEMA}.inbox (group_id text not null, message_id uuid not null,
    processed_at timestamptz not null default now(), primary key (group_id, message_id));
  create table ${SCHEMA}.state (id uuid primary key, version int not null, state jsonb not null, updated_at timestamptz not null);
  create table ${SCHEMA}.outbox (id bigserial primary key, topic text not null, key text not null, value text not null,
    headers jsonb not null, created_at timestamptz not null default now());`;

const S = {
  inbox: `insert into ${SCHEMA}.inbox (group_id, message_id) values ($1, $2) on conflict do nothing returning 1 as fresh`,
  load: `select state, version from ${SCHEMA}.state where id = $1 for update`,
  save: `update ${SCHEMA}.state set version = version + 1, state = $2, updated_at = $3 where id = $1`,
  outbox: `insert into ${SCHEMA}.outbox (topic, key, value, headers) values ($1, $2, $3, $4) returning id`,
};

const ids = Array.from({ length: ROWS }, () => randomUUID());
const value = JSON.stringify({ type: 'authorize_payment', payload: { order_id: randomUUID(), amount_cents: 1230 } });

/** One handling's statements, on whatever runs them. */
async function handle(tx: Sql, i: number): Promise<void> {
  const id = ids[i % ROWS] as string;
  const [fresh] = await tx.query(S.inbox, ['bench-group', randomUUID()]);
  if (!fresh) throw new Error('inbox insert should be fresh');
  const [row] = await tx.query<{ state: { step: number }; version: number }>(S.load, [id]);
  if (!row) throw new Error('state row missing');
  await tx.query(S.save, [id, { ...row.state, step: row.state.step + 1 }, new Date()]);
  await tx.query(S.outbox, ['payment_commands', id, value, { type: 'authorize_payment' }]);
}

interface Path {
  transaction(fn: (tx: Sql) => Promise<void>): Promise<void>;
  /** The PostgreSQL backend serving this path, whose CPU time is counted too. */
  serverPid?: number;
}

/** CPU time (µs) a process (or, given `/proc/<pid>/task/<tid>`, one thread) has used so far, from /proc (clock ticks of 10 ms). */
function processCpuUs(pid: number | string): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

interface Timing {
  wall: number;
  cpu: number;
  main: number;
  server: number;
}

/** The main thread's own task: its thread id is the process id. */
const MAIN_THREAD = `${process.pid}/task/${process.pid}`;

/** µs per handling over `n` handlings: wall clock, this process's CPU, the server backend's CPU. */
async function time(p: Path, n: number): Promise<Timing> {
  const s0 = p.serverPid ? processCpuUs(p.serverPid) : 0;
  const m0 = processCpuUs(MAIN_THREAD);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await p.transaction((tx) => handle(tx, i));
  const wall = ((performance.now() - t0) * 1000) / n;
  const c = process.cpuUsage(c0);
  const main = (processCpuUs(MAIN_THREAD) - m0) / n;
  const server = p.serverPid ? (processCpuUs(p.serverPid) - s0) / n : 0;
  return { wall, cpu: (c.user + c.system) / n, main, server };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function compare(label: string, old: Path, next: Path) {
  await time(old, 200);
  await time(next, 200);
  const rounds: { old: Timing; next: Timing }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which goes first, so neither always meets the other's leftovers.
    const [a, b] = r % 2 ? [next, old] : [old, next];
    const ta = await time(a, HANDLINGS);
    const tb = await time(b, HANDLINGS);
    rounds.push(a === old ? { old: ta, next: tb } : { old: tb, next: ta });
  }
  const figures = (k: keyof Timing) => ({
    old: round(median(rounds.map((x) => x.old[k]))),
    new: round(median(rounds.map((x) => x.next[k]))),
    ratio: round(median(rounds.map((x) => x.next[k] / x.old[k])), 3),
  });
  const result = {
    label,
    handlings: HANDLINGS,
    rounds: ROUNDS,
    wallUs: figures('wall'),
    clientCpuUs: figures('cpu'),
    mainCpuUs: figures('main'),
    ...(old.serverPid ? { serverCpuUs: figures('server') } : {}),
    wallByRound: rounds.map((x) => [round(x.old.wall), round(x.next.wall)]),
  };
  console.log(JSON.stringify(result));
}

const sqlOf = (q: { query: (t: string, p?: unknown[]) => Promise<{ rows: unknown[] }> }): Sql => ({
  async query<T>(text: string, params?: unknown[]) {
    return (await q.query(text, params)).rows as T[];
  },
  async exec() {
    throw new Error('not used');
  },
});

async function seed(db: Sql) {
  await db.exec(DDL);
  await db.query(`insert into ${SCHEMA}.state select unnest($1::uuid[]), 1, $2::jsonb, now()`, [ids, { step: 0 }]);
}

async function onPglite() {
  const dir = mkdtempSync(path.join(tmpdir(), 'campusg-db-statements-'));
  try {
    // Before: PGlite's transaction() and query(), as the database handle used them.
    const raw = new PGlite(path.join(dir, 'old'));
    await raw.waitReady;
    await raw.exec(DDL);
    await raw.query(`insert into ${SCHEMA}.state select unnest($1::uuid[]), 1, $2::jsonb, now()`, [ids, { step: 0 }]);
    const old: Path = { transaction: (fn) => raw.transaction((tx) => fn(sqlOf(tx))) };
    const db = await openPglite(path.join(dir, 'new'));
    await seed(db);
    await compare('pglite on disk', old, { transaction: (fn) => db.transaction(fn) });
    await raw.close();
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The server's commit flush (fsync) costs the same on both paths and, on a busy disk, drowns what
 * is measured here; it is turned off for these connections unless PG_SYNC_COMMIT=on.
 */
function withoutCommitFlush(url: string): string {
  if (process.env.PG_SYNC_COMMIT === 'on') return url;
  const u = new URL(url);
  u.searchParams.set('options', '-c synchronous_commit=off');
  return u.toString();
}

async function onPostgres(base: string) {
  const url = withoutCommitFlush(base);
  // Before: unnamed statements on a pooled connection between BEGIN and COMMIT.
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const backend = async (q: (text: string) => Promise<unknown>) =>
    ((await q('select pg_backend_pid() as pid')) as { pid: number }[])[0]?.pid;
  const old: Path = {
    serverPid: await backend(async (t) => (await pool.query(t)).rows),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await fn(sqlOf({ query: (t, p) => client.query(t, p) }));
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
  };
  const db = openPostgres(url, { max: 1 });
  await seed(db);
  const next: Path = { serverPid: await backend((t) => db.query(t)), transaction: (fn) => db.transaction(fn) };
  await compare('postgresql', old, next);
  await db.exec(`drop schema ${SCHEMA} cascade`);
  await pool.end();
  await db.close();
}

/** PGlite on the main thread against PGlite in its worker thread, both through `Db`, on disk. */
async function onPgliteThreads() {
  const dir = mkdtempSync(path.join(tmpdir(), 'campusg-db-statements-'));
  try {
    const here = await openPglite(path.join(dir, 'main'), { worker: false });
    const thread = await openPglite(path.join(dir, 'worker'));
    await seed(here);
    await seed(thread);
    await compare(
      'pglite main thread (old) vs worker thread (new)',
      { transaction: (fn) => here.transaction(fn) },
      { transaction: (fn) => thread.transaction(fn) },
    );
    await here.close();
    await thread.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** On PostgreSQL through `Db`: the handling's last statement and then COMMIT, against both sent together. */
async function onPostgresCommitWithLast(base: string) {
  const db = openPostgres(withoutCommitFlush(base), { max: 1 });
  await seed(db);
  const serverPid = (await db.query<{ pid: number }>('select pg_backend_pid() as pid'))[0]?.pid;
  const lastWithCommit = (tx: Sql): Sql => ({
    query: (text, params) => (text === S.outbox ? tx.queryAndCommit!(text, params) : tx.query(text, params)),
    exec: (text) => tx.exec(text),
  });
  await compare(
    'postgresql: last statement, then COMMIT (old) vs together (new)',
    { serverPid, transaction: (fn) => db.transaction(fn) },
    { serverPid, transaction: (fn) => db.transaction((tx) => fn(lastWithCommit(tx))) },
  );
  await db.exec(`drop schema ${SCHEMA} cascade`);
  await db.close();
}

if (process.env.COMMIT_WITH_LAST === '1') {
  if (!process.env.DATABASE_URL) throw new Error('COMMIT_WITH_LAST=1 needs DATABASE_URL');
  await onPostgresCommitWithLast(process.env.DATABASE_URL);
} else {
  if (process.env.PGLITE_THREAD === '1') await onPgliteThreads();
  else if (process.env.SKIP_PGLITE !== '1') await onPglite();
  if (process.env.DATABASE_URL) await onPostgres(process.env.DATABASE_URL);
}
