import { setImmediate as yieldToOthers } from 'node:timers/promises';
import type { Clock } from './clock.ts';
import type { Db } from './db.ts';

/**
 * One table's retention: deletes a bounded number of rows that are past it, in one short statement
 * that an index leads to, and never a row something still needs.
 */
export interface PruneTask {
  /** The table it prunes (`schema.table`), for logs. */
  name: string;
  /** Deletes at most `limit` expired rows (per partition, for a partitioned log); returns the most deleted in one statement. */
  prune(limit: number): Promise<number>;
}

/**
 * A retention of one statement: `sql` deletes at most `$2` rows of `name` that are past `$1`, the
 * bound `bound()` gives at each pass (a time, for most tables), and ends by counting what it
 * deleted (`select count(*)::int as n from gone`).
 */
export function pruneStatement(db: Db, name: string, bound: () => unknown, sql: string): PruneTask {
  return {
    name,
    async prune(limit) {
      const [row] = await db.query<{ n: number }>(sql, [bound(), limit]);
      return row?.n ?? 0;
    },
  };
}

/** The bound of a retention of `retentionMs` on `clock`: the time that long before now. */
export const olderThan = (clock: Clock, retentionMs: number) => (): Date => new Date(clock.now().getTime() - retentionMs);

export interface PrunerOptions {
  /** Time between passes. */
  intervalMs: number;
  /** Rows one statement deletes at most. */
  batch: number;
  /** Statements per task and pass at most: a pass ends even if more is expired (the next one goes on). */
  maxBatches?: number;
  /**
   * Makes the space of deleted and updated rows reusable where no autovacuum does (PGlite, see
   * `vacuumDeadRows`); absent on a PostgreSQL server, whose autovacuum does it.
   */
  vacuum?: () => Promise<unknown>;
  /** Time between two `vacuum` runs at least (default ten intervals): a vacuum reads a table's indexes whole. */
  vacuumEveryMs?: number;
  onError?: (err: unknown, task: string) => void;
}

/**
 * Applies retention in the background: every `intervalMs` each task deletes what expired, a batch
 * per statement, yielding between statements, so handlers' transactions interleave with it and
 * none waits for more than one small delete. Where no autovacuum runs (PGlite), `vacuum` runs at
 * most every `vacuumEveryMs`.
 */
export class Pruner {
  readonly #tasks: readonly PruneTask[];
  readonly #opts: Required<Omit<PrunerOptions, 'onError' | 'vacuum'>> & Pick<PrunerOptions, 'onError' | 'vacuum'>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<Record<string, number>> | undefined;
  #lastVacuum = performance.now();

  constructor(tasks: readonly PruneTask[], options: PrunerOptions) {
    this.#tasks = tasks;
    this.#opts = { maxBatches: 20, vacuumEveryMs: 10 * options.intervalMs, ...options };
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.runOnce(), this.#opts.intervalMs).unref();
  }

  /** One pass over every task (a pass already running is joined); resolves to the rows deleted per table. */
  runOnce(): Promise<Record<string, number>> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #pass(): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const task of this.#tasks) {
      let total = 0;
      try {
        for (let i = 0; i < this.#opts.maxBatches; i++) {
          const n = await task.prune(this.#opts.batch);
          total += n;
          if (n < this.#opts.batch) break;
          await yieldToOthers();
        }
      } catch (err) {
        this.#opts.onError?.(err, task.name);
      }
      deleted[task.name] = total;
    }
    const { vacuum } = this.#opts;
    if (vacuum && performance.now() - this.#lastVacuum >= this.#opts.vacuumEveryMs) {
      this.#lastVacuum = performance.now();
      await vacuum().catch((err: unknown) => this.#opts.onError?.(err, 'vacuum'));
    }
    return deleted;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}

/**
 * What PostgreSQL's autovacuum does on a server, for an embedded database (PGlite), which has none:
 * vacuums each table whose dead rows (left by deletes and updates) passed autovacuum's default
 * threshold, 50 + 20 % of its live rows, one table at a time, yielding between them. Without it a
 * table that is only updated (orders, saga instances, read models) grows by a row version per
 * update for ever. Returns the tables it vacuumed.
 */
export async function vacuumDeadRows(db: Db): Promise<string[]> {
  // PGlite publishes its tables' statistics only when asked to: with the next statement.
  await db.query('select pg_stat_force_next_flush()');
  const due = await db.query<{ name: string }>(
    `select format('%I.%I', schemaname, relname) as name from pg_stat_user_tables
     where n_dead_tup > 50 + 0.2 * n_live_tup order by n_dead_tup desc`,
  );
  for (const { name } of due) {
    await db.exec(`vacuum ${name}`);
    await yieldToOthers();
  }
  return due.map((t) => t.name);
}
