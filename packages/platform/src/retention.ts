import { setImmediate as yieldToOthers } from 'node:timers/promises';

/**
 * One table's retention: deletes a bounded number of rows that are past it, in one short statement
 * that an index leads to, and never a row something still needs.
 */
export interface PruneTask {
  /** The table it prunes (`schema.table`), for logs. */
  name: string;
  /** Deletes at most `limit` expired rows (per partition, for a partitioned log); returns the most deleted in one statement. */
  prune(limit: number): Promise<number>;
  /**
   * Makes the deleted rows' space reusable where no autovacuum does (PGlite); absent on a
   * PostgreSQL server, whose autovacuum does it.
   */
  vacuum?(): Promise<void>;
}

export interface PrunerOptions {
  /** Time between passes. */
  intervalMs: number;
  /** Rows one statement deletes at most. */
  batch: number;
  /** Statements per task and pass at most: a pass ends even if more is expired (the next one goes on). */
  maxBatches?: number;
  /** Time between two vacuums of a table at least (default ten intervals): a vacuum reads the table's indexes whole. */
  vacuumEveryMs?: number;
  onError?: (err: unknown, task: string) => void;
}

/**
 * Applies retention in the background: every `intervalMs` each task deletes what expired, a batch
 * per statement, yielding between statements, so handlers' transactions interleave with it and
 * none waits for more than one small delete. Tables that deleted rows are vacuumed where that is
 * needed (PGlite), at most every `vacuumEveryMs`.
 */
export class Pruner {
  readonly #tasks: readonly PruneTask[];
  readonly #opts: Required<Omit<PrunerOptions, 'onError'>> & Pick<PrunerOptions, 'onError'>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<Record<string, number>> | undefined;
  /** Tables that deleted rows since their last vacuum. */
  readonly #unvacuumed = new Set<PruneTask>();
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
        if (total > 0 && task.vacuum) this.#unvacuumed.add(task);
      } catch (err) {
        this.#opts.onError?.(err, task.name);
      }
      deleted[task.name] = total;
    }
    if (performance.now() - this.#lastVacuum >= this.#opts.vacuumEveryMs) {
      this.#lastVacuum = performance.now();
      for (const task of this.#unvacuumed) await task.vacuum?.().catch((err: unknown) => this.#opts.onError?.(err, task.name));
      this.#unvacuumed.clear();
    }
    return deleted;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
